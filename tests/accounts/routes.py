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

LOGGED_IN_PAGE = {"anonymous": 302, "*": 200}
ROUTES.update(
    {
        "accounts:two_factor": Route("/accounts/2fa/", get=LOGGED_IN_PAGE, post={"*": 405}),
        "accounts:two_factor_setup": Route(
            "/accounts/2fa/setup/", get={"*": 405}, post={"*": 302}, post_data={"action": "start"}
        ),
        "accounts:two_factor_disable": Route(
            "/accounts/2fa/disable/",
            get={"*": 405},
            post={"*": 302},
            post_data={"password": "wrong", "code": "000000"},
        ),
        "accounts:two_factor_codes": Route(
            "/accounts/2fa/recovery-codes/",
            get={"*": 405},
            post={"*": 302},
            post_data={"code": "000000"},
        ),
        # Without a pending login (password given a moment ago) it leads back to the login page.
        "accounts:two_factor_verify": Route(
            "/accounts/2fa/verify/", get={"*": 302}, post={"*": 302}, post_data={"code": "1"}
        ),
    }
)
# Single sign-on (OIDC). The test settings run credentials only: the provider's URLs answer 404
# to everybody until AUTH_PROVIDERS lists oidc (tests/accounts/test_oidc.py covers them on).
ROUTES |= {
    "accounts:oidc_login": Route("/accounts/oidc/login/", get={"*": 404}, post={"*": 405}),
    "accounts:oidc_callback": Route(
        "/accounts/oidc/callback/?code=x&state=y", get={"*": 404}, post={"*": 405}
    ),
}
