"""Protected apps: other home-lab apps that homeportal guards for a reverse proxy (forward
authentication), each with its ACL rows (one level, `access`) like boards and integrations."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from groups.models import AccessRow

LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
HOST_PATTERN = rf"(?i)^(?=.{{1,253}}$){LABEL}(\.{LABEL})*$"


class Level(models.TextChoices):
    ACCESS = "access", _("Access")


class ProtectedApp(models.Model):
    """An app behind the reverse proxy: a host name and an optional path prefix."""

    name = models.CharField(_("name"), max_length=120)
    host = models.CharField(
        _("host name"),
        max_length=253,
        validators=[RegexValidator(HOST_PATTERN, _("Enter a host name such as grafana.home.lan."))],
        help_text=_("The name the app is reached at, without scheme or port."),
    )
    path_prefix = models.CharField(
        _("path prefix"),
        max_length=200,
        blank=True,
        default="",
        help_text=_("Only this part of the host, e.g. /admin/. Empty: the whole host."),
    )
    icon = models.CharField(_("icon"), max_length=500, blank=True, default="")
    require_two_factor = models.BooleanField(
        _("require two-factor login"),
        default=False,
        help_text=_("People must have given their second factor in this session."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_protected_apps",
    )
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("protected app")
        verbose_name_plural = _("protected apps")
        constraints = [
            models.UniqueConstraint(
                Lower("host"), "path_prefix", name="protected_app_unique_host_path"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.host = (self.host or "").strip().lower().rstrip(".")
        prefix = (self.path_prefix or "").strip()
        if prefix and (not prefix.startswith("/") or any(c in prefix for c in "?#\\ ")):
            raise ValidationError({"path_prefix": _("A path starts with / and has no ? or #.")})
        self.path_prefix = "" if prefix == "/" else prefix

    @property
    def url(self) -> str:
        """The app's address for links (https unless the portal itself runs on http)."""
        scheme = "https" if settings.HTTPS else "http"
        return f"{scheme}://{self.host}{self.path_prefix or '/'}"


class ProtectedAppAccess(AccessRow):
    app = models.ForeignKey(ProtectedApp, on_delete=models.CASCADE, related_name="access_rows")
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.ACCESS)

    class Meta(AccessRow.Meta):
        constraints = [
            *AccessRow.Meta.constraints,
            models.UniqueConstraint(
                fields=["app", "user"], name="protected_app_access_user_unique"
            ),
            models.UniqueConstraint(
                fields=["app", "group"], name="protected_app_access_group_unique"
            ),
        ]
        indexes = [models.Index(fields=["app"])]


class AppUse(models.Model):
    """Which protected apps a login session reached (shown on the sessions page); written at
    most once a minute per session and app, by the gate's slow path."""

    session = models.ForeignKey(
        "sessions_admin.UserSession", on_delete=models.CASCADE, related_name="app_uses"
    )
    app = models.ForeignKey(ProtectedApp, on_delete=models.CASCADE, related_name="+")
    first_used = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "app"], name="app_use_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.app_id} in {self.session_id}"
