"""Recovering access: the domain operations behind `reset_password`, `recreate_admin` and
`fix_usernames`, kept here so the admin pages can reuse them.

Each operation runs in one transaction: it checks everything first, and an error anywhere
rolls back every change (no password set without the sessions ended, no user without their
group, no half-renamed set of accounts). Refusals raise `RecoveryError` with a sentence an
admin in a container shell can act on. Passwords are never written to the audit log.
"""

import secrets
import string
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts import throttle, two_factor
from accounts.models import Provider, User
from accounts.usernames import MAX_LENGTH, normalize_username, validate_username
from groups.models import Group, Membership, validate_group_name
from groups.permissions import ADMIN
from groups.resolver import bump_version
from groups.rules import admin_user_ids, system
from sessions_admin import audit
from sessions_admin.services import revoke_sessions

GENERATED_LENGTH = 48
# Letters and digits only: a generated password survives copying from any terminal, chat or
# password manager, and 48 of them carry about 285 bits.
ALPHABET = string.ascii_letters + string.digits
TEMPORARY_GROUP_PREFIX = "recovered-admins-"
SUFFIX = "suffix"
RESOLUTIONS = (SUFFIX,)


class RecoveryError(ValidationError):
    """A recovery operation refused; the message says why and what to do instead."""

    def __str__(self) -> str:
        return " ".join(self.messages)


# --- Shared checks ---------------------------------------------------------------------------


def credentials_enabled() -> bool:
    return Provider.CREDENTIALS in settings.AUTH_PROVIDERS


def require_credentials() -> None:
    if not credentials_enabled():
        raise RecoveryError(
            _(
                "Password login is turned off: AUTH_PROVIDERS is “%(providers)s” and does not "
                "list credentials. Add credentials to AUTH_PROVIDERS (for example "
                "AUTH_PROVIDERS=credentials,%(providers)s) and restart homeportal first."
            )
            % {"providers": ",".join(settings.AUTH_PROVIDERS)}
        )


def cache_is_shared() -> bool:
    """Whether this process shares the server's cache (REDIS_URL). Without it, login locks
    live in the server's own memory and a command run beside it cannot lift them."""
    return "LocMemCache" not in settings.CACHES["default"]["BACKEND"]


def generate_password(user: User | None = None) -> str:
    """A random password of 48 letters and digits that also passes the password policy."""
    while True:
        password = "".join(secrets.choice(ALPHABET) for _ in range(GENERATED_LENGTH))
        try:
            password_validation.validate_password(password, user)
        except ValidationError:  # pragma: no cover - astronomically unlikely
            continue
        return password


