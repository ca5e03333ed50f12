from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import _user_has_perm  # type: ignore[attr-defined]  # Django's private helper, not in the stubs
from django.db import models
from django.db.models.functions import Length, Lower
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.usernames import MAX_LENGTH, MIN_LENGTH, validate_username
from homeportal import crypto

if TYPE_CHECKING:
    from groups.resolver import Grants


class Provider(models.TextChoices):
    CREDENTIALS = "credentials", _("Password")
    LDAP = "ldap", _("LDAP")
    OIDC = "oidc", _("Single sign-on")
    PROXY = "proxy", _("Reverse proxy")


class ColorScheme(models.TextChoices):
    AUTO = "auto", _("Automatic")
    LIGHT = "light", _("Light")
    DARK = "dark", _("Dark")


class TimeFormat(models.TextChoices):
    LOCALE = "", _("As usual for the language")
    H24 = "24", _("24 hours (14:30)")
    H12 = "12", _("12 hours (2:30 PM)")


class WeekStart(models.TextChoices):
    LOCALE = "", _("As usual for the language")
    MONDAY = "1", _("Monday")
    SUNDAY = "0", _("Sunday")
    SATURDAY = "6", _("Saturday")


class Motion(models.TextChoices):
    SYSTEM = "", _("Follow the system setting")
    REDUCE = "reduce", _("Reduce motion")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> User:  # type: ignore[override]  # Django's backends stop before asking with None
        return self.get(username=username.lower())

    def create_user(self, username: str, password: str | None = None, **fields) -> User:
        user = self.model(username=username.lower(), **fields)
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A person who can log in. Global permissions come from groups only (groups.resolver)."""

    username = models.CharField(
        _("username"), max_length=MAX_LENGTH, unique=True, validators=[validate_username]
    )
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    email = models.EmailField(_("email"), blank=True)
    provider = models.CharField(
        _("provider"), max_length=16, choices=Provider.choices, default=Provider.CREDENTIALS
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_owner = models.BooleanField(_("owner"), default=False, editable=False)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    color_scheme = models.CharField(
        _("color scheme"), max_length=8, choices=ColorScheme.choices, default=ColorScheme.AUTO
    )
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # Display preferences (accounts.preferences applies them to each request). Empty: the
    # default (the server's time zone, the language's habits, the system's motion setting).
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    time_format = models.CharField(
        _("time format"), max_length=2, choices=TimeFormat.choices, blank=True
    )
    week_start = models.CharField(
        _("first day of the week"), max_length=1, choices=WeekStart.choices, blank=True
    )
    motion = models.CharField(_("motion"), max_length=8, choices=Motion.choices, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    # Not stored: the resolver keeps the user's grants on the object (groups.resolver.grants_for),
    # and a call with an API token narrows them to its scopes (apitokens.api.act_as).
    _grants: Grants | None
    restrict_grants: Callable[[Grants], Grants] | None

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(username=Lower("username")), name="user_username_lowercase"
            ),
            models.CheckConstraint(
                condition=models.Q(GreaterThanOrEqual(Length("username"), MIN_LENGTH))
                & models.Q(LessThanOrEqual(Length("username"), MAX_LENGTH)),
                name="user_username_length",
            ),
            models.UniqueConstraint(
                fields=["is_owner"], condition=models.Q(is_owner=True), name="user_single_owner"
            ),
            models.CheckConstraint(
                condition=models.Q(is_owner=False) | models.Q(is_active=True),
                name="user_owner_active",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    def clean(self) -> None:
        super().clean()
        self.username = self.username.lower()

    def get_full_name(self) -> str:
        return self.display_name or self.username

    def get_short_name(self) -> str:
        return self.display_name or self.username

    @property
    def is_local(self) -> bool:
        return self.provider == Provider.CREDENTIALS

    def has_perm(self, perm: str, obj=None) -> bool:
        return self.is_active and _user_has_perm(self, perm, obj)

    def has_perms(self, perm_list, obj=None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return False


class TwoFactor(models.Model):
    """A user's TOTP authenticator. The seed is encrypted at rest (homeportal.crypto), bound
    to this row: copied into another user's row it does not decrypt. `last_step` refuses a
    code used once already (RFC 6238 §5.2)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    encrypted_secret = models.CharField(max_length=200)
    confirmed = models.BooleanField(default=False)
    last_step = models.BigIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"2FA of {self.user}"

    def secret(self) -> str:
        """The seed, or crypto.DecryptionError when the stored value cannot be opened."""
        return TWO_FACTOR_SEED.open(self)

    def set_secret(self, seed: str) -> None:
        """Seals `seed` for this row (which must be saved already: the row id is bound)."""
        self.encrypted_secret = TWO_FACTOR_SEED.seal(self, seed)
        TwoFactor.objects.filter(pk=self.pk).update(encrypted_secret=self.encrypted_secret)


TWO_FACTOR_SEED = crypto.register_sealed(TwoFactor, "encrypted_secret", "accounts.TwoFactor.secret")


class RecoveryCode(models.Model):
    """A one-time code for when the authenticator is lost; stored as a password hash."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=200)
    used = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of {self.user}"


class ExternalIdentity(models.Model):
    """Links a user to a person at an external provider, by a key that never changes there.

    - ldap: issuer is `directory`, subject the entry's entryUUID / objectGUID (or its DN when
      the directory has neither);
    - oidc: issuer is the ID token's `iss`, subject its `sub`;
    - proxy: issuer is the header the subject came from (`x-authentik-uid`, `remote-user`...),
      subject that header's value.

    Names and e-mail addresses are never used to find an account: they can change or be reused
    at the provider, and a name that matches a local account must never take it over.
    """

    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices)
    issuer = models.CharField(_("issuer"), max_length=512)
    subject = models.CharField(_("subject"), max_length=512)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="external_identities", verbose_name=_("user")
    )
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_login = models.DateTimeField(_("last login"), null=True, blank=True)

    class Meta:
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "issuer", "subject"], name="external_identity_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject} → {self.user}"
