from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = "Groups and permissions"

    def ready(self) -> None:
        from groups import resolver
        from groups.models import Group, Membership

        for model in (Group, Membership):
            for signal in (post_save, post_delete):
                signal.connect(
                    resolver._bump_on_change, sender=model, dispatch_uid=f"grants-{model.__name__}"
                )
