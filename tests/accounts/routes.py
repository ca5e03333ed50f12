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
