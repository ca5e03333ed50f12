"""The owner (DESIGN.md): always an active admin, never disabled, deleted or taken out of a
group by anyone but themselves, and the only one who hands ownership on. Checks first, then the
transfer, which checks again inside its transaction after the lock.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from groups.rules.base import check_invariants, is_admin, is_system, lock, refuse, require_actor
from sessions_admin import audit

# --- Checks --------------------------------------------------------------------------------


def owner_removal_refusal(actor, owner) -> str | None:
    """Why `actor` may not take `owner` out of a group, whatever the route."""
    if owner is None or not owner.is_owner or is_system(actor) or actor.pk == owner.pk:
        return None
    return _("Only the owner can take the owner out of a group.")


def transfer_refusal(actor, new_owner, *, target_is_admin: bool | None = None) -> str | None:
    """Why `actor` may not hand ownership to `new_owner`."""
    if actor is None or not actor.is_owner:
        return _("Only the owner can hand over ownership.")
    if new_owner.pk == actor.pk:
        return _("You are the owner already.")
    admin = target_is_admin if target_is_admin is not None else is_admin(new_owner)
    if not new_owner.is_active or not admin:
        return _("Ownership can only go to an active admin.")
    return None


# --- Effects -------------------------------------------------------------------------------


def transfer_ownership(new_owner, *, actor, ip: str | None = None) -> None:
    """Hands ownership on. Everything is read again after the lock: a concurrent change
    (the new owner losing admin, the actor no longer owner) is seen before anything moves."""
    from accounts.models import User

    require_actor(actor)
    with transaction.atomic():
        lock()
        actor.refresh_from_db(fields=["is_owner", "is_active"])
        new_owner.refresh_from_db(fields=["is_owner", "is_active"])
        refuse(transfer_refusal(actor, new_owner))
        User.objects.filter(pk=actor.pk).update(is_owner=False)
        User.objects.filter(pk=new_owner.pk).update(is_owner=True)
        actor.is_owner, new_owner.is_owner = False, True
        check_invariants(actor, set())
        audit.record("user.ownership_transferred", actor=actor, target=new_owner, ip=ip)
