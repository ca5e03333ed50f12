from django.apps import AppConfig


class BoardsConfig(AppConfig):
    name = "boards"

    def ready(self) -> None:
        from boards.models import BoardAccess, Level
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
