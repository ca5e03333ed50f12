"""Impersonation and the audit page in the authorization matrix."""

from tests.matrix import Route

POST_ONLY = {"*": 405}

ROUTES = {
    # Admins only, and only on non-admins (mia is a member).
    "sessions_admin:impersonate_start": Route(
        "/settings/sessions/impersonate/mia/",
        get=POST_ONLY,
        post={"owner": 302, "admin": 302, "anonymous": 302, "*": 403},
    ),
    # Without an impersonation under way it leads home.
    "sessions_admin:impersonate_stop": Route(
        "/settings/sessions/impersonation/end/", get=POST_ONLY, post={"*": 302}
    ),
    # audit-view (admins hold it through admin).
    "audit:list": Route(
        "/settings/audit/",
        get={"owner": 200, "admin": 200, "anonymous": 302, "*": 403},
        post=POST_ONLY,
    ),
    "audit:export": Route(
        "/settings/audit/export.csv",
        get={"owner": 200, "admin": 200, "anonymous": 302, "*": 403},
        post=POST_ONLY,
    ),
    # A user's own sessions.
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
