"""Integrations: a connection to one service (address, options, sealed secrets) and its ACL.

Secrets live in `IntegrationSecret`, one row per secret field, each value sealed with
AES-256-GCM (homeportal.crypto) under associated data naming the row and field, so a sealed
value copied into another row or field does not decrypt. They are opened only to build the
`Context` a kind works with, and never rendered, exported or logged.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from groups.models import AccessRow
from homeportal import crypto
from integrations.kinds import Context, IntegrationKind, get_kind

SECRET_PURPOSE = "integration-secret"


class Integration(models.Model):
    """A connection to one service, owned by its creator (who gets `full`)."""

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
    options = models.JSONField(_("options"), default=dict, blank=True)
    # A bundled brand icon's name or an uploaded icon's reference (boards.icon_field), "-" for
    # the kind's own icon; found from the kind, name or address when left empty at creation.
    icon = models.CharField(_("icon"), max_length=64, blank=True, default="")
    verify_tls = models.BooleanField(
        _("check the TLS certificate"),
        default=True,
        help_text=_("Turn off only for a service with a self-signed certificate."),
    )
    # Bumped by every change to the address, options or secrets: cached data of the old
    # configuration is never served for the new one.
    secrets_version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def kind_module(self) -> IntegrationKind | None:
        return get_kind(self.kind)

    @property
    def kind_name(self) -> str:
        kind = self.kind_module
        return kind.name if kind else self.kind

    @property
    def icon_url(self) -> str:
        """The address of the icon to show: the chosen one, else the kind's own."""
        from boards.icons import resolve

        chosen = resolve(self.icon)
        if chosen is not None:
            return chosen["url"]
        kind = self.kind_module
        return kind.icon_url if kind is not None else ""

    @property
    def host(self) -> str:
        return host_of(self.url)

    def stored_secret_names(self) -> set[str]:
        return set(self.secrets.values_list("name", flat=True))

    def secret_values(self) -> dict[str, str]:
        """Every stored secret, opened. Only for building a kind's Context."""
        return {secret.name: secret.reveal() for secret in self.secrets.all()}

    def context(self, timeout: float = 10.0) -> Context:
        return Context(
            url=self.url.rstrip("/"),
            secrets=self.secret_values(),
            options=dict(self.options or {}),
            integration_id=self.pk,
            verify_tls=self.verify_tls,
            timeout=timeout,
        )

    def set_secrets(self, changes: dict[str, str | None]) -> None:
        """Applies secret changes: a string stores it, "" clears it, None keeps it."""
        with transaction.atomic():
            for name, value in changes.items():
                if value is None:
                    continue
                if value == "":
                    self.secrets.filter(name=name).delete()
                    continue
                secret, _created = IntegrationSecret.objects.get_or_create(
                    integration=self, name=name, defaults={"value": ""}
                )
                secret.seal(value)
                secret.save(update_fields=["value", "updated"])
            self.bump_version()

    def bump_version(self) -> None:
        Integration.objects.filter(pk=self.pk).update(secrets_version=F("secrets_version") + 1)
        self.refresh_from_db(fields=["secrets_version"])


def host_of(url: str) -> str:
    try:
        parts = urlsplit(url or "")
        return f"{(parts.hostname or '').lower()}:{parts.port or ''}"
    except ValueError:
        return ""


class IntegrationSecret(models.Model):
    """One secret of an integration (a password, an API key), sealed at rest."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="secrets")
    name = models.CharField(max_length=40)
    value = models.TextField()  # crypto.encrypt(...) bound to this row and field
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "name"], name="one_secret_per_name"),
        ]

    def __str__(self) -> str:
        return f"{self.integration} · {self.name}"  # never the value

    def __repr__(self) -> str:
        return f"<IntegrationSecret {self.pk} {self.name}>"

    def seal(self, plaintext: str) -> None:
        if self.pk is None:
            raise ValueError("a secret is sealed to its row: save it first")
        self.value = SEALED_SECRET.seal(self, plaintext)

    def reveal(self) -> str:
        return SEALED_SECRET.open(self)


# Sealed with crypto.binding(SECRET_PURPOSE, table, row, "value"); rotate_encryption_key finds it.
SEALED_SECRET = crypto.register_sealed(IntegrationSecret, "value", SECRET_PURPOSE)


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
