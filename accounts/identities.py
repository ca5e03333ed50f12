"""Accounts for people who log in through LDAP, OIDC or a reverse proxy.

Every external login ends in `login_external(profile)`: it finds the account linked to the
provider's stable key (an `ExternalIdentity`), or links a placeholder an admin prepared, or
creates one, then updates name and e-mail and mirrors group memberships. It never takes over
an account because a name matches: when the provider's name, once normalised to homeportal's
username rule, belongs to an account that is not linked to this person, the login is refused
with a message that tells an admin what to do. Names in other scripts are transliterated
(`Иван` → `ivan`, display name `Иван`); when such a derived name is unusable or taken, the
person gets a name of their own derived from the provider's key (`proxy-1a2b3c4d5e`).
"""

import hashlib
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ExternalIdentity, Provider, User
from accounts.usernames import is_reserved, normalize_username
from homeportal.text import storable
from sessions_admin import audit

logger = logging.getLogger(__name__)

PROVIDER_NAMES: dict[str, str] = {
    Provider.LDAP: "LDAP",
    Provider.OIDC: "single sign-on",
    Provider.PROXY: "reverse proxy",
}


@dataclass(frozen=True)
class ExternalProfile:
    """What a provider says about the person who just proved who they are."""

    provider: str
    issuer: str
    subject: str
    username: str  # as the provider spells it; normalised before use
    email: str = ""
    display_name: str = ""
    # None: the provider said nothing about groups (memberships are left alone).
    groups: tuple[str, ...] | None = field(default=None)
    # The provider checked that `email` is this person's (OIDC's email_verified claim).
    email_verified: bool = False

    def __post_init__(self) -> None:
        # Claims, headers and directory attributes may hold what no database stores (a NUL,
        # an unpaired surrogate); nobody can be asked to retype them, so they are dropped.
        for name in ("issuer", "subject", "username", "email", "display_name"):
            object.__setattr__(self, name, storable(getattr(self, name)))
        if self.groups is not None:
            object.__setattr__(self, "groups", tuple(storable(g) for g in self.groups))


class LoginRefused(Exception):
    """The person proved who they are at the provider, but homeportal will not log them in.

    `message` is shown on the login page; `reason` goes to the login history and the log.
    """

    def __init__(self, provider: str, message: str, reason: str) -> None:
        super().__init__(reason)
        self.provider = provider
        self.message = message
        self.reason = reason


def _clean_email(value: str) -> str:
    value = (value or "").strip()
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value[:254]


def _creation_allowed(provider: str) -> bool:
    allowed: dict[str, bool] = {
        Provider.LDAP: settings.AUTH_LDAP_CREATE_USERS,
        Provider.OIDC: settings.AUTH_OIDC_CREATE_USERS,
        Provider.PROXY: settings.AUTH_PROXY_CREATE_USERS,
    }
    return allowed[provider]


def _refuse_name(profile: ExternalProfile, username: str, why: str) -> LoginRefused:
    provider = PROVIDER_NAMES[profile.provider]
    if why == "reserved":
        message = _(
            "Your %(provider)s account “%(name)s” would become the homeportal user “%(username)s”, "
            "which is a reserved name. An admin can give you a different user name at the "
            "provider."
        )
    else:
        message = _(
            "Your %(provider)s account “%(name)s” would become the homeportal user “%(username)s”, "
            "but that name belongs to another account that is not linked to it. An admin can "
            "rename or delete that account, then you can log in."
        )
    return LoginRefused(
        profile.provider,
        message % {"provider": provider, "name": profile.username, "username": username},
        f"username {username!r} {'reserved' if why == 'reserved' else 'taken by another account'}",
    )


def fallback_username(profile: ExternalProfile) -> str:
    """A name of this person's own, stable across logins: derived from the provider's key."""
    key = "\0".join((profile.provider, profile.issuer, profile.subject))
    return f"{profile.provider}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"


def _transliterated(profile: ExternalProfile) -> bool:
    """The provider's name is not plain ASCII: the username derived from it is our guess."""
    return not (profile.username or profile.subject).isascii()


def display_name_of(profile: ExternalProfile) -> str:
    """The provider's display name; else, for a name in another script, the name itself
    (`Иван` stays the display name of the account `ivan`)."""
    name = profile.display_name.strip()
    if not name and _transliterated(profile):
        name = (profile.username or "").strip()
    return name[:150]


