"""Settings → Groups in the authorization matrix (tests/matrix.py)."""

from groups.models import Group
from tests.matrix import Route

MANAGERS = {"owner": 200, "admin": 200, "user_manager": 200, "anonymous": 302, "*": 403}
MANAGERS_POST = {"owner": 302, "admin": 302, "user_manager": 302, "anonymous": 302, "*": 403}
ADMINS_POST = {"owner": 302, "admin": 302, "anonymous": 302, "*": 403}
POST_ONLY = {"*": 405}


def family(world) -> str:
    return f"/settings/groups/{world.people.family.pk}/"


def setup_world(world) -> None:
    world.group_order = list(Group.objects.regular().values_list("pk", flat=True))


ROUTES = {
    "groups:list": Route("/settings/groups/", get=MANAGERS, post=POST_ONLY),
    "groups:create": Route(
        "/settings/groups/new/", get=MANAGERS, post=MANAGERS_POST, post_data={"name": "friends"}
    ),
    # The order decides everyone's home board: admins only.
    "groups:reorder": Route(
        "/settings/groups/reorder/",
        get=POST_ONLY,
        post=ADMINS_POST,
        post_data=lambda w: {"order": list(reversed(w.group_order))},
    ),
    "groups:detail": Route(family, get=MANAGERS, post=POST_ONLY),
    "groups:rename": Route(
        lambda w: family(w) + "rename/",
        get=POST_ONLY,
        post=MANAGERS_POST,
        post_data={"name": "household"},
    ),
    "groups:permissions": Route(
        lambda w: family(w) + "permissions/",
        get=POST_ONLY,
        post=MANAGERS_POST,
        post_data={"permissions": []},
    ),
    "groups:external_names": Route(
        lambda w: family(w) + "external-names/",
        get=POST_ONLY,
        post=MANAGERS_POST,
        post_data={"external_names": "family-ldap"},
    ),
    # Who must use two-factor login is a system setting: admins only (a user manager gets the
    # rule's 403).
    "groups:two_factor": Route(
        lambda w: family(w) + "two-factor/",
        get=POST_ONLY,
        post=ADMINS_POST,
        post_data={"require_two_factor": "on"},
    ),
    "groups:add_member": Route(
        lambda w: family(w) + "members/add/",
        get=POST_ONLY,
        post=MANAGERS_POST,
        post_data={"username": "otto"},
    ),
    "groups:remove_member": Route(
        lambda w: family(w) + "members/remove/",
        get=POST_ONLY,
        post=MANAGERS_POST,
        post_data=lambda w: {"user": w.people.member.pk},
    ),
    "groups:move": Route(
        lambda w: family(w) + "move/",
        get=POST_ONLY,
        post=ADMINS_POST,
        post_data={"direction": "up"},
    ),
    "groups:delete": Route(lambda w: family(w) + "delete/", get=MANAGERS, post=MANAGERS_POST),
}
