"""Domain operations on users, groups and memberships, with DESIGN.md's owner and safety rules.

Every function here takes the acting user (`None` for the system: a management command or a
provider's login) and the client address for the audit log. Each runs in one transaction that
first locks the `everyone` row, so two changes that each look harmless alone (two admins
removing each other) are serialised; the invariants are checked after the change, inside the
transaction, and a violation rolls everything back with a clear reason.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from groups.models import Group, Membership
from groups.permissions import ADMIN, USER_MANAGE, expand
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
    bump_version()


def _actor_may_manage(actor, target_user=None, group: Group | None = None) -> None:
    """A user manager who is not an admin never acts on admins or admin groups."""
    if actor is None:
        return
    grants = grants_for(actor, refresh=True)
    if grants.is_admin:
        return
    if not grants.has(USER_MANAGE):
        raise RuleError(_("You are not allowed to manage users."))
    if target_user is not None and is_admin(target_user):
        raise RuleError(_("Only admins can change admins."))
    if group is not None and group.grants_admin:
        raise RuleError(_("Only admins can change a group that grants admin."))


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
                    % {"provider": membership.managed_by.upper()}
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
        if actor is not None and not grants_for(actor, refresh=True).is_admin:
            _actor_may_manage(actor, group=group)
            if ADMIN in wanted:
                raise RuleError(_("Only admins can grant admin."))
            held = grants_for(actor).permissions
            if not set(wanted) <= held:
                raise RuleError(_("You can only grant permissions you hold yourself."))
        before = sorted(group.permissions)
        admins_before = admin_user_ids()
        group.permissions = wanted
        group.full_clean()
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
        if user.is_owner:
            raise RuleError(_("The owner cannot be disabled."))
        if actor is not None and actor.pk == user.pk:
            raise RuleError(_("You cannot disable yourself."))
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


def delete_user(user, *, actor=None, ip: str | None = None) -> None:
    if user.is_owner:
        raise RuleError(_("The owner cannot be deleted."))
    if actor is not None and actor.pk == user.pk:
        raise RuleError(_("You cannot delete yourself."))
    with transaction.atomic():
        _lock()
        _actor_may_manage(actor, user)
        admins_before = admin_user_ids()
        name, pk = user.username, user.pk
        user.delete()
        _check_invariants(actor, admins_before - {pk})
        audit.record("user.deleted", actor=actor, ip=ip, details={"user": name, "id": pk})


def transfer_ownership(new_owner, *, actor, ip: str | None = None) -> None:
    from accounts.models import User

    if actor is None or not actor.is_owner:
        raise RuleError(_("Only the owner can hand over ownership."))
    if not new_owner.is_active or not is_admin(new_owner):
        raise RuleError(_("Ownership can only go to an active admin."))
    with transaction.atomic():
        _lock()
        User.objects.filter(pk=actor.pk).update(is_owner=False)
        User.objects.filter(pk=new_owner.pk).update(is_owner=True)
        actor.is_owner, new_owner.is_owner = False, True
        audit.record("user.ownership_transferred", actor=actor, target=new_owner, ip=ip)


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
