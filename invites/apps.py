from django.apps import AppConfig


class InvitesConfig(AppConfig):
    name = "invites"

    def ready(self) -> None:
        from groups.rules.base import permissions_gained
        from invites.models import end_outgrown_links

        permissions_gained.connect(end_outgrown_links, dispatch_uid="invites-end-outgrown-links")
