"""Domain operations on users, groups and memberships, with DESIGN.md's owner and safety rules.

Every function here takes the acting user (`None` for the system: a management command or a
provider's login) and the client address for the audit log. Each runs in one transaction that
first locks the `everyone` row, so two changes that each look harmless alone (two admins
removing each other) are serialised; the invariants are checked after the change, inside the
transaction, and a violation rolls everything back with a clear reason.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Exists, OuterRef, Q, Value
from django.utils.translation import gettext as _

from groups.models import Group, Membership
from groups.permissions import ADMIN, PERMISSIONS, USER_MANAGE, expand
from groups.resolver import bump_version, grants_for
from sessions_admin import audit


class RuleError(ValidationError):
    """A change refused by a role rule; the message says why."""


def admin_group_ids() -> set[int]:
    return {pk for pk, perms in Group.objects.values_list("pk", "permissions") if ADMIN in perms}


def admin_user_ids(active_only: bool = True) -> set[int]:
    """Users who hold `admin` through a group (or through `everyone`)."""
    from accounts.models import User

    users = User.objects.all()
    if active_only:
        users = users.filter(is_active=True)
    if Group.objects.filter(is_everyone=True, pk__in=admin_group_ids()).exists():
        return set(users.values_list("pk", flat=True))
    return set(users.filter(memberships__group__in=admin_group_ids()).values_list("pk", flat=True))


def is_admin(user) -> bool:
    return user.pk in admin_user_ids(active_only=False)


def is_admin_expression(groups=None):
    """Whether each user holds `admin`, as an expression to annotate a user queryset with, so
    that a list of users learns it in its own query. `groups`: every group, if loaded already."""
    groups = list(groups) if groups is not None else list(Group.objects.all())
    ids = {g.pk for g in groups if ADMIN in g.permissions}
    if any(g.is_everyone and g.pk in ids for g in groups):
        return Value(True, output_field=BooleanField())
    return Exists(Membership.objects.filter(user=OuterRef("pk"), group_id__in=ids))


def _lock() -> None:
    list(Group.objects.select_for_update().filter(is_everyone=True).values_list("pk"))


def _check_invariants(actor, admins_before: set[int]) -> None:
    from accounts.models import User

    admins = admin_user_ids()
    if not admins:
        raise RuleError(_("This would leave no active admin. Make someone else an admin first."))
    owner = User.objects.filter(is_owner=True).first()
    if owner is not None and owner.pk not in admins:
        raise RuleError(_("The owner is always an active admin."))
    if actor is not None and actor.pk in admins_before and actor.pk not in admins:
        raise RuleError(_("You cannot remove your own admin rights."))
    demoted = admins_before - admins
    if demoted:
        # Losing admin ends every session (DESIGN.md): a browser left open with admin pages
        # must not keep acting on what it loaded while it was allowed to.
        from sessions_admin.models import UserSession

        UserSession.objects.filter(user_id__in=demoted).delete()
    bump_version()


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


def _actor_may_manage(actor, target_user=None, group: Group | None = None) -> None:
    """A user manager who is not an admin never acts on admins or admin groups."""
    if actor is None:
        return
    _refuse(manage_refusal(actor, target_user, group))


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


def _check_grant(actor, before, wanted) -> None:
    """Removing a permission is not granting one: what a user manager may not add, they may
    still take away from a group they may change (never an admin group: `_actor_may_manage`)."""
    if actor is None:
        return
    grants = grants_for(actor, refresh=True)
    added = set(wanted) - set(before)
    for permission in sorted(added, key=lambda p: p != ADMIN):  # admin's reason first
        _refuse(grant_refusal(grants, permission))


def provider_label(provider: str) -> str:
    """The provider as it reads inside a sentence: "comes from the reverse proxy"."""
    labels = {
        "ldap": _("LDAP"),
        "oidc": _("single sign-on (OIDC)"),
        "proxy": _("the reverse proxy"),
    }
    return labels.get(provider, provider)


def _managed_by_provider(membership: Membership) -> bool:
    from django.conf import settings

    local = getattr(settings, "AUTH_GROUPS_LOCAL_MANAGEMENT", ())
    return bool(membership.managed_by) and membership.managed_by not in local


def add_member(group: Group, user, *, actor=None, ip: str | None = None, managed_by: str = ""):
    if group.is_everyone:
        raise RuleError(_("Everyone is in the everyone group; it has no members to add."))
    with transaction.atomic():
        _lock()
        if managed_by == "":
            _actor_may_manage(actor, user, group)
        membership, created = Membership.objects.get_or_create(
            user=user, group=group, defaults={"managed_by": managed_by}
        )
        if created:
            bump_version()
            audit.record(
                "group.member_added", actor=actor, target=group, ip=ip,
                details={"user": user.username, "managed_by": managed_by},
            )  # fmt: skip
    return membership


def remove_member(group: Group, user, *, actor=None, ip: str | None = None, by_provider: str = ""):
    with transaction.atomic():
        _lock()
        membership = Membership.objects.filter(group=group, user=user).first()
        if membership is None:
            return
        if not by_provider:
            _actor_may_manage(actor, user, group)
            if _managed_by_provider(membership):
                raise RuleError(
                    _("This membership comes from %(provider)s and is changed there.")
                    % {"provider": provider_label(membership.managed_by)}
                )
        admins_before = admin_user_ids()
        membership.delete()
        _check_invariants(actor, admins_before)
        audit.record(
            "group.member_removed", actor=actor, target=group, ip=ip,
            details={"user": user.username, "by_provider": by_provider},
        )  # fmt: skip


def set_permissions(group: Group, permissions, *, actor=None, ip: str | None = None) -> None:
    wanted = sorted(set(permissions))
    with transaction.atomic():
        _lock()
        group.refresh_from_db()
        _actor_may_manage(actor, group=group)
        _check_grant(actor, group.permissions, wanted)
        before = sorted(group.permissions)
        admins_before = admin_user_ids()
        group.permissions = wanted
        group.full_clean(exclude=["name"])  # unchanged; and `everyone` is a reserved name
        group.save(update_fields=["permissions"])
        _check_invariants(actor, admins_before)
        if before != wanted:
            audit.record(
                "group.permissions_changed", actor=actor, target=group, ip=ip,
                details={"before": before, "after": wanted},
            )  # fmt: skip


def delete_group(group: Group, *, actor=None, ip: str | None = None) -> None:
    if group.is_everyone:
        raise RuleError(_("The everyone group cannot be deleted."))
    with transaction.atomic():
        _lock()
        _actor_may_manage(actor, group=group)
        admins_before = admin_user_ids()
        name = group.name
        group.delete()
        _check_invariants(actor, admins_before)
        audit.record("group.deleted", actor=actor, ip=ip, details={"group": name})


def set_active(user, active: bool, *, actor=None, ip: str | None = None) -> None:
    from sessions_admin.services import revoke_sessions

    if not active:
        check_may_disable(actor, user)
    with transaction.atomic():
        _lock()
        _actor_may_manage(actor, user)
        if user.is_active == active:
            return
        admins_before = admin_user_ids()
        user.is_active = active
        user.save(update_fields=["is_active"])
        _check_invariants(actor, admins_before)
        if not active:
            revoke_sessions(user)
        audit.record("user.enabled" if active else "user.disabled", actor=actor, target=user, ip=ip)


def delete_user(user, *, actor=None, ip: str | None = None, details: dict | None = None) -> None:
    """Deletes `user`; `details` (what happened to what they owned) goes in the audit entry."""
    check_may_delete(actor, user)
    with transaction.atomic():
        _lock()
        _actor_may_manage(actor, user)
        admins_before = admin_user_ids()
        name, pk = user.username, user.pk
        user.delete()
        _check_invariants(actor, admins_before - {pk})
        audit.record(
            "user.deleted", actor=actor, ip=ip, details={"user": name, "id": pk, **(details or {})}
        )


def transfer_ownership(new_owner, *, actor, ip: str | None = None) -> None:
    from accounts.models import User

    _refuse(transfer_refusal(actor, new_owner))
    with transaction.atomic():
        _lock()
        User.objects.filter(pk=actor.pk).update(is_owner=False)
        User.objects.filter(pk=new_owner.pk).update(is_owner=True)
        actor.is_owner, new_owner.is_owner = False, True
        audit.record("user.ownership_transferred", actor=actor, target=new_owner, ip=ip)


# --- Users -------------------------------------------------------------------------------------


def disable_refusal(actor, user, **known) -> str | None:
    """Why `actor` may not disable `user`, or None (`known`: see manage_refusal)."""
    if user.is_owner:
        return _("The owner cannot be disabled.")
    if actor is not None and actor.pk == user.pk:
        return _("You cannot disable yourself.")
    return manage_refusal(actor, user, **known) if actor is not None else None


def delete_refusal(actor, user, **known) -> str | None:
    """Why `actor` may not delete `user`, or None (`known`: see manage_refusal)."""
    if user.is_owner:
        return _("The owner cannot be deleted.")
    if actor is not None and actor.pk == user.pk:
        return _("You cannot delete yourself.")
    return manage_refusal(actor, user, **known) if actor is not None else None


def check_may_disable(actor, user) -> None:
    _refuse(disable_refusal(actor, user))


def check_may_delete(actor, user) -> None:
    _refuse(delete_refusal(actor, user))


def reset_refusal(actor, user, **known) -> str | None:
    """Why `actor` may not create a password-reset link for `user` or force a password
    change: only for active local accounts they may manage."""
    reason = manage_refusal(actor, user, **known) if actor is not None else None
    if reason:
        return reason
    if not user.is_local:
        return _("%(user)s's password is managed by %(provider)s, not here.") % {
            "user": user.username,
            "provider": user.get_provider_display(),
        }
    if not user.is_active:
        return _("%(user)s is disabled. Enable the account first.") % {"user": user}
    return None


def impersonate_refusal(
    actor, user, *, grants=None, target_is_admin: bool | None = None
) -> str | None:
    """Why `actor` may not act as `user`: only admins, only as an active user who is neither
    an admin nor the owner."""
    grants = grants if grants is not None else grants_for(actor, refresh=True)
    if actor is None or not grants.is_admin:
        return _("Only admins can act as another user.")
    if user.pk == actor.pk:
        return _("You cannot act as yourself.")
    if user.is_owner:
        return _("The owner can never be impersonated.")
    if target_is_admin if target_is_admin is not None else is_admin(user):
        return _("Admins can never be impersonated.")
    if not user.is_active:
        return _("A disabled user cannot be impersonated.")
    return None


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


def owned_objects_refusal(actor, *, grants=None) -> str | None:
    """Why `actor` may not give away or delete the boards and integrations of a user they
    delete: those reach beyond managing users, so a user manager leaves them ownerless."""
    grants = grants if grants is not None else grants_for(actor, refresh=True)
    if actor is not None and not grants.is_admin:
        return _("Only admins can give away or delete what a deleted user owned.")
    return None


def _refuse(reason: str | None) -> None:
    if reason:
        raise RuleError(reason)


def check_may_reset_password(actor, user) -> None:
    _refuse(reset_refusal(actor, user))


def check_may_impersonate(actor, user) -> None:
    _refuse(impersonate_refusal(actor, user))


def check_may_dispose_of_owned(actor) -> None:
    _refuse(owned_objects_refusal(actor))


def create_user(
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    email: str = "",
    must_change_password: bool = False,
    groups=(),
    actor=None,
    ip: str | None = None,
):
    """Creates a local account (no password: unusable until a reset link sets one) and adds it
    to `groups`, each through `add_member` and its rules."""
    from accounts.models import User

    groups = [g for g in groups if not g.is_everyone]
    with transaction.atomic():
        _lock()
        _actor_may_manage(actor)
        for group in groups:
            _actor_may_manage(actor, group=group)
        user = User.objects.create_user(
            username, password, display_name=display_name, email=email,
            must_change_password=must_change_password,
        )  # fmt: skip
        audit.record(
            "user.created", actor=actor, target=user, ip=ip,
            details={"groups": [g.name for g in groups], "password_set": password is not None,
                     "must_change_password": must_change_password},
        )  # fmt: skip
        for group in groups:
            add_member(group, user, actor=actor, ip=ip)
    return user


PROFILE_FIELDS = ("username", "display_name", "email")


def update_user(user, changes: dict, *, actor=None, ip: str | None = None) -> None:
    """Changes profile fields. Usernames of provider accounts come from the provider."""
    changes = {k: v for k, v in changes.items() if k in PROFILE_FIELDS and getattr(user, k) != v}
    with transaction.atomic():
        _lock()
        _actor_may_manage(actor, user)
        if not changes:
            return
        if "username" in changes and not user.is_local:
            raise RuleError(
                _("The username of a %(provider)s account comes from %(provider)s.")
                % {"provider": user.get_provider_display()}
            )
        before = {k: getattr(user, k) for k in changes}
        for field, value in changes.items():
            setattr(user, field, value)
        user.full_clean(exclude=["password"])  # also refuses a username that is taken
        user.save(update_fields=list(changes))
        audit.record(
            "user.updated", actor=actor, target=user, ip=ip,
            details={"changed": {k: [before[k], changes[k]] for k in changes}},
        )  # fmt: skip


def set_groups(user, groups, *, actor=None, ip: str | None = None) -> None:
    """Makes `user`'s memberships exactly `groups`, through add_member and remove_member and
    their rules, in one transaction. Additions go first so that moving someone from one admin
    group to another never passes through a state without admin."""
    wanted = {g.pk: g for g in groups if not g.is_everyone}
    with transaction.atomic():
        memberships = Membership.objects.filter(user=user).select_related("group")
        current = {m.group_id: m for m in memberships}
        for pk, group in wanted.items():
            if pk not in current:
                add_member(group, user, actor=actor, ip=ip)
        for pk, membership in current.items():
            if pk not in wanted:
                remove_member(membership.group, user, actor=actor, ip=ip)


def force_password_change(user, *, actor=None, ip: str | None = None) -> None:
    """The user must choose a new password on their next request (sessions stay)."""
    from accounts.models import User

    with transaction.atomic():
        check_may_reset_password(actor, user)
        User.objects.filter(pk=user.pk).update(must_change_password=True)
        user.must_change_password = True
        audit.record("user.password_change_forced", actor=actor, target=user, ip=ip)


# --- Groups ------------------------------------------------------------------------------------


def reorder_refusal(actor, *, grants=None) -> str | None:
    if actor is None:
        return None
    grants = grants if grants is not None else grants_for(actor, refresh=True)
    if not grants.is_admin:
        return _("Only admins can change the order of groups: it decides everyone's home board.")
    return None


def check_may_reorder(actor) -> None:
    _refuse(reorder_refusal(actor))


def create_group(name: str, permissions=(), *, actor=None, ip: str | None = None) -> Group:
    wanted = sorted(set(permissions))
    with transaction.atomic():
        _lock()
        _actor_may_manage(actor)
        _check_grant(actor, [], wanted)
        last = Group.objects.regular().order_by("-position").values_list("position", flat=True)
        group = Group(name=name, permissions=wanted, position=(last.first() or 0) + 1)
        group.full_clean()
        group.save()
        audit.record(
            "group.created", actor=actor, target=group, ip=ip, details={"permissions": wanted}
        )
    return group


def rename_group(group: Group, name: str, *, actor=None, ip: str | None = None) -> None:
    if group.is_everyone:
        raise RuleError(_("The everyone group cannot be renamed."))
    with transaction.atomic():
        _lock()
        _actor_may_manage(actor, group=group)
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


def set_external_names(group: Group, names, *, actor=None, ip: str | None = None) -> None:
    """The LDAP, OIDC or proxy group names mirrored onto `group` at each login."""
    if group.is_everyone:
        raise RuleError(_("Everyone is in the everyone group; it maps no external group."))
    wanted = sorted({n.strip() for n in names if n.strip()}, key=str.lower)
    with transaction.atomic():
        _lock()
        _actor_may_manage(actor, group=group)
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


def two_factor_refusal(actor, *, grants=None) -> str | None:
    """Who must use two-factor login is a system setting: admins decide it."""
    grants = grants if grants is not None else grants_for(actor, refresh=True)
    if not grants.is_admin:
        return _("Only admins decide who must use two-factor login.")
    return None


def set_two_factor_required(
    group: Group, required: bool, *, actor=None, ip: str | None = None
) -> None:
    """Requires (or no longer requires) two-factor login of the group's members who log in
    with a password; on `everyone`, of every such user. Takes effect on their next request."""
    with transaction.atomic():
        _lock()
        group.refresh_from_db()
        if actor is not None:
            _refuse(two_factor_refusal(actor))
        if group.require_two_factor == required:
            return
        group.require_two_factor = required
        group.save(update_fields=["require_two_factor"])
        bump_version()
        audit.record(
            "group.two_factor_required" if required else "group.two_factor_optional",
            actor=actor, target=group, ip=ip,
        )  # fmt: skip


def reorder_groups(groups_in_order, *, actor=None, ip: str | None = None) -> None:
    """Gives the regular groups positions 1, 2, 3... in this order; `everyone` stays last.
    The list must name every regular group once, so a stale page cannot lose one."""
    ids = [g.pk for g in groups_in_order]
    with transaction.atomic():
        _lock()
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


def move_group(group: Group, offset: int, *, actor=None, ip: str | None = None) -> None:
    """Moves `group` up (negative) or down (positive) in the order."""
    if group.is_everyone:
        raise RuleError(_("The everyone group always comes last."))
    order = list(Group.objects.regular().order_by("position", "name"))
    index = next(i for i, g in enumerate(order) if g.pk == group.pk)
    target = max(0, min(len(order) - 1, index + offset))
    order.insert(target, order.pop(index))
    reorder_groups(order, actor=actor, ip=ip)


def membership_lock_reason(membership: Membership) -> str | None:
    """Why a membership cannot be changed by hand, or None."""
    if _managed_by_provider(membership):
        return _("Comes from %(provider)s at each login; change it there.") % {
            "provider": membership.managed_by.upper()
        }
    return None


# --- Invites -----------------------------------------------------------------------------------


def check_may_invite(actor, groups=()) -> None:
    """Inviting is managing users: an invite's default groups follow add_member's rules."""
    _actor_may_manage(actor)
    for group in groups:
        if group.is_everyone:
            continue
        _actor_may_manage(actor, group=group)


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
        return User.objects.exclude(Q(pk__in=admin_user_ids(active_only=False)))
    return User.objects.none()
