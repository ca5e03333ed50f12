"""Personal API tokens: a name, scopes, an expiry, shown once and stored hashed.

The token is `hp_` and 32 random bytes (invites.tokens); only its SHA-256 is stored, like
invites and reset links. A token works while it is not revoked, not expired, its holder is
active, and — unless the holder chose at creation that it survives them — the holder's
password is the one it was created under and the holder was never disabled since (disabling
revokes such tokens at once: apitokens.apps).
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from homeportal.changes import count_annotations
from homeportal.compiled import CompiledQuery
from invites.tokens import hash_token, new_token

PREFIX = "hp_"
DEFAULT_LIFETIME = timedelta(days=90)
LAST_USED_EVERY = 60  # seconds: the last-used time and address are written at most this often


def password_mark(user) -> str:
    """Changes when the user's password does (Django's session hash: an HMAC of the stored
    password hash under SECRET_KEY)."""
    return user.get_session_auth_hash()


class ApiTokenQuerySet(models.QuerySet):
    def live(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    created = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)  # None: never (admins only)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True, default="")
    # The holder's choice at creation: the token outlives a password change and a
    # disabling (it still does nothing while the holder is disabled).
    survives_holder_changes = models.BooleanField(default=False)
    password_mark = models.CharField(max_length=128, editable=False, default="")

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="apitoken_unique_name_per_user")
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def create(
        cls, user, *, name: str, scopes, lifetime: timedelta | None, survives: bool = False
    ) -> tuple["ApiToken", str]:
        """A new token and its clear value, which exists only in this answer."""
        secret, _hash = new_token()
        token = PREFIX + secret
        row = cls.objects.create(
            user=user,
            name=name,
            token_hash=hash_token(token),
            scopes=sorted(set(scopes)),
            expires_at=timezone.now() + lifetime if lifetime is not None else None,
            survives_holder_changes=survives,
            password_mark=password_mark(user),
        )
        return row, token

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired else "active"

    def refusal(self) -> str | None:
        """Why the token does not work now (a code), or None when it does."""
        if self.revoked_at is not None:
            return "revoked"
        if self.is_expired:
            return "expired"
        if not self.user.is_active:
            return "holder_disabled"
        if not self.survives_holder_changes and not constant_time_compare(
            self.password_mark, password_mark(self.user)
        ):
            return "password_changed"
        return None

    def revoke(self, reason: str = "revoked") -> bool:
        """Ends the token; False when it had ended already."""
        changed = ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_reason=reason
        )
        self.refresh_from_db(fields=["revoked_at", "revoked_reason"])
        return bool(changed)

    def touch(self, ip: str) -> None:
        """Remembers when and from where the token was last used, at most once a minute."""
        now = timezone.now()
        if (
            self.last_used_at is not None
            and self.last_used_ip == ip
            and (now - self.last_used_at).total_seconds() < LAST_USED_EVERY
        ):
            return
        ApiToken.objects.filter(pk=self.pk).update(last_used_at=now, last_used_ip=ip or None)
        self.last_used_at, self.last_used_ip = now, ip


# Asked on every API call: its SQL compiled once (homeportal.compiled).
# With the database's change counts (homeportal.changes), as a session reads them: the
# holder's grants are kept under the groups' count.
_BY_HASH = CompiledQuery(
    lambda token_hash: (
        ApiToken.objects.select_related("user")
        .annotate(**count_annotations())
        .filter(token_hash=token_hash)
    )
)


def by_token(token: str) -> ApiToken | None:
    if not token.startswith(PREFIX):
        return None
    return _BY_HASH.first(hash_token(token))
