from tests.conftest import PASSWORD
from tests.matrix import Route

ROUTES = {
    "accounts:login": Route(
        "/accounts/login/",
        get={"anonymous": 200, "*": 302},
        # Anonymous: a wrong password answers the form again with 400; logged in: redirected.
        post={"anonymous": 400, "*": 302},
        post_data={"username": "nobody", "password": PASSWORD},
    ),
    "accounts:logout": Route("/accounts/logout/", get={"*": 405}, post={"*": 302}),
    "accounts:password_change": Route(
        "/accounts/password/",
        get={"anonymous": 302, "*": 200},
        post={"anonymous": 302, "*": 200},  # an invalid form answers the page again
        post_data={"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
    ),
}

# Single sign-on (OIDC). The test settings run credentials only: the provider's URLs answer 404
# to everybody until AUTH_PROVIDERS lists oidc (tests/accounts/test_oidc.py covers them on).
ROUTES |= {
    "accounts:oidc_login": Route("/accounts/oidc/login/", get={"*": 404}, post={"*": 405}),
    "accounts:oidc_callback": Route(
        "/accounts/oidc/callback/?code=x&state=y", get={"*": 404}, post={"*": 405}
    ),
}
