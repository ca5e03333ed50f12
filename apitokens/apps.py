from django.apps import AppConfig
from django.db.models.signals import post_save


class ApiTokensConfig(AppConfig):
    name = "apitokens"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        post_save.connect(
            revoke_when_disabled, sender=get_user_model(), dispatch_uid="apitokens-disabled"
        )


def revoke_when_disabled(sender, instance, **kwargs) -> None:
    """Disabling a user ends their tokens, except those they chose to keep at creation (which
    still do nothing until the user is enabled again)."""
    if instance.is_active:
        return
    from django.utils import timezone

    from apitokens.models import ApiToken

    ApiToken.objects.filter(
        user=instance, revoked_at__isnull=True, survives_holder_changes=False
    ).update(revoked_at=timezone.now(), revoked_reason="holder_disabled")
