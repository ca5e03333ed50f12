"""API tokens in the authorization matrix (tests/matrix.py): the token pages, and every API
route with the scopes it needs (the matrix tries each persona with every set of scopes).

The world is the boards world's `family` board (view for the member, modify for the user
manager, nothing for the outsider) with its app widget, and the integrations world's
downloads widget on it: the lab integration is down, so those who may run its action get 502.
"""

from tests.matrix import Route

ANON = {"anonymous": 302}
NO = {"*": 405}
EVERYONE = {"*": 200}
VIEW = {"owner": 200, "admin": 200, "user_manager": 200, "member": 200, "outsider": 404}
MANAGERS = {"owner": 200, "admin": 200, "user_manager": 200, "*": 403}
MANAGERS_INVALID = {"owner": 422, "admin": 422, "user_manager": 422, "*": 403}
BOARDS, ACT = ("boards:read",), ("boards:read", "integrations:act")
USERS, MANAGE = ("users:read",), ("users:manage",)
WRITE = ("boards:write",)
# `modify` on the family board: the owner, admins and the user manager (its ACL row).
MODIFY = {"owner": 200, "admin": 200, "user_manager": 200, "member": 403, "outsider": 404}
CLOCK = {"title": "Tokyo", "time_zone": "Asia/Tokyo", "hour12": "", "show_seconds": False,
         "show_date": True}  # fmt: skip


def board(suffix: str = ""):
    return lambda w: f"/api/v1/boards/{w.board.name}/{suffix}"


