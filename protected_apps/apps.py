from django.apps import AppConfig


class ProtectedAppsConfig(AppConfig):
    name = "protected_apps"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.login import register_redirect_check
        from groups.resolver import AclSpec, register_acl
        from protected_apps import gate
        from protected_apps.models import Level, ProtectedAppAccess

        register_acl(
            AclSpec(
                kind="protected_app",
                row_model=ProtectedAppAccess,
                object_field="app",
                levels=tuple(Level.values),
                all_permissions=("app-manage",),
            )
        )
        gate.connect_signals()
        # After a login, the browser may go back to a protected app (and nowhere else outside).
        register_redirect_check(gate.is_protected_url)
