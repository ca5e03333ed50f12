"""Groups and their global permissions: create, rename, map external names, order, change
permissions, delete. A permission added to a group (`everyone` included: that gives it to
every user) follows the grant rule; the order decides home boards, so only admins change it.
Checks first, then the effects, inside one transaction taken after the lock.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from groups.models import Group, Membership
from groups.resolver import bump_version, grants_for
from groups.rules.base import (
    RuleError,
    admin_user_ids,
    check_invariants,
    is_system,
    lock,
    permissions_gained,
    refuse,
    require_actor,
)
from groups.rules.delegation import actor_may_manage, check_grant
from groups.rules.ownership import owner_removal_refusal
from sessions_admin import audit

# --- Checks --------------------------------------------------------------------------------


def reorder_refusal(actor, *, grants=None) -> str | None:
    if is_system(actor):
        return None
    grants = grants if grants is not None else grants_for(actor, refresh=True)
    if not grants.is_admin:
        return _("Only admins can change the order of groups: it decides everyone's home board.")
    return None


def two_factor_refusal(actor, *, grants=None) -> str | None:
    """Who must use two-factor login is a system setting: admins decide it."""
    if is_system(actor):
        return None
    grants = grants if grants is not None else grants_for(actor, refresh=True)
    if not grants.is_admin:
        return _("Only admins decide who must use two-factor login.")
    return None


def check_may_reorder(actor) -> None:
    require_actor(actor)
    refuse(reorder_refusal(actor))


def group_delete_refusal(actor, group: Group) -> str | None:
    """Why `actor` may not delete `group`: deleting a group takes its members out of it, so
    the owner's memberships are the owner's alone to end."""
    if group.is_everyone:
        return _("The everyone group cannot be deleted.")
    owners = Membership.objects.filter(group=group, user__is_owner=True).select_related("user")
    owner = owners.first()
    return owner_removal_refusal(actor, owner.user) if owner is not None else None


# --- Effects -------------------------------------------------------------------------------


def set_permissions(group: Group, permissions, *, actor, ip: str | None = None) -> None:
    require_actor(actor)
    wanted = sorted(set(permissions))
    with transaction.atomic():
        lock()
        group.refresh_from_db()
        actor_may_manage(actor, group=group)
        check_grant(actor, group.permissions, wanted)
        before = sorted(group.permissions)
        admins_before = admin_user_ids()
        group.permissions = wanted
        group.full_clean(exclude=["name"])  # unchanged; and `everyone` is a reserved name
        group.save(update_fields=["permissions"])
        check_invariants(actor, admins_before)
        if set(wanted) - set(before):
            permissions_gained.send(sender=Group, actor=actor)
        if before != wanted:
            audit.record(
                "group.permissions_changed", actor=actor, target=group, ip=ip,
                details={"before": before, "after": wanted},
            )  # fmt: skip


def create_group(name: str, permissions=(), *, actor, ip: str | None = None) -> Group:
    require_actor(actor)
    wanted = sorted(set(permissions))
    with transaction.atomic():
        lock()
        actor_may_manage(actor)
        check_grant(actor, [], wanted)
        last = Group.objects.regular().order_by("-position").values_list("position", flat=True)
        group = Group(name=name, permissions=wanted, position=(last.first() or 0) + 1)
        group.full_clean()
        group.save()
        audit.record(
            "group.created", actor=actor, target=group, ip=ip, details={"permissions": wanted}
        )
    return group


def rename_group(group: Group, name: str, *, actor, ip: str | None = None) -> None:
    if group.is_everyone:
        raise RuleError(_("The everyone group cannot be renamed."))
    require_actor(actor)
    with transaction.atomic():
        lock()
        actor_may_manage(actor, group=group)
        before = group.name
        if before == name:
            return
        group.name = name
        group.full_clean()
        group.save(update_fields=["name"])
        audit.record(
            "group.renamed", actor=actor, target=group, ip=ip,
            details={"before": before, "after": name},
        )  # fmt: skip


def set_external_names(group: Group, names, *, actor, ip: str | None = None) -> None:
    """The LDAP, OIDC or proxy group names mirrored onto `group` at each login."""
    if group.is_everyone:
        raise RuleError(_("Everyone is in the everyone group; it maps no external group."))
    require_actor(actor)
    wanted = sorted({n.strip() for n in names if n.strip()}, key=str.lower)
    with transaction.atomic():
        lock()
        actor_may_manage(actor, group=group)
        before = list(group.external_names)
        if before == wanted:
            return
        group.external_names = wanted
        group.full_clean()
        group.save(update_fields=["external_names"])
        audit.record(
            "group.external_names_changed", actor=actor, target=group, ip=ip,
            details={"before": before, "after": wanted},
        )  # fmt: skip


def set_two_factor_required(group: Group, required: bool, *, actor, ip: str | None = None) -> None:
    """Requires (or no longer requires) two-factor login of the group's members who log in
    with a password; on `everyone`, of every such user. Takes effect on their next request."""
    require_actor(actor)
    with transaction.atomic():
        lock()
        group.refresh_from_db()
        refuse(two_factor_refusal(actor))
        if group.require_two_factor == required:
            return
        group.require_two_factor = required
        group.save(update_fields=["require_two_factor"])
        bump_version()
        audit.record(
            "group.two_factor_required" if required else "group.two_factor_optional",
            actor=actor, target=group, ip=ip,
        )  # fmt: skip


def reorder_groups(groups_in_order, *, actor, ip: str | None = None) -> None:
    """Gives the regular groups positions 1, 2, 3... in this order; `everyone` stays last.
    The list must name every regular group once, so a stale page cannot lose one."""
    ids = [g.pk for g in groups_in_order]
    with transaction.atomic():
        lock()
        check_may_reorder(actor)
        current = dict(Group.objects.regular().values_list("pk", "position"))
        if len(ids) != len(set(ids)) or set(ids) != set(current):
            raise RuleError(_("The list of groups changed meanwhile. Reload the page and retry."))
        changed = [
            Group(pk=pk, position=index)
            for index, pk in enumerate(ids, start=1)
            if current[pk] != index
        ]
        if not changed:
            return
        Group.objects.bulk_update(changed, ["position"])
        bump_version()
        names = dict(Group.objects.filter(pk__in=ids).values_list("pk", "name"))
        audit.record(
            "group.reordered", actor=actor, ip=ip, details={"order": [names[pk] for pk in ids]}
        )


def move_group(group: Group, offset: int, *, actor, ip: str | None = None) -> None:
    """Moves `group` up (negative) or down (positive) in the order."""
    if group.is_everyone:
        raise RuleError(_("The everyone group always comes last."))
    order = list(Group.objects.regular().order_by("position", "name"))
    index = next(i for i, g in enumerate(order) if g.pk == group.pk)
    target = max(0, min(len(order) - 1, index + offset))
    order.insert(target, order.pop(index))
    reorder_groups(order, actor=actor, ip=ip)


def delete_group(group: Group, *, actor, ip: str | None = None) -> None:
    if group.is_everyone:
        raise RuleError(_("The everyone group cannot be deleted."))
    require_actor(actor)
    with transaction.atomic():
        lock()
        actor_may_manage(actor, group=group)
        refuse(group_delete_refusal(actor, group))
        admins_before = admin_user_ids()
        name = group.name
        group.delete()
        check_invariants(actor, admins_before)
        audit.record("group.deleted", actor=actor, ip=ip, details={"group": name})
