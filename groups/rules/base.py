"""What every rule module shares: the refusal, the actors, the lock and the invariants.

Every operation names who acts: a user, a login provider mirroring its groups
(`ProviderActor`), or the system acting by name in a management command or a migration
(`SystemActor`). There is no actor-less path: `None` is refused.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.dispatch import Signal
from django.utils.translation import gettext as _

from groups.models import Group
from groups.permissions import ADMIN
from groups.resolver import bump_version, holders


class RuleError(ValidationError):
    """A change refused by a role rule; the message says why."""


# Sent inside the transaction of a change that may give someone a permission they lacked (a
# membership added, a permission added to a group). Receivers end what must not outlive it:
# invites.links ends every pending link whose user now holds more than its creator.
permissions_gained = Signal()


@dataclass(frozen=True)
class SystemActor:
    """The system, acting by name: a management command or a migration."""

    name: str
    pk = None
    is_owner = False
    is_active = True

    def __str__(self) -> str:
        return f"system ({self.name})"


@dataclass(frozen=True)
class ProviderActor:
    """A login provider mirroring its groups at a login: it changes only the memberships it
    manages, never anything else."""

    provider: str
    pk = None
    is_owner = False
    is_active = True

    def __str__(self) -> str:
        return f"provider ({self.provider})"


def system(name: str) -> SystemActor:
    return SystemActor(name)


def is_system(actor) -> bool:
    return isinstance(actor, SystemActor)


def is_provider(actor) -> bool:
    return isinstance(actor, ProviderActor)


def require_actor(actor) -> None:
    if actor is None:
        raise RuleError(_("Every change names who makes it; this one names nobody."))


def refuse(reason: str | None) -> None:
    if reason:
        raise RuleError(reason)


def lock() -> None:
    """Serialises every rule-checked change: taken first, before any check reads state."""
    list(Group.objects.select_for_update().filter(is_everyone=True).values_list("pk"))


def admin_user_ids(active_only: bool = True) -> set[int]:
    """Users who hold `admin` (the resolver's answer: `holders`)."""
    return set(holders(ADMIN, include_inactive=not active_only).values_list("pk", flat=True))


def is_admin(user) -> bool:
    """Whether `user` holds `admin`, or would once enabled."""
    return holders(ADMIN, include_inactive=True).filter(pk=user.pk).exists()


def check_invariants(actor, admins_before: set[int]) -> None:
    """After a change, inside its transaction: an active admin remains, the owner is one,
    nobody removed their own admin rights; who lost admin loses every session."""
    from accounts.models import User

    admins = admin_user_ids()
    if not admins:
        raise RuleError(_("This would leave no active admin. Make someone else an admin first."))
    owner = User.objects.filter(is_owner=True).first()
    if owner is not None and owner.pk not in admins:
        raise RuleError(_("The owner is always an active admin."))
    if actor.pk is not None and actor.pk in admins_before and actor.pk not in admins:
        raise RuleError(_("You cannot remove your own admin rights."))
    demoted = admins_before - admins
    if demoted:
        # Losing admin ends every session (DESIGN.md): a browser left open with admin pages
        # must not keep acting on what it loaded while it was allowed to.
        from sessions_admin.models import UserSession

        UserSession.objects.filter(user_id__in=demoted).delete()
    bump_version()
