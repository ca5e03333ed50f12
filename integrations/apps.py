from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        from groups.resolver import AclSpec, register_acl
        from integrations.models import IntegrationAccess, Level

        register_acl(
            AclSpec(
                kind="integration",
                row_model=IntegrationAccess,
                object_field="integration",
                levels=tuple(Level.values),
                all_permissions=(
                    "integration-use-all",
                    "integration-interact-all",
                    "integration-full-all",
                ),
            )
        )
