"""User accounts: create, edit, enable and disable, delete, force a password change, reset
links, impersonation. Checks first, then the effects, inside one transaction after the lock.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from groups.resolver import grants_for
from groups.rules.base import (
    RuleError,
    admin_user_ids,
    check_invariants,
    is_admin,
    is_system,
    lock,
    refuse,
    require_actor,
)
from groups.rules.delegation import actor_may_manage, manage_refusal, placement_refusal
from groups.rules.memberships import add_member
from sessions_admin import audit

PROFILE_FIELDS = ("username", "display_name", "email")

# --- Checks --------------------------------------------------------------------------------


def disable_refusal(actor, user, **known) -> str | None:
    """Why `actor` may not disable `user`, or None (`known`: see manage_refusal)."""
    if user.is_owner:
        return _("The owner cannot be disabled.")
    if actor.pk is not None and actor.pk == user.pk:
        return _("You cannot disable yourself.")
    return manage_refusal(actor, user, **known)


def delete_refusal(actor, user, **known) -> str | None:
    """Why `actor` may not delete `user`, or None (`known`: see manage_refusal)."""
    if user.is_owner:
        return _("The owner cannot be deleted.")
    if actor.pk is not None and actor.pk == user.pk:
        return _("You cannot delete yourself.")
    return manage_refusal(actor, user, **known)


def reset_refusal(actor, user, **known) -> str | None:
    """Why `actor` may not create a password-reset link for `user` or force a password
    change: only for active local accounts they may manage."""
    reason = manage_refusal(actor, user, **known)
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


def owned_objects_refusal(actor, *, grants=None) -> str | None:
    """Why `actor` may not give away or delete the boards and integrations of a user they
    delete: those reach beyond managing users, so a user manager leaves them ownerless."""
    if is_system(actor):
        return None
    grants = grants if grants is not None else grants_for(actor, refresh=True)
    if not grants.is_admin:
        return _("Only admins can give away or delete what a deleted user owned.")
    return None


def check_may_disable(actor, user) -> None:
    require_actor(actor)
    refuse(disable_refusal(actor, user))


def check_may_delete(actor, user) -> None:
    require_actor(actor)
    refuse(delete_refusal(actor, user))


def check_may_reset_password(actor, user) -> None:
    require_actor(actor)
    refuse(reset_refusal(actor, user))


def check_may_impersonate(actor, user) -> None:
    refuse(impersonate_refusal(actor, user))


def check_may_dispose_of_owned(actor) -> None:
    require_actor(actor)
    refuse(owned_objects_refusal(actor))


# --- Effects -------------------------------------------------------------------------------


def set_active(user, active: bool, *, actor, ip: str | None = None) -> None:
    from sessions_admin.services import revoke_sessions

    require_actor(actor)
    with transaction.atomic():
        lock()
        user.refresh_from_db(fields=["is_active", "is_owner"])
        if not active:
            check_may_disable(actor, user)
        actor_may_manage(actor, user)
        if user.is_active == active:
            return
        admins_before = admin_user_ids()
        user.is_active = active
        user.save(update_fields=["is_active"])
        check_invariants(actor, admins_before)
        if not active:
            revoke_sessions(user)
        audit.record("user.enabled" if active else "user.disabled", actor=actor, target=user, ip=ip)


def delete_user(user, *, actor, ip: str | None = None, details: dict | None = None) -> None:
    """Deletes `user`; `details` (what happened to what they owned) goes in the audit entry."""
    require_actor(actor)
    with transaction.atomic():
        lock()
        user.refresh_from_db(fields=["is_active", "is_owner"])
        check_may_delete(actor, user)
        admins_before = admin_user_ids()
        name, pk = user.username, user.pk
        user.delete()
        check_invariants(actor, admins_before - {pk})
        audit.record(
            "user.deleted", actor=actor, ip=ip, details={"user": name, "id": pk, **(details or {})}
        )


def create_user(
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    email: str = "",
    must_change_password: bool = False,
    groups=(),
    actor,
    ip: str | None = None,
):
    """Creates a local account (no password: unusable until a reset link sets one) and adds it
    to `groups`, each through `add_member` and its rules."""
    from accounts.models import User

    require_actor(actor)
    groups = [g for g in groups if not g.is_everyone]
    with transaction.atomic():
        lock()
        actor_may_manage(actor)
        for group in groups:
            group.refresh_from_db()
            refuse(placement_refusal(actor, group))
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


def update_user(user, changes: dict, *, actor, ip: str | None = None) -> None:
    """Changes profile fields. Usernames of provider accounts come from the provider."""
    require_actor(actor)
    changes = {k: v for k, v in changes.items() if k in PROFILE_FIELDS and getattr(user, k) != v}
    with transaction.atomic():
        lock()
        actor_may_manage(actor, user)
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


def force_password_change(user, *, actor, ip: str | None = None) -> None:
    """The user must choose a new password on their next request (sessions stay)."""
    from accounts.models import User

    require_actor(actor)
    with transaction.atomic():
        lock()
        check_may_reset_password(actor, user)
        User.objects.filter(pk=user.pk).update(must_change_password=True)
        user.must_change_password = True
        audit.record("user.password_change_forced", actor=actor, target=user, ip=ip)