def _placeholder(profile: ExternalProfile, username: str) -> User | None:
    """An account an admin created for this provider, never used and not linked yet, that
    waits for this person.

    OpenID Connect: found only by the e-mail address the provider says it verified
    (`email_verified`), never by the name, which people can often choose at their provider.
    LDAP and reverse proxy: by the username, which the admin's own directory or proxy sets.
    """
    candidates = User.objects.filter(provider=profile.provider, last_login__isnull=True).exclude(
        external_identities__provider=profile.provider
    )
    if profile.provider == Provider.OIDC:
        email = _clean_email(profile.email)
        if not (email and profile.email_verified):
            return None
        matches = list(candidates.filter(email__iexact=email)[:2])
        return matches[0] if len(matches) == 1 else None
    return candidates.filter(username=username).first()


def _link(profile: ExternalProfile, user: User, ip: str | None) -> User:
    ExternalIdentity.objects.create(
        provider=profile.provider, issuer=profile.issuer, subject=profile.subject, user=user
    )
    logger.info("%s login linked %s to the account an admin prepared", profile.provider,
                user.username)  # fmt: skip
    details = {"provider": profile.provider, "subject": profile.subject}
    audit.record("user.linked", target=user, ip=ip, details=details)
    return user


def _find_or_create(profile: ExternalProfile, ip: str | None) -> User:
    identity = (
        ExternalIdentity.objects.select_related("user")
        .filter(provider=profile.provider, issuer=profile.issuer, subject=profile.subject)
        .first()
    )
    if identity is not None:
        return identity.user

    fallback = fallback_username(profile)
    username = normalize_username(profile.username or profile.subject, fallback=fallback)
    placeholder = _placeholder(profile, username)
    if placeholder is not None:
        return _link(profile, placeholder, ip)
    for why, unusable in (
        ("reserved", is_reserved(username)),
        ("taken", User.objects.filter(username=username).exists()),
    ):
        if not unusable:
            continue
        if not _transliterated(profile):
            # The provider's own name belongs to somebody else: an admin must decide.
            raise _refuse_name(profile, username, why)
        # A name we derived from another script: the person gets one of their own.
        username = fallback
        if User.objects.filter(username=username).exists():
            raise _refuse_name(profile, username, "taken")
        break

    if not _creation_allowed(profile.provider):
        raise LoginRefused(
            profile.provider,
            _(
                "There is no homeportal account for “%(name)s” yet, and accounts are not "
                "created automatically. Ask an admin to create the account “%(username)s”."
            )
            % {"name": profile.username, "username": username},
            "no account, and creation is off",
        )
    user = User.objects.create_user(
        username,
        None,  # an unusable password: this person logs in through the provider only
        provider=profile.provider,
        email=_clean_email(profile.email),
        display_name=display_name_of(profile),
    )
    ExternalIdentity.objects.create(
        provider=profile.provider, issuer=profile.issuer, subject=profile.subject, user=user
    )
    logger.info("%s login created the account %s", profile.provider, username)
    details = {"provider": profile.provider, "subject": profile.subject}
    audit.record("user.created", target=user, ip=ip, details=details)
    return user


def login_external(profile: ExternalProfile, *, ip: str | None = None) -> User:
    """The active account for this person, up to date; raises LoginRefused otherwise."""
    from accounts.groupsync import mirror_groups

    if not profile.subject:
        raise LoginRefused(
            profile.provider,
            _("The provider did not say who you are. Ask an admin to check its settings."),
            "no subject",
        )
    try:
        with transaction.atomic():
            user = _find_or_create(profile, ip)
    except IntegrityError:
        # Two first logins of the same person at once: the other one created the account.
        user = _find_or_create(profile, ip)
    if not user.is_active:
        raise LoginRefused(
            profile.provider,
            _("Your homeportal account is disabled. Ask an admin to enable it."),
            "account disabled",
        )
    if user.provider != profile.provider:
        # An admin switched the account to another provider: it no longer logs in this way.
        raise LoginRefused(
            profile.provider,
            _("Your homeportal account does not log in this way any more. Ask an admin."),
            f"account now uses {user.provider}",
        )

    changed = []
    email = _clean_email(profile.email)
    if email and email != user.email:
        user.email = email
        changed.append("email")
    name = display_name_of(profile)
    if name and name != user.display_name:
        user.display_name = name
        changed.append("display_name")
    if changed:
        user.save(update_fields=changed)
    ExternalIdentity.objects.filter(
        provider=profile.provider, issuer=profile.issuer, subject=profile.subject
    ).update(last_login=timezone.now())
    if profile.groups is not None:
        mirror_groups(user, profile.provider, profile.groups, ip=ip)
    return user
