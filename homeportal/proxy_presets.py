"""Header presets of the reverse proxies (DESIGN.md). Plain data on the settings side:
homeportal/auth_settings.py reads it, and so does the proxy provider.

Each names the headers carrying the user name, e-mail, display name, groups and a stable id,
and the separator between groups. `generic` is the X-Forwarded-* set of oauth2-proxy and of
most forward-auth set-ups; every header can be overridden (AUTH_PROXY_*_HEADER).
"""

PROXY_PRESETS: dict[str, dict[str, str]] = {
    "authelia": {
        "user": "Remote-User", "email": "Remote-Email", "name": "Remote-Name",
        "groups": "Remote-Groups", "id": "", "separator": ",",
    },
    "authentik": {
        "user": "X-authentik-username", "email": "X-authentik-email",
        "name": "X-authentik-name", "groups": "X-authentik-groups", "id": "X-authentik-uid",
        "separator": "|",
    },
    "generic": {
        "user": "X-Forwarded-User", "email": "X-Forwarded-Email", "name": "",
        "groups": "X-Forwarded-Groups", "id": "", "separator": ",",
    },
}  # fmt: skip
