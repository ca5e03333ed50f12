from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from groups.models import AccessRow


class Integration(models.Model):
    """A connection to one service. Secrets and kinds arrive with the integrations work."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=40)
    url = models.URLField(_("URL"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_integrations",
    )
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Level(models.TextChoices):
    USE = "use", _("Use")
    INTERACT = "interact", _("Interact")
    FULL = "full", _("Full")


class IntegrationAccess(AccessRow):
    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="access_rows"
    )
    level = models.CharField(max_length=16, choices=Level.choices)

    class Meta(AccessRow.Meta):
        constraints = [
            *AccessRow.Meta.constraints,
            models.UniqueConstraint(
                fields=["integration", "user"], condition=models.Q(user__isnull=False),
                name="integrationaccess_one_row_per_user",
            ),
            models.UniqueConstraint(
                fields=["integration", "group"], condition=models.Q(group__isnull=False),
                name="integrationaccess_one_row_per_group",
            ),
        ]  # fmt: skip
