"""Global permissions, held by groups, and the implications between them (DESIGN.md)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ADMIN = "admin"
USER_MANAGE = "user-manage"
AUDIT_VIEW = "audit-view"
APP_MANAGE = "app-manage"

PERMISSIONS: dict[str, str | Promise] = {  # lazy translations
    ADMIN: _("Everything, including system settings and other admins"),
    USER_MANAGE: _("Create, edit and disable users who are not admins; manage invites"),
    "board-create": _("Create boards"),
    "board-view-all": _("View every board"),
    "board-modify-all": _("Modify every board"),
    "board-full-all": _("Full access to every board"),
    "integration-create": _("Create integrations"),
    "integration-use-all": _("Use every integration"),
    "integration-interact-all": _("Interact with every integration"),
    "integration-full-all": _("Full access to every integration"),
    AUDIT_VIEW: _("Read the audit log and everyone's login history"),
    APP_MANAGE: _("Manage protected apps (the sign-in gate of other apps) and reach all of them"),
}

# Each permission directly implies these; `expand` follows the chain.
IMPLIES: dict[str, tuple[str, ...]] = {
    ADMIN: tuple(p for p in PERMISSIONS if p != ADMIN),
    "board-full-all": ("board-modify-all", "board-create"),
    "board-modify-all": ("board-view-all",),
    "integration-full-all": ("integration-interact-all", "integration-create"),
    "integration-interact-all": ("integration-use-all",),
}


def expand(names) -> frozenset[str]:
    """The given permissions with everything they imply; unknown names are dropped."""
    result: set[str] = set()
    pending = [n for n in names if n in PERMISSIONS]
    while pending:
        name = pending.pop()
        if name not in result:
            result.add(name)
            pending.extend(IMPLIES.get(name, ()))
    return frozenset(result)


def implied_by(name: str) -> frozenset[str]:
    """What holding `name` brings beyond itself (shown next to each checkbox)."""
    return expand([name]) - {name}
