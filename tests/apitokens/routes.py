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
    "api:groups": Route("/api/v1/groups/", get=MANAGERS, post=NO, scopes=USERS),
    "api:group_member": Route(
        lambda w: f"/api/v1/groups/{w.people.family.pk}/members",
        get=NO,
        post=MANAGERS,
        post_data={"username": "otto", "member": True},
        scopes=MANAGE,
    ),
}