ROUTES = {
    "apitokens:mine": Route(
        "/settings/api-tokens/", get={**ANON, "*": 200}, post={**ANON, "*": 400}
    ),
    "apitokens:all": Route(
        "/settings/api-tokens/all/",
        get={"owner": 200, "admin": 200, **ANON, "*": 403},
        post={"*": 405},
    ),
    # Nobody's token 1 exists in the world: 404 for anyone logged in.
    "apitokens:revoke": Route(
        "/settings/api-tokens/revoke/", get=NO, post={**ANON, "*": 404}, post_data={"token": 1}
    ),
    "api:openapi": Route("/api/v1/openapi.json", get=EVERYONE, post=NO),
    "api:me": Route("/api/v1/me", get=EVERYONE, post=NO, scopes=()),
    "api:boards": Route("/api/v1/boards/", get=EVERYONE, post=NO, scopes=BOARDS),
    "api:board": Route(board(), get=VIEW, post=NO, scopes=BOARDS),
    # `full`: the owner and admins; the user manager (modify) and the member (view) may not.
    "api:board_general": Route(
        board("general"),
        get=NO,
        post={"owner": 200, "admin": 200, "user_manager": 403, "member": 403, "outsider": 404},
        post_data={"title": "Our family"},
        scopes=("boards:write",),
    ),
    # board-create: admins only in this world.
    "api:board_create": Route(
        "/api/v1/boards/new",
        get=NO,
        post={"owner": 200, "admin": 200, "*": 403},
        post_data={"title": "Garden"},
        scopes=WRITE,
    ),
    "api:board_delete": Route(
        board("delete"),
        get=NO,
        post={"owner": 200, "admin": 200, "user_manager": 403, "member": 403, "outsider": 404},
        scopes=WRITE,
    ),
    "api:section_create": Route(
        board("sections/new"),
        get=NO,
        post=MODIFY,
        post_data={"kind": "category", "title": "Media"},
        scopes=WRITE,
    ),
    "api:section_update": Route(
        lambda w: board(f"sections/{w.section.pk}/edit")(w),
        get=NO,
        post=MODIFY,
        post_data={"title": "Apps and more"},
        scopes=WRITE,
    ),
    "api:section_delete": Route(
        lambda w: board(f"sections/{w.section.pk}/delete")(w), get=NO, post=MODIFY, scopes=WRITE
    ),
    "api:item_create": Route(
        board("items/new"),
        get=NO,
        post=MODIFY,
        post_data=lambda w: {"section": w.section.pk, "kind": "clock", "options": CLOCK},
        scopes=WRITE,
    ),
    "api:item_update": Route(
        lambda w: board(f"items/{w.item.pk}/edit")(w),
        get=NO,
        post=MODIFY,
        post_data={"options": {"name": "Jellyfin TV"}},
        scopes=WRITE,
    ),
    "api:item_move": Route(
        lambda w: board(f"items/{w.item.pk}/move")(w),
        get=NO,
        post=MODIFY,
        post_data={"x": 0, "y": 4},
        scopes=WRITE,
    ),
    "api:item_delete": Route(
        lambda w: board(f"items/{w.item.pk}/delete")(w), get=NO, post=MODIFY, scopes=WRITE
    ),
    "api:item_data": Route(
        lambda w: board(f"items/{w.item.pk}/data/")(w), get=VIEW, post=NO, scopes=BOARDS
    ),
    "api:item_action": Route(
        lambda w: board(f"items/{w.downloads.pk}/actions/pause/")(w),
        get=NO,
        post={"owner": 502, "admin": 502, "user_manager": 502, "member": 403, "outsider": 404},
        post_data={"id": "a1"},
        scopes=ACT,
    ),
    "api:integrations": Route(
        "/api/v1/integrations/", get=EVERYONE, post=NO, scopes=("integrations:read",)
    ),
    "api:users": Route("/api/v1/users/", get=MANAGERS, post=NO, scopes=USERS),
    "api:user_create": Route(
        "/api/v1/users/new",
        get=NO,
        post=MANAGERS_INVALID,
        post_data={"username": ""},
        scopes=MANAGE,
    ),
    "api:user": Route("/api/v1/users/mia/", get=MANAGERS, post=NO, scopes=USERS),
    "api:user_update": Route(
        "/api/v1/users/mia/edit",
        get=NO,
        post=MANAGERS,
        post_data={"display_name": "Mia M."},
        scopes=MANAGE,
    ),
    "api:user_set_active": Route(
        "/api/v1/users/mia/active",
        get=NO,
        post=MANAGERS,
        post_data={"active": False},
        scopes=MANAGE,
    ),
    "api:user_delete": Route("/api/v1/users/mia/delete", get=NO, post=MANAGERS, scopes=MANAGE),
    "api:user_reset_link": Route(
        "/api/v1/users/mia/reset-link",
        get=NO,
        post=MANAGERS,
        post_data={"lifetime": "1h"},
        scopes=MANAGE,
    ),
    # The page's check is `admin`; the rule then lets only the owner hand ownership on.
    "api:user_transfer_ownership": Route(
        "/api/v1/users/adam/ownership", get=NO, post={"owner": 200, "*": 403}, scopes=MANAGE
    ),
    "api:group_create": Route(
        "/api/v1/groups/new",
        get=NO,
        post=MANAGERS,
        post_data={"name": "garden"},
        scopes=MANAGE,
    ),
    "api:group_rename": Route(
        lambda w: f"/api/v1/groups/{w.people.family.pk}/rename",
        get=NO,
        post=MANAGERS,
        post_data={"name": "household"},
        scopes=MANAGE,
    ),
    # The user manager may not grant board-create: they do not hold it.
    "api:group_permissions": Route(
        lambda w: f"/api/v1/groups/{w.people.family.pk}/permissions",
        get=NO,
        post={"owner": 200, "admin": 200, "*": 403},
        post_data={"permissions": ["board-create"]},
        scopes=MANAGE,
    ),
    "api:group_delete": Route(
        lambda w: f"/api/v1/groups/{w.people.family.pk}/delete",
        get=NO,
        post=MANAGERS,
        scopes=MANAGE,
    ),
    "api:groups": Route("/api/v1/groups/", get=MANAGERS, post=NO, scopes=USERS),
    "api:group_member": Route(
        lambda w: f"/api/v1/groups/{w.people.family.pk}/members",
        get=NO,
        post=MANAGERS,
        post_data={"username": "otto", "member": True},
        scopes=MANAGE,
    ),
}
