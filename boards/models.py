from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from groups.models import AccessRow

BOARD_NAME = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{0,62}$",
    _(
        "A board's URL name has lowercase letters, digits and hyphens, "
        "and starts with a letter or digit."
    ),
)


class Board(models.Model):
    name = models.CharField(_("URL name"), max_length=63, unique=True, validators=[BOARD_NAME])
    title = models.CharField(_("title"), max_length=120)
    is_public = models.BooleanField(
        _("public"), default=False, help_text=_("Anyone, even without logging in, can view it.")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_boards",
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "name"]

    def __str__(self) -> str:
        return self.title or self.name


class Level(models.TextChoices):
    VIEW = "view", _("View")
    MODIFY = "modify", _("Modify")
    FULL = "full", _("Full")


class BoardAccess(AccessRow):
    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="access_rows")
    level = models.CharField(max_length=16, choices=Level.choices)

    class Meta(AccessRow.Meta):
        constraints = [
            *AccessRow.Meta.constraints,
            models.UniqueConstraint(
                fields=["board", "user"], condition=models.Q(user__isnull=False),
                name="boardaccess_one_row_per_user",
            ),
            models.UniqueConstraint(
                fields=["board", "group"], condition=models.Q(group__isnull=False),
                name="boardaccess_one_row_per_group",
            ),
        ]  # fmt: skip
