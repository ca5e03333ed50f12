"""Domain operations on users, groups and memberships, with DESIGN.md's owner and safety rules.

One module per thing the rules protect, each with its checks first and its effects after:

- `base`: the refusal, the actors (a user, a login provider, the system by name: never
  nobody), the lock every change takes first, and the invariants checked after every change
  (an active admin remains, the owner is one, nobody removes their own admin rights);
- `delegation`: who may act on whom (the user-manager role: grants, placements, links);
- `memberships`: who is in which group;
- `group_permissions`: groups, their permissions and their order;
- `ownership`: the owner and the transfer of ownership;
- `user_state`: accounts (create, edit, enable, disable, delete, passwords, impersonation).

Every operation runs in one transaction that first locks the `everyone` row, so two changes
that each look harmless alone (two admins removing each other) are serialised; every check
runs after that lock, and a violation rolls everything back with a clear reason. Who holds
`admin` is the resolver's answer (`groups.resolver.holders`). Callers import from here.
"""

from groups.resolver import grants_for
from groups.rules.base import (
    ProviderActor,
    RuleError,
    SystemActor,
    admin_user_ids,
    is_admin,
    is_provider,
    is_system,
    lock,
    refuse,
    require_actor,
    system,
)
from groups.rules.delegation import (
    actor_may_manage,
    check_may_place,
    grant_refusal,
    grantable,
    link_refusal,
    manage_refusal,
    may_grant,
    placement_refusal,
    users_managed_by,
)
from groups.rules.group_permissions import (
    check_may_reorder,
    create_group,
    delete_group,
    group_delete_refusal,
    move_group,
    rename_group,
    reorder_groups,
    reorder_refusal,
    set_external_names,
    set_permissions,
    set_two_factor_required,
    two_factor_refusal,
)
from groups.rules.memberships import (
    add_member,
    check_may_invite,
    membership_lock_reason,
    provider_label,
    remove_member,
    set_groups,
)
from groups.rules.ownership import owner_removal_refusal, transfer_ownership, transfer_refusal
from groups.rules.user_state import (
    PROFILE_FIELDS,
    check_may_delete,
    check_may_disable,
    check_may_dispose_of_owned,
    check_may_impersonate,
    check_may_reset_password,
    create_user,
    delete_refusal,
    delete_user,
    disable_refusal,
    force_password_change,
    impersonate_refusal,
    owned_objects_refusal,
    reset_refusal,
    set_active,
    update_user,
)

__all__ = [
    "PROFILE_FIELDS",
    "ProviderActor",
    "RuleError",
    "SystemActor",
    "actor_may_manage",
    "add_member",
    "admin_user_ids",
    "check_may_delete",
    "check_may_disable",
    "check_may_dispose_of_owned",
    "check_may_impersonate",
    "check_may_invite",
    "check_may_place",
    "check_may_reorder",
    "check_may_reset_password",
    "create_group",
    "create_user",
    "delete_group",
    "delete_refusal",
    "delete_user",
    "disable_refusal",
    "force_password_change",
    "grant_refusal",
    "grantable",
    "grants_for",
    "group_delete_refusal",
    "impersonate_refusal",
    "is_admin",
    "is_provider",
    "is_system",
    "link_refusal",
    "lock",
    "manage_refusal",
    "may_grant",
    "membership_lock_reason",
    "move_group",
    "owned_objects_refusal",
    "owner_removal_refusal",
    "placement_refusal",
    "provider_label",
    "refuse",
    "remove_member",
    "rename_group",
    "reorder_groups",
    "reorder_refusal",
    "require_actor",
    "reset_refusal",
    "set_active",
    "set_external_names",
    "set_groups",
    "set_permissions",
    "set_two_factor_required",
    "system",
    "transfer_ownership",
    "transfer_refusal",
    "two_factor_refusal",
    "update_user",
    "users_managed_by",
]
