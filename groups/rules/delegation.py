"""Who may act on whom: the user-manager role (DESIGN.md's `user-manage`).

A user manager acts only on users who are not admins and on groups that do not grant admin,
grants only permissions they hold themselves, and places people (themselves included) only in
groups whose permissions they hold themselves, implications expanded. Links they hand out
(reset links, set-password links, invites) carry these same rules to the moment of use.
Checks only: the operations that apply them live next to what they protect.
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from groups.models import Group
from groups.permissions import ADMIN, PERMISSIONS, USER_MANAGE, expand
from groups.resolver import grants_for, holders
from groups.rules.base import is_admin, is_provider, is_system, refuse, require_actor


def manage_refusal(
    actor,
    target_user=None,
    group: Group | None = None,
    *,
    grants=None,
    target_is_admin: bool | None = None,
) -> str | None:
    """Why `actor` may not change `target_user` or `group`, or None when they may.

    Nobody but the owner changes the owner's account; admins change everything else; a user
    manager changes users and groups that are not admins and do not grant admin. Lists that
    show many users pass the actor's `grants` and each user's `target_is_admin` (from an
    annotation) so that the answer costs no query.
    """
    if is_system(actor):
        return None
    if is_provider(actor):
        return _("A login provider changes only the memberships it manages.")
    if target_user is not None and target_user.is_owner and actor.pk != target_user.pk:
        return _("Only the owner can change the owner's account.")
    grants = grants if grants is not None else grants_for(actor, refresh=True)
    if grants.is_admin:
        return None
    if not grants.has(USER_MANAGE):
        return _("You are not allowed to manage users.")
    if target_user is not None:
        if target_is_admin is None:
            target_is_admin = is_admin(target_user)
        if target_is_admin:
            return _("Only admins can change admins.")
    if group is not None and group.grants_admin:
        return _("Only admins can change a group that grants admin.")
    return None


def actor_may_manage(actor, target_user=None, group: Group | None = None) -> None:
    """A user manager who is not an admin never acts on admins or admin groups."""
    require_actor(actor)
    refuse(manage_refusal(actor, target_user, group))


def grant_refusal(grants, permission: str) -> str | None:
    """Why someone with `grants` may not add `permission` to a group: a user manager adds
    only permissions they hold themselves (with all they imply), and never `admin`."""
    if grants.is_admin:
        return None
    if permission == ADMIN:
        return _("Only admins can grant admin.")
    if not expand([permission]) <= grants.permissions:
        return _("You can only grant permissions you hold yourself.")
    return None


def check_grant(actor, before, wanted) -> None:
    """Removing a permission is not granting one: what a user manager may not add, they may
    still take away from a group they may change (never an admin group: `actor_may_manage`)."""
    require_actor(actor)
    if is_system(actor):
        return
    grants = grants_for(actor, refresh=True)
    added = set(wanted) - set(before)
    for permission in sorted(added, key=lambda p: p != ADMIN):  # admin's reason first
        refuse(grant_refusal(grants, permission))


def placement_refusal(actor, group: Group, *, grants=None) -> str | None:
    """Why `actor` may not place anyone (themselves included) in `group`: joining a group is
    being granted its permissions, so it follows the grant rule: a user manager places people
    only in groups whose permissions, implications expanded, they hold themselves."""
    reason = manage_refusal(actor, group=group, grants=grants)
    if reason or is_system(actor):
        return reason
    grants = grants if grants is not None else grants_for(actor, refresh=True)
    if grants.is_admin or expand(group.permissions) <= grants.permissions:
        return None
    return _(
        "You can only place people in groups whose permissions you hold yourself "
        "(%(group)s gives %(missing)s)."
    ) % {
        "group": group.name,
        "missing": ", ".join(sorted(expand(group.permissions) - grants.permissions)),
    }


def check_may_place(actor, group: Group) -> None:
    require_actor(actor)
    refuse(placement_refusal(actor, group))


def link_refusal(creator, target=None, groups=(), *, grants=None) -> str | None:
    """Why a link `creator` handed out no longer works when it is used: its creator is gone
    or disabled, may no longer manage its `target` (a reset or set-password link), or may no
    longer place people in its `groups` (an invite); or the target holds a permission the
    creator does not (admin included): the link would hand the creator an account stronger
    than their own. Lists that show many invites pass each creator's `grants` (read for all
    of them at once: `groups.resolver.compute_many`) so that the answer costs no query."""
    if creator is None or not creator.is_active:
        return _("Whoever made this link can no longer vouch for it.")
    grants = grants if grants is not None else grants_for(creator, refresh=True)
    if target is not None:
        reason = manage_refusal(creator, target, grants=grants)
        if reason:
            return reason
        if not grants.is_admin and not grants_for(target, refresh=True).permissions <= (
            grants.permissions
        ):
            return _("%(user)s holds permissions that whoever made this link does not.") % {
                "user": target.username
            }
    elif not grants.is_admin and not grants.has(USER_MANAGE):
        return _("You are not allowed to manage users.")
    for group in groups:
        if not group.is_everyone:
            reason = placement_refusal(creator, group, grants=grants)
            if reason:
                return reason
    return None


def grantable(actor) -> frozenset[str]:
    """The permissions `actor` may add to a group."""
    grants = grants_for(actor)
    return frozenset(p for p in PERMISSIONS if grant_refusal(grants, p) is None)


def may_grant(actor, permissions) -> bool:
    """Whether `actor` may give a group these permissions (for forms that show choices)."""
    grants = grants_for(actor)
    return grants.is_admin or (
        ADMIN not in permissions and expand(permissions) <= grants.permissions
    )


def users_managed_by(actor):
    """The users `actor` may edit: everyone for admins, non-admins for user managers."""
    from accounts.models import User

    grants = grants_for(actor)
    if grants.is_admin:
        return User.objects.all()
    if grants.has(USER_MANAGE):
        return User.objects.exclude(Q(pk__in=holders(ADMIN, include_inactive=True)))
    return User.objects.none()