def check_password_policy(password: str, user: User) -> None:
    """Django's password validators (length, common passwords, similarity to the user)."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise RecoveryError(
            _("This password is not accepted: %(reasons)s") % {"reasons": " ".join(error.messages)}
        ) from None


_PROVIDER_REFUSALS: dict[str, Promise] = {
    Provider.LDAP: _lazy(
        "“%(name)s” logs in through LDAP: their password is kept by the LDAP directory, not "
        "by homeportal. Change it in the directory."
    ),
    Provider.OIDC: _lazy(
        "“%(name)s” logs in with single sign-on (OIDC): their password is kept by the identity "
        "provider, not by homeportal. Change it there."
    ),
    Provider.PROXY: _lazy(
        "“%(name)s” is logged in by the reverse proxy: their password is kept by the proxy's "
        "authentication service (Authelia, authentik…), not by homeportal. Change it there."
    ),
}


def find_user(name: str) -> User:
    """The user named `name`, in any case. Exact matches win when old data holds several
    accounts whose names differ only in case."""
    name = name.strip()
    candidates = list(User.objects.filter(username__iexact=name))
    if not candidates:
        raise RecoveryError(_("There is no user named “%(name)s”.") % {"name": name})
    if len(candidates) > 1:
        exact = [user for user in candidates if user.username == name]
        if exact:
            return exact[0]
        raise RecoveryError(
            _(
                "Several accounts are named “%(name)s” in different cases (%(names)s). Give the "
                "exact name, or run fix_usernames to give them distinct names."
            )
            % {"name": name, "names": ", ".join(sorted(u.username for u in candidates))}
        )
    return candidates[0]


# --- reset_password --------------------------------------------------------------------------


@dataclass
class PasswordReset:
    user: User
    password: str
    generated: bool
    force_change: bool
    sessions_ended: int
    two_factor_disabled: bool = False


def check_resettable(user: User) -> None:
    """Refuses before anything is asked when the password cannot be reset here."""
    require_credentials()
    if user.provider != Provider.CREDENTIALS:
        refusal = _PROVIDER_REFUSALS.get(
            user.provider,
            _lazy("“%(name)s” does not log in with a homeportal password (%(provider)s)."),
        )
        raise RecoveryError(str(refusal) % {"name": user.username, "provider": user.provider})


def reset_password(
    user: User,
    password: str | None = None,
    *,
    force_change: bool = True,
    actor: User | None = None,
    ip: str | None = None,
    via: str = "reset_password command",
    disable_two_factor: bool = False,
) -> PasswordReset:
    """Sets a new password (the one given, checked against the policy, or a generated one),
    ends every session of the user, unlocks the account and writes an audit entry."""
    check_resettable(user)
    generated = password is None
    if password is None:
        password = generate_password(user)
    else:
        check_password_policy(password, user)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        check_resettable(user)
        user.set_password(password)
        user.must_change_password = force_change
        user.save(update_fields=["password", "must_change_password"])
        ended = revoke_sessions(user)
        had_two_factor = disable_two_factor and two_factor.is_enabled(user)
        if disable_two_factor:
            two_factor.disable(user)
        audit.record(
            "user.password_reset", actor=actor or system("reset_password"), target=user, ip=ip,
            details={"via": via, "generated": generated, "force_change": force_change,
                     "sessions_ended": ended, "two_factor_disabled": had_two_factor},
        )  # fmt: skip
    throttle.clear(user.username)  # once the reset is done; the lock lives in the cache
    return PasswordReset(user, password, generated, force_change, ended, had_two_factor)


# --- recreate_admin --------------------------------------------------------------------------


@dataclass
class RecreatedAdmin:
    user: User
    password: str
    group: Group
    became_owner: bool


def credentials_admins():
    """Active users who log in with a password and hold `admin`, the owner first."""
    return User.objects.filter(
        pk__in=admin_user_ids(active_only=True), provider=Provider.CREDENTIALS
    ).order_by("-is_owner", "username")


def temporary_group_name() -> str:
    """`recovered-admins-` and eight random hex digits: valid under the group-name rules and
    obviously temporary, so it stands out in the group list until it is renamed."""
    while True:
        name = TEMPORARY_GROUP_PREFIX + secrets.token_hex(4)
        validate_group_name(name)
        if not Group.objects.filter(name__iexact=name).exists():
            return name


def recreate_admin(
    username: str,
    *,
    force_change: bool = True,
    actor: User | None = None,
    ip: str | None = None,
) -> RecreatedAdmin:
    """Creates a password user in a new group holding `admin`, when no active password user
    holds `admin`. The user becomes the owner if the instance has none."""
    require_credentials()
    username = username.strip()
    try:
        validate_username(username)
    except ValidationError as error:
        raise RecoveryError(
            _("“%(name)s” cannot be used as a username: %(reason)s")
            % {"name": username, "reason": " ".join(error.messages)}
        ) from None
    username = username.lower()
    with transaction.atomic():
        # The lock groups.rules takes: serialises with every membership and permission change,
        # and with a second recreate_admin started at the same time.
        list(Group.objects.select_for_update().filter(is_everyone=True).values_list("pk"))
        existing = credentials_admins().first()
        if existing is not None:
            raise RecoveryError(
                _(
                    "An active admin who logs in with a password exists already: “%(name)s”. "
                    "recreate_admin only helps when there is none. If that password is lost, "
                    "run reset_password --username %(name)s instead."
                )
                % {"name": existing.username}
            )
        if User.objects.filter(username__iexact=username).exists():
            raise RecoveryError(
                _(
                    "A user named “%(name)s” exists already. Choose another name for the new "
                    "admin (or, if it is a password account, reset its password with "
                    "reset_password)."
                )
                % {"name": username}
            )
        became_owner = not User.objects.filter(is_owner=True).exists()
        password = generate_password(User(username=username))
        user = User.objects.create_user(
            username, password, provider=Provider.CREDENTIALS, is_owner=became_owner,
            must_change_password=force_change,
        )  # fmt: skip
        last = Group.objects.regular().aggregate(last=Max("position"))["last"]
        group = Group(name=temporary_group_name(), permissions=[ADMIN], position=(last or 0) + 1)
        group.full_clean()
        group.save()
        Membership.objects.create(user=user, group=group)
        bump_version()
        audit.record(
            "user.admin_recreated", actor=actor or system("recreate_admin"), target=user, ip=ip,
            details={"group": group.name, "became_owner": became_owner,
                     "force_change": force_change},
        )  # fmt: skip
    return RecreatedAdmin(user, password, group, became_owner)


# --- fix_usernames ---------------------------------------------------------------------------


@dataclass
class Rename:
    user_id: int
    old: str
    new: str


@dataclass
class Collision:
    """Accounts that the rule would give the same name (or a reserved one)."""

    target: str
    users: list[tuple[int, str]]  # (id, current name), oldest account first
    reason: str  # "taken" or "reserved"
    holder: str | None = None  # a valid account that keeps `target`, if any


@dataclass
class UsernameFixes:
    renames: list[Rename] = field(default_factory=list)
    collisions: list[Collision] = field(default_factory=list)
    resolved: list[Rename] = field(default_factory=list)  # collisions given numbered names
    applied: bool = False

    @property
    def unresolved(self) -> list[Collision]:
        return [] if self.resolved else self.collisions


def follows_rule(name: str) -> bool:
    """Whether a stored name follows the current rule: valid, not reserved, lowercase."""
    try:
        validate_username(name)
    except ValidationError:
        return False
    return name == name.lower()


def target_name(name: str) -> str:
    """The name a stored name should have. A name whose only fault is its case is just
    lowercased; anything else goes through the same normalisation as names from providers."""
    lowered = name.lower()
    return lowered if follows_rule(lowered) else normalize_username(name)


def _numbered(base: str, number: int) -> str:
    suffix = f"-{number}"
    return base[: MAX_LENGTH - len(suffix)].rstrip("._-") + suffix


def plan_username_fixes(resolve: str | None = None) -> UsernameFixes:
    """What fix_usernames would do, without changing anything.

    Accounts whose name follows the rule keep it. The others get `target_name`, unless that
    name is reserved, held by an account that keeps its name, or wanted by several accounts:
    those are collisions, left alone, or with `resolve="suffix"` given numbered names
    (`bob-1`, `bob-2`, … oldest account first). In a collision nobody gets the contested name
    itself, so no account is mistaken for another.
    """
    if resolve not in (None, *RESOLUTIONS):
        raise RecoveryError(
            _("Unknown way to resolve collisions: “%(name)s”. Use --resolve suffix.")
            % {"name": resolve}
        )
    users = list(User.objects.order_by("pk").values_list("pk", "username"))
    keep = {name.lower(): name for _, name in users if follows_rule(name)}
    wanted: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pk, name in users:
        if not follows_rule(name):
            wanted[target_name(name)].append((pk, name))

    fixes = UsernameFixes()
    for target, accounts in wanted.items():
        reserved = not follows_rule(target)  # a normalised name can only fail by being reserved
        if len(accounts) == 1 and not reserved and target not in keep:
            pk, name = accounts[0]
            fixes.renames.append(Rename(pk, name, target))
        else:
            fixes.collisions.append(
                Collision(target, accounts, "reserved" if reserved else "taken", keep.get(target))
            )

    if resolve == SUFFIX and fixes.collisions:
        # Never hand out a name any account has now or will have after this run.
        used = {name.lower() for _, name in users} | {r.new for r in fixes.renames}
        for collision in fixes.collisions:
            number = 0
            for pk, name in collision.users:
                while True:
                    number += 1
                    candidate = _numbered(collision.target, number)
                    if candidate not in used and follows_rule(candidate):
                        break
                used.add(candidate)
                fixes.resolved.append(Rename(pk, name, candidate))
    return fixes


def fix_usernames(
    *, dry_run: bool = False, resolve: str | None = None, actor: User | None = None
) -> UsernameFixes:
    """Renames every account whose stored name breaks the rule, in one transaction, with an
    audit entry per rename. With `dry_run` it only plans."""
    if dry_run:
        return plan_username_fixes(resolve)
    with transaction.atomic():
        list(User.objects.select_for_update().values_list("pk"))  # nobody renames meanwhile
        fixes = plan_username_fixes(resolve)
        for rename in [*fixes.renames, *fixes.resolved]:
            user = User.objects.get(pk=rename.user_id)
            user.username = rename.new
            user.save(update_fields=["username"])
            audit.record(
                "user.renamed", actor=actor or system("fix_usernames"), target=user,
                details={"from": rename.old, "to": rename.new, "via": "fix_usernames command"},
            )  # fmt: skip
        fixes.applied = True
    return fixes
