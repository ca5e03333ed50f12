"""Icons people upload (boards.uploads says what is accepted), in a module of their own: the
icon field (boards.icon_field), which the app link widget uses, reads them, and boards.models,
which names the widgets, must not be on that path. Registered with the app's models by
boards.models, which imports it."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UploadedIcon(models.Model):
    """An icon someone uploaded (boards.uploads says what is accepted), kept in the database so
    every server sharing it serves the same icons with no shared disk. One row per content:
    the same file uploaded twice is the same icon."""

    name = models.CharField(_("name"), max_length=80)
    content_type = models.CharField(max_length=40)
    data = models.BinaryField()
    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="uploaded_icons",
    )
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def extension(self) -> str:
        from boards.uploads import TYPES

        return next((ext for ct, ext in TYPES.values() if ct == self.content_type), "bin")

    @property
    def key(self) -> str:
        """What names the icon in addresses and icon fields: the start of its hash."""
        return self.sha256[:16]

    @property
    def reference(self) -> str:
        """The value an icon field stores for it (boards.icons.resolve reads it back)."""
        return f"upload:{self.key}.{self.extension}"

    @property
    def url(self) -> str:
        from django.urls import reverse

        return reverse("icons:uploaded", args=[self.key, self.extension])
