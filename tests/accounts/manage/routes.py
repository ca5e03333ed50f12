"""Settings → Users in the authorization matrix (tests/matrix.py). The user pages live in the
accounts app, whose own routes.py belongs to the login pages; these entries sit apart."""

from tests.matrix import Route

MANAGERS = {"owner": 200, "admin": 200, "user_manager": 200, "anonymous": 302, "*": 403}
MANAGERS_POST = {"owner": 302, "admin": 302, "user_manager": 302, "anonymous": 302, "*": 403}
MANAGERS_INVALID = {"owner": 400, "admin": 400, "user_manager": 400, "anonymous": 302, "*": 403}
POST_ONLY = {"*": 405}
MIA = "/settings/users/mia/"

ROUTES = {
    "users:list": Route("/settings/users/", get=MANAGERS, post=POST_ONLY),
    "users:create": Route(
        "/settings/users/new/", get=MANAGERS, post=MANAGERS_INVALID, post_data={"username": ""}
    ),
    "users:detail": Route(MIA, get=MANAGERS, post=MANAGERS_INVALID, post_data={"username": ""}),
    "users:set_active": Route(
        MIA + "active/", get=POST_ONLY, post=MANAGERS_POST, post_data={"active": "0"}
    ),
    "users:force_password_change": Route(
        MIA + "force-password-change/", get=POST_ONLY, post=MANAGERS_POST
    ),
    "users:reset_link": Route(
        MIA + "reset-link/", get=MANAGERS, post=MANAGERS_POST, post_data={"lifetime": "1d"}
    ),
    # Without the confirmation tick the form answers again with 400.
    "users:delete": Route(MIA + "delete/", get=MANAGERS, post=MANAGERS_INVALID),
    # Only the owner hands over ownership, and only to an admin (adam is one).
    "users:transfer_ownership": Route(
        "/settings/users/adam/transfer-ownership/",
        get=POST_ONLY,
        post={"owner": 302, "anonymous": 302, "*": 403},
    ),
}
