"""What a token's scopes let through of its holder's grants (groups.resolver.restrict).

Each scope raises a ceiling on one kind of object and lets some global permissions through;
a token's effective rights are its holder's *current* grants under those ceilings, so a
token is never stronger than its holder and loses power the moment the holder does.

- `boards:read`: boards at `view` (their sections, widgets and live data).
- `boards:write`: boards up to `full`, and `board-create`.
- `integrations:read`: integrations at `use` (their names and kinds, never configuration).
- `integrations:act`: integrations up to `interact`: run the actions of the widgets on boards
  the token may read (so with `boards:read`).
- `users:read`: the user and group lists of an admin or user manager.
- `users:manage`: their changes, under every delegation rule of the pages (groups.rules).

`audit-view` and `*-full-all` on integrations are never let through: the API offers neither.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from groups.permissions import ADMIN, USER_MANAGE
from groups.resolver import Grants, restrict

BOARDS_READ = "boards:read"
BOARDS_WRITE = "boards:write"
INTEGRATIONS_READ = "integrations:read"
INTEGRATIONS_ACT = "integrations:act"
USERS_READ = "users:read"
USERS_MANAGE = "users:manage"

SCOPES: dict[str, str | Promise] = {
    BOARDS_READ: _("Read the boards you may view, their widgets and live data"),
    BOARDS_WRITE: _("Change the boards you may modify"),
    INTEGRATIONS_READ: _("List the integrations you may use"),
    INTEGRATIONS_ACT: _("Run integration actions (pause downloads…) you may run"),
    USERS_READ: _("Read users and groups (admins and user managers)"),
    USERS_MANAGE: _("Manage users and groups, under the same rules as the pages"),
}
USER_SCOPES = (USERS_READ, USERS_MANAGE)

# Scope -> (kind, highest level) and the global permissions it lets through.
_CEILINGS: dict[str, tuple[str, str]] = {
    BOARDS_READ: ("board", "view"),
    BOARDS_WRITE: ("board", "full"),
    INTEGRATIONS_READ: ("integration", "use"),
    INTEGRATIONS_ACT: ("integration", "interact"),
}
_PERMISSIONS: dict[str, tuple[str, ...]] = {
    BOARDS_READ: ("board-view-all",),
    BOARDS_WRITE: ("board-view-all", "board-modify-all", "board-full-all", "board-create"),
    INTEGRATIONS_READ: ("integration-use-all",),
    INTEGRATIONS_ACT: ("integration-use-all", "integration-interact-all"),
    USERS_READ: (ADMIN, USER_MANAGE),
    USERS_MANAGE: (ADMIN, USER_MANAGE),
}


def implied(scopes) -> frozenset[str]:
    """`boards:write` includes `boards:read`, `integrations:act` includes `integrations:read`,
    `users:manage` includes `users:read`."""
    wanted = set(scopes)
    for writes, reads in (
        (BOARDS_WRITE, BOARDS_READ),
        (INTEGRATIONS_ACT, INTEGRATIONS_READ),
        (USERS_MANAGE, USERS_READ),
    ):
        if writes in wanted:
            wanted.add(reads)
    return frozenset(wanted & SCOPES.keys())


def narrow(grants: Grants, scopes) -> Grants:
    """The holder's `grants` as a token with `scopes` may use them."""
    scopes = implied(scopes)
    order = {"view": 0, "modify": 1, "full": 2, "use": 0, "interact": 1}
    ceilings: dict[str, str | None] = {}
    for scope in scopes:
        if scope in _CEILINGS:
            kind, level = _CEILINGS[scope]
            current = ceilings.get(kind)
            if current is None or order[level] > order[current]:
                ceilings[kind] = level
    permissions = {p for scope in scopes for p in _PERMISSIONS.get(scope, ())}
    return restrict(grants, ceilings, permissions)


def holder_may_choose(grants: Grants, scope: str) -> bool:
    """Whether offering `scope` makes sense for a holder: the user scopes only to admins and
    user managers (the others are narrowed by the holder's object levels anyway)."""
    return scope not in USER_SCOPES or grants.is_admin or grants.has(USER_MANAGE)
