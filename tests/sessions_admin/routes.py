from tests.matrix import Route

ROUTES = {
    "sessions_admin:mine": Route(
        "/settings/sessions/", get={"anonymous": 302, "*": 200}, post={"*": 405}
    ),
    "sessions_admin:revoke": Route(
        "/settings/sessions/revoke/",
        get={"*": 405},
        # An unknown session id of the user's own: 404; anonymous: to the login page.
        post={"anonymous": 302, "*": 404},
        post_data={"scope": "one", "session": "0" * 64},
    ),
}
