from django.apps import AppConfig


class BoardsConfig(AppConfig):
    name = "boards"

    def ready(self) -> None:
        from django.db.models import signals

        from boards.models import BoardAccess, Item, Level, Section, touch_board
        from groups.resolver import AclSpec, register_acl

        register_acl(
            AclSpec(
                kind="board",
                row_model=BoardAccess,
                object_field="board",
                levels=tuple(Level.values),
                all_permissions=("board-view-all", "board-modify-all", "board-full-all"),
                public_field="is_public",
            )
        )
        # A section or item saved or deleted by any path (cascades included) moves its board's
        # `updated`, which names the board's cached body (boards.render).
        for model in (Section, Item):
            for signal in (signals.post_save, signals.post_delete):
                signal.connect(
                    touch_board, sender=model, dispatch_uid=f"touch-board-{model.__name__}"
                )
        # A protected app renamed or moved rewrites the app links that show it.
        from boards.app_links import app_saved, remember_app
        from protected_apps.models import ProtectedApp

        signals.pre_save.connect(remember_app, sender=ProtectedApp, dispatch_uid="app-link-before")
        signals.post_save.connect(app_saved, sender=ProtectedApp, dispatch_uid="app-link-follow")
