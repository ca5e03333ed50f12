"""Memberships: who is in which group, by hand, by invite or mirrored from a login provider.

Checks first (placement by the user-manager rule, provider-managed memberships, the owner's
memberships), then the effects, inside one transaction taken after the lock.
"""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from groups.models import Group, Membership
from groups.resolver import bump_version
from groups.rules.base import (
    admin_user_ids,
    check_invariants,
    is_provider,
    lock,
    permissions_gained,
    refuse,
    require_actor,
)
from groups.rules.delegation import actor_may_manage, manage_refusal, placement_refusal
from sessions_admin import audit

# --- Checks --------------------------------------------------------------------------------


def provider_label(provider: str) -> str:
    """The provider as it reads inside a sentence: "comes from the reverse proxy"."""
    labels = {
        "ldap": _("LDAP"),
        "oidc": _("single sign-on (OIDC)"),
        "proxy": _("the reverse proxy"),
    }
    return labels.get(provider, provider)


def managed_by_provider(membership: Membership) -> bool:
    local = getattr(settings, "AUTH_GROUPS_LOCAL_MANAGEMENT", ())
    return bool(membership.managed_by) and membership.managed_by not in local


def membership_lock_reason(membership: Membership) -> str | None:
    """Why a membership cannot be changed by hand, or None."""
    if managed_by_provider(membership):
        return _("Comes from %(provider)s at each login; change it there.") % {
            "provider": membership.managed_by.upper()
        }
    return None


def add_refusal(actor, group: Group, user) -> str | None:
    """Why `actor` may not put `user` in `group`. A provider mirrors its own groups (an
    admin decided, by mapping them, that its members join)."""
    if group.is_everyone:
        return _("Everyone is in the everyone group; it has no members to add.")
    if is_provider(actor):
        return None
    return manage_refusal(actor, user) or placement_refusal(actor, group)


def remove_refusal(actor, group: Group, user, membership: Membership) -> str | None:
    """Why `actor` may not take `user` out of `group`. A provider takes out only what it
    manages; nobody else takes out what a provider manages."""
    if is_provider(actor):
        if membership.managed_by != actor.provider:
            return _("A login provider changes only the memberships it manages.")
        return None
    reason = manage_refusal(actor, user, group)
    if reason:
        return reason
    if managed_by_provider(membership):
        return _("This membership comes from %(provider)s and is changed there.") % {
            "provider": provider_label(membership.managed_by)
        }
    return None


def check_may_invite(actor, groups=()) -> None:
    """Inviting is placing people: an invite's default groups follow the placement rule."""
    actor_may_manage(actor)
    for group in groups:
        if not group.is_everyone:
            refuse(placement_refusal(actor, group))


# --- Effects -------------------------------------------------------------------------------


def add_member(group: Group, user, *, actor, ip: str | None = None) -> Membership:
    require_actor(actor)
    with transaction.atomic():
        lock()
        group.refresh_from_db()  # its permissions as they are now, not as a page loaded them
        refuse(add_refusal(actor, group, user))
        managed_by = actor.provider if is_provider(actor) else ""
        membership, created = Membership.objects.get_or_create(
            user=user, group=group, defaults={"managed_by": managed_by}
        )
        if created:
            bump_version()
            permissions_gained.send(sender=Membership, actor=actor)
            audit.record(
                "group.member_added", actor=actor, target=group, ip=ip,
                details={"user": user.username, "managed_by": managed_by},
            )  # fmt: skip
    return membership


def remove_member(group: Group, user, *, actor, ip: str | None = None) -> None:
    require_actor(actor)
    with transaction.atomic():
        lock()
        membership = Membership.objects.filter(group=group, user=user).first()
        if membership is None:
            return
        refuse(remove_refusal(actor, group, user, membership))
        admins_before = admin_user_ids()
        membership.delete()
        check_invariants(actor, admins_before)
        audit.record(
            "group.member_removed", actor=actor, target=group, ip=ip,
            details={"user": user.username,
                     "by_provider": actor.provider if is_provider(actor) else ""},
        )  # fmt: skip


def set_groups(user, groups, *, actor, ip: str | None = None) -> None:
    """Makes `user`'s memberships exactly `groups`, through add_member and remove_member and
    their rules, in one transaction that reads the memberships after the lock. Additions go
    first so that moving someone from one admin group to another never passes through a state
    without admin."""
    require_actor(actor)
    wanted = {g.pk: g for g in groups if not g.is_everyone}
    with transaction.atomic():
        lock()
        memberships = Membership.objects.filter(user=user).select_related("group")
        current = {m.group_id: m for m in memberships}
        for pk, group in wanted.items():
            if pk not in current:
                add_member(group, user, actor=actor, ip=ip)
        for pk, membership in current.items():
            if pk not in wanted:
                remove_member(membership.group, user, actor=actor, ip=ip)
