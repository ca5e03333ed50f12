"""Settings of the authentication chain: which providers run, and how each one is configured.

Imported by homeportal/settings.py. Every value comes from the environment (the README's
"Authentication and sessions" and "Single sign-on" tables), with Homarr's variable names
wherever Homarr has one so a Homarr environment carries over. A provider that is listed in
AUTH_PROVIDERS but lacks what it needs stops start-up with ImproperlyConfigured naming the
variable; the settings of providers that are not listed are read but never required.

The LDAP, OIDC and proxy code reads these plain values at request time (never at import), so
tests can change them with pytest-django's `settings` fixture.
"""

import importlib.util
import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from homeportal import auth_checks
from homeportal.env import (
    env_bool,
    env_choice,
    env_duration,
    env_int,
    env_list,
    env_networks,
    env_secret,
    env_str,
)
from homeportal.proxy_presets import PROXY_PRESETS

KNOWN_PROVIDERS = ("credentials", "ldap", "oidc", "proxy")
PROVIDER_BACKENDS = {
    "credentials": "accounts.backends.CredentialsBackend",
    "ldap": "accounts.providers.ldap.LDAPBackend",
    "oidc": "accounts.providers.oidc.OIDCBackend",
    "proxy": "accounts.providers.proxy.ProxyBackend",
}
# Providers whose people type a password into homeportal's own login form.
PASSWORD_PROVIDERS = ("credentials", "ldap")

# An HTTP header name as homeportal accepts it in settings: letters, digits and hyphens. An
# underscore is refused: WSGI turns `Remote_User` and `Remote-User` into the same variable.
HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
# An LDAP attribute name (RFC 4512 descr) or a numeric OID.
LDAP_ATTRIBUTE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*|\d+(\.\d+)+)$")


def backends_for(providers: list[str] | tuple[str, ...]) -> list[str]:
    """AUTHENTICATION_BACKENDS for these providers: theirs in the order listed, then the
    resolver (which answers every permission question)."""
    ordered = [p for p in KNOWN_PROVIDERS if p in providers]
    return [PROVIDER_BACKENDS[p] for p in ordered] + ["groups.backends.ResolverBackend"]


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _require(name: str, value: str, provider: str) -> str:
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when AUTH_PROVIDERS lists {provider}.")
    return value


def _url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if value and (parts.scheme not in schemes or not parts.netloc):
        raise ImproperlyConfigured(
            f"{name} must be a {' or '.join(s + '://' for s in schemes)} URL, not {value!r}."
        )
    return value


def _header(name: str, value: str) -> str:
    if value and not HEADER_NAME.match(value):
        raise ImproperlyConfigured(
            f"{name} must be an HTTP header name of letters, digits and hyphens, not {value!r} "
            "(an underscore cannot be told apart from a hyphen once the request reaches "
            "homeportal)."
        )
    return value


def _attribute(name: str, value: str) -> str:
    if value and not LDAP_ATTRIBUTE.match(value):
        raise ImproperlyConfigured(f"{name} must be an LDAP attribute name, not {value!r}.")
    return value


def _filter(name: str, value: str) -> str:
    """An administrator's extra LDAP filter: one parenthesised, balanced expression."""
    if not value:
        return ""
    depth = 0
    for char in value:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if not (value.startswith("(") and value.endswith(")")) or depth != 0:
        raise ImproperlyConfigured(
            f"{name} must be an LDAP filter in parentheses such as (objectClass=person), "
            f"not {value!r}."
        )
    return value


# --- Providers -------------------------------------------------------------------------------
AUTH_PROVIDERS = [p.lower() for p in env_list("AUTH_PROVIDERS", ["credentials"])]
for _provider in AUTH_PROVIDERS:
    if _provider not in KNOWN_PROVIDERS:
        raise ImproperlyConfigured(
            f"AUTH_PROVIDERS lists {_provider!r}; known providers are {', '.join(KNOWN_PROVIDERS)}."
        )
if not AUTH_PROVIDERS:
    raise ImproperlyConfigured("AUTH_PROVIDERS must name at least one provider.")
AUTHENTICATION_BACKENDS = backends_for(AUTH_PROVIDERS)
# Where logout leads: a path of this site or an http(s) URL (the proxy's or provider's logout).
AUTH_LOGOUT_REDIRECT_URL = env_str("AUTH_LOGOUT_REDIRECT_URL")
if not AUTH_LOGOUT_REDIRECT_URL.startswith("/") or AUTH_LOGOUT_REDIRECT_URL.startswith("//"):
    _url("AUTH_LOGOUT_REDIRECT_URL", AUTH_LOGOUT_REDIRECT_URL, ("http", "https"))

# --- LDAP / Active Directory (django-auth-ldap) ----------------------------------------------
AUTH_LDAP_URI = _url("AUTH_LDAP_URI", env_str("AUTH_LDAP_URI"), ("ldap", "ldaps"))
AUTH_LDAP_BIND_DN = env_str("AUTH_LDAP_BIND_DN")
AUTH_LDAP_BIND_PASSWORD = env_secret("AUTH_LDAP_BIND_PASSWORD")
AUTH_LDAP_BASE = env_str("AUTH_LDAP_BASE")
AUTH_LDAP_SEARCH_SCOPE = env_choice("AUTH_LDAP_SEARCH_SCOPE", ("base", "one", "sub"), "sub")
AUTH_LDAP_USERNAME_ATTRIBUTE = _attribute(
    "AUTH_LDAP_USERNAME_ATTRIBUTE", env_str("AUTH_LDAP_USERNAME_ATTRIBUTE", "uid")
)
AUTH_LDAP_USERNAME_FILTER_EXTRA_ARG = _filter(
    "AUTH_LDAP_USERNAME_FILTER_EXTRA_ARG", env_str("AUTH_LDAP_USERNAME_FILTER_EXTRA_ARG")
)
AUTH_LDAP_USER_MAIL_ATTRIBUTE = _attribute(
    "AUTH_LDAP_USER_MAIL_ATTRIBUTE", env_str("AUTH_LDAP_USER_MAIL_ATTRIBUTE", "mail")
)
AUTH_LDAP_USER_NAME_ATTRIBUTE = _attribute(
    "AUTH_LDAP_USER_NAME_ATTRIBUTE", env_str("AUTH_LDAP_USER_NAME_ATTRIBUTE", "displayName")
)
# Empty: entryUUID (OpenLDAP, 389-ds, FreeIPA), else objectGUID (Active Directory), else the DN.
AUTH_LDAP_USER_ID_ATTRIBUTE = _attribute(
    "AUTH_LDAP_USER_ID_ATTRIBUTE", env_str("AUTH_LDAP_USER_ID_ATTRIBUTE")
)
AUTH_LDAP_GROUP_BASE = env_str("AUTH_LDAP_GROUP_BASE")  # empty: AUTH_LDAP_BASE
AUTH_LDAP_GROUP_CLASS = _attribute(
    "AUTH_LDAP_GROUP_CLASS", env_str("AUTH_LDAP_GROUP_CLASS", "groupOfNames")
)
# Empty: the usual attribute of the class (member, uniqueMember, memberUid).
AUTH_LDAP_GROUP_MEMBER_ATTRIBUTE = _attribute(
    "AUTH_LDAP_GROUP_MEMBER_ATTRIBUTE", env_str("AUTH_LDAP_GROUP_MEMBER_ATTRIBUTE")
)
# What the member attribute holds: `dn`, or a user attribute such as `uid` (posixGroup).
AUTH_LDAP_GROUP_MEMBER_USER_ATTRIBUTE = env_str("AUTH_LDAP_GROUP_MEMBER_USER_ATTRIBUTE")
if AUTH_LDAP_GROUP_MEMBER_USER_ATTRIBUTE.lower() != "dn":
    _attribute("AUTH_LDAP_GROUP_MEMBER_USER_ATTRIBUTE", AUTH_LDAP_GROUP_MEMBER_USER_ATTRIBUTE)
AUTH_LDAP_GROUP_FILTER_EXTRA_ARG = _filter(
    "AUTH_LDAP_GROUP_FILTER_EXTRA_ARG", env_str("AUTH_LDAP_GROUP_FILTER_EXTRA_ARG")
)
AUTH_LDAP_GROUP_NAME_ATTRIBUTE = _attribute(
    "AUTH_LDAP_GROUP_NAME_ATTRIBUTE", env_str("AUTH_LDAP_GROUP_NAME_ATTRIBUTE", "cn")
)
AUTH_LDAP_NESTED_GROUPS = env_bool("AUTH_LDAP_NESTED_GROUPS", False)
AUTH_LDAP_START_TLS = env_bool("AUTH_LDAP_START_TLS", False)
AUTH_LDAP_TLS_CA_FILE = env_str("AUTH_LDAP_TLS_CA_FILE")
AUTH_LDAP_TLS_REQUIRE_CERT = env_choice(
    "AUTH_LDAP_TLS_REQUIRE_CERT", ("demand", "hard", "try", "allow", "never"), "demand"
)
AUTH_LDAP_TIMEOUT = env_int("AUTH_LDAP_TIMEOUT", 5, minimum=1)
AUTH_LDAP_CREATE_USERS = env_bool("AUTH_LDAP_CREATE_USERS", True)
AUTH_LDAP_GROUPS_LOCAL_MANAGEMENT = env_bool("AUTH_LDAP_GROUPS_LOCAL_MANAGEMENT", False)
# Run with passwords in clear (ldap:// without StartTLS) or unchecked certificates anyway.
AUTH_LDAP_ALLOW_INSECURE = env_bool("AUTH_LDAP_ALLOW_INSECURE", False)

if "ldap" in AUTH_PROVIDERS:
    _require("AUTH_LDAP_URI", AUTH_LDAP_URI, "ldap")
    _require("AUTH_LDAP_BASE", AUTH_LDAP_BASE, "ldap")
    if AUTH_LDAP_TLS_CA_FILE and not Path(AUTH_LDAP_TLS_CA_FILE).is_file():
        raise ImproperlyConfigured(
            f"AUTH_LDAP_TLS_CA_FILE names {AUTH_LDAP_TLS_CA_FILE!r}, which is not a readable file."
        )
    if AUTH_LDAP_START_TLS and AUTH_LDAP_URI.startswith("ldaps://"):
        raise ImproperlyConfigured(
            "AUTH_LDAP_START_TLS is for ldap:// URLs; an ldaps:// URL is encrypted already."
        )
    _refusal = (
        None
        if AUTH_LDAP_ALLOW_INSECURE
        else auth_checks.ldap_insecure(
            AUTH_LDAP_URI, AUTH_LDAP_START_TLS, AUTH_LDAP_TLS_REQUIRE_CERT
        )
    )
    if _refusal:
        raise ImproperlyConfigured(_refusal)
    for _module in ("ldap", "django_auth_ldap"):
        if importlib.util.find_spec(_module) is None:
            raise ImproperlyConfigured(
                "AUTH_PROVIDERS lists ldap, but python-ldap and django-auth-ldap are not "
                "installed. Install homeportal with its LDAP extra: pip install '.[ldap]' "
                "(it compiles against the system's libldap2-dev and libsasl2-dev)."
            )

# --- OpenID Connect (mozilla-django-oidc) ----------------------------------------------------
AUTH_OIDC_ISSUER = _url("AUTH_OIDC_ISSUER", env_str("AUTH_OIDC_ISSUER"), ("http", "https"))
AUTH_OIDC_CLIENT_ID = env_str("AUTH_OIDC_CLIENT_ID")
AUTH_OIDC_CLIENT_SECRET = env_secret("AUTH_OIDC_CLIENT_SECRET")
AUTH_OIDC_CLIENT_NAME = env_str("AUTH_OIDC_CLIENT_NAME", "OIDC")
AUTH_OIDC_AUTO_LOGIN = env_bool("AUTH_OIDC_AUTO_LOGIN", False)
AUTH_OIDC_SCOPE_OVERWRITE = env_str("AUTH_OIDC_SCOPE_OVERWRITE", "openid email profile groups")
AUTH_OIDC_GROUPS_ATTRIBUTE = env_str("AUTH_OIDC_GROUPS_ATTRIBUTE", "groups")
AUTH_OIDC_NAME_ATTRIBUTE_OVERWRITE = env_str("AUTH_OIDC_NAME_ATTRIBUTE_OVERWRITE")
AUTH_OIDC_FORCE_USERINFO = env_bool("AUTH_OIDC_FORCE_USERINFO", False)
AUTH_OIDC_TOKEN_ENDPOINT_AUTH_METHOD = env_choice(
    "AUTH_OIDC_TOKEN_ENDPOINT_AUTH_METHOD",
    ("client_secret_basic", "client_secret_post"),
    "client_secret_basic",
)
AUTH_OIDC_CREATE_USERS = env_bool("AUTH_OIDC_CREATE_USERS", True)
AUTH_OIDC_GROUPS_LOCAL_MANAGEMENT = env_bool("AUTH_OIDC_GROUPS_LOCAL_MANAGEMENT", False)
# How often a signed-in person is re-checked at the provider (silently, prompt=none).
AUTH_OIDC_SESSION_REFRESH = env_duration("AUTH_OIDC_SESSION_REFRESH", "15m")
AUTH_OIDC_DISCOVERY_CACHE = env_duration("AUTH_OIDC_DISCOVERY_CACHE", "1h")
AUTH_OIDC_TIMEOUT = env_int("AUTH_OIDC_TIMEOUT", 10, minimum=1)
# Accept a plain http:// issuer on another machine anyway.
AUTH_OIDC_ALLOW_INSECURE = env_bool("AUTH_OIDC_ALLOW_INSECURE", False)

if "oidc" in AUTH_PROVIDERS:
    _require("AUTH_OIDC_ISSUER", AUTH_OIDC_ISSUER, "oidc")
    _require("AUTH_OIDC_CLIENT_ID", AUTH_OIDC_CLIENT_ID, "oidc")
    _require("AUTH_OIDC_CLIENT_SECRET", AUTH_OIDC_CLIENT_SECRET, "oidc")
    if "openid" not in AUTH_OIDC_SCOPE_OVERWRITE.split():
        raise ImproperlyConfigured("AUTH_OIDC_SCOPE_OVERWRITE must contain the scope openid.")
    _refusal = None if AUTH_OIDC_ALLOW_INSECURE else auth_checks.oidc_insecure(AUTH_OIDC_ISSUER)
    if _refusal:
        raise ImproperlyConfigured(_refusal)

# mozilla-django-oidc's own settings. Endpoints are not here: they come from the issuer's
# discovery document at run time (accounts.providers.oidc.discovery).
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_callback"
OIDC_REDIRECT_FIELD_NAME = "next"

# --- Reverse-proxy header login --------------------------------------------------------------
AUTH_PROXY_TRUSTED_NETWORKS = env_networks("AUTH_PROXY_TRUSTED_NETWORKS")
# Trust networks wider than a /24 (IPv4) or /64 (IPv6) anyway.
AUTH_PROXY_ALLOW_WIDE_NETWORKS = env_bool("AUTH_PROXY_ALLOW_WIDE_NETWORKS", False)
# A shared secret the reverse proxy sends in AUTH_PROXY_SECRET_HEADER with every request; when
# set, identity headers without it are ignored even from a trusted address.
AUTH_PROXY_SECRET = env_secret("AUTH_PROXY_SECRET")
AUTH_PROXY_SECRET_HEADER = _header(
    "AUTH_PROXY_SECRET_HEADER",
    env_str("AUTH_PROXY_SECRET_HEADER", "X-Homeportal-Proxy-Secret") or "X-Homeportal-Proxy-Secret",
)
AUTH_PROXY_PRESET = env_choice("AUTH_PROXY_PRESET", tuple(PROXY_PRESETS), "generic")
_preset = PROXY_PRESETS[AUTH_PROXY_PRESET]
AUTH_PROXY_USER_HEADER = _header(
    "AUTH_PROXY_USER_HEADER", env_str("AUTH_PROXY_USER_HEADER", _preset["user"])
)
AUTH_PROXY_EMAIL_HEADER = _header(
    "AUTH_PROXY_EMAIL_HEADER", env_str("AUTH_PROXY_EMAIL_HEADER", _preset["email"])
)
AUTH_PROXY_NAME_HEADER = _header(
    "AUTH_PROXY_NAME_HEADER", env_str("AUTH_PROXY_NAME_HEADER", _preset["name"])
)
AUTH_PROXY_GROUPS_HEADER = _header(
    "AUTH_PROXY_GROUPS_HEADER", env_str("AUTH_PROXY_GROUPS_HEADER", _preset["groups"])
)
AUTH_PROXY_ID_HEADER = _header(
    "AUTH_PROXY_ID_HEADER", env_str("AUTH_PROXY_ID_HEADER", _preset["id"])
)
AUTH_PROXY_GROUPS_SEPARATOR = env_str("AUTH_PROXY_GROUPS_SEPARATOR", _preset["separator"]) or ","
AUTH_PROXY_CREATE_USERS = env_bool("AUTH_PROXY_CREATE_USERS", False)
AUTH_PROXY_GROUPS_LOCAL_MANAGEMENT = env_bool("AUTH_PROXY_GROUPS_LOCAL_MANAGEMENT", False)

if "proxy" in AUTH_PROVIDERS:
    if not AUTH_PROXY_TRUSTED_NETWORKS:
        raise ImproperlyConfigured(
            "AUTH_PROVIDERS lists proxy, so AUTH_PROXY_TRUSTED_NETWORKS must name the reverse "
            "proxy's addresses (e.g. 172.18.0.2/32). Without it anyone could send the identity "
            "headers and log in as anybody."
        )
    _refusal = auth_checks.proxy_network_refusal(
        AUTH_PROXY_TRUSTED_NETWORKS, AUTH_PROXY_ALLOW_WIDE_NETWORKS
    ) or auth_checks.proxy_secret_refusal(AUTH_PROXY_SECRET)
    if _refusal:
        raise ImproperlyConfigured(_refusal)
    _require("AUTH_PROXY_USER_HEADER", AUTH_PROXY_USER_HEADER, "proxy")

# --- Group sync ------------------------------------------------------------------------------
# Providers whose group memberships admins manage by hand instead of having them mirrored at
# each login (read by groups.rules and accounts.groupsync).
AUTH_GROUPS_LOCAL_MANAGEMENT = tuple(
    provider
    for provider, local in (
        ("ldap", AUTH_LDAP_GROUPS_LOCAL_MANAGEMENT),
        ("oidc", AUTH_OIDC_GROUPS_LOCAL_MANAGEMENT),
        ("proxy", AUTH_PROXY_GROUPS_LOCAL_MANAGEMENT),
    )
    if local
)

# Origins a form may lead to (CSP form-action): logout is a POST whose answer redirects to the
# OIDC provider's end-session endpoint or to AUTH_LOGOUT_REDIRECT_URL, and browsers apply
# form-action to that redirect. The origins of the provider's authorization and end-session
# endpoints, which may differ from the issuer's, are added at run time from its discovery
# document (accounts.providers.oidc.csp_middleware).
AUTH_FORM_ACTION_ORIGINS = sorted(
    {
        o
        for o in (
            origin(AUTH_OIDC_ISSUER) if "oidc" in AUTH_PROVIDERS else "",
            origin(AUTH_LOGOUT_REDIRECT_URL),
        )
        if o
    }
)

# --- Forward authentication (protected apps) -------------------------------------------------
# Only these peers may ask /auth/nginx and /auth/forward (checked against the direct peer, never
# X-Forwarded-For): the reverse proxies in front of the protected apps. Parsed like
# AUTH_PROXY_TRUSTED_NETWORKS; default: this machine only.
AUTH_FORWARD_TRUSTED_NETWORKS = env_networks("AUTH_FORWARD_TRUSTED_NETWORKS") or [
    ipaddress.ip_network("127.0.0.1/32"),
    ipaddress.ip_network("::1/128"),
]
_refusal = auth_checks.proxy_network_refusal(
    AUTH_FORWARD_TRUSTED_NETWORKS, AUTH_PROXY_ALLOW_WIDE_NETWORKS
)
if _refusal:
    raise ImproperlyConfigured(_refusal.replace("AUTH_PROXY_TRUSTED", "AUTH_FORWARD_TRUSTED"))
# The identity headers the gate answers with, for apps that log people in from headers.
AUTH_FORWARD_USER_HEADER = _header(
    "AUTH_FORWARD_USER_HEADER", env_str("AUTH_FORWARD_USER_HEADER", "Remote-User") or "Remote-User"
)
AUTH_FORWARD_NAME_HEADER = _header(
    "AUTH_FORWARD_NAME_HEADER", env_str("AUTH_FORWARD_NAME_HEADER", "Remote-Name")
)
AUTH_FORWARD_EMAIL_HEADER = _header(
    "AUTH_FORWARD_EMAIL_HEADER", env_str("AUTH_FORWARD_EMAIL_HEADER", "Remote-Email")
)
AUTH_FORWARD_GROUPS_HEADER = _header(
    "AUTH_FORWARD_GROUPS_HEADER", env_str("AUTH_FORWARD_GROUPS_HEADER", "Remote-Groups")
)
AUTH_FORWARD_GROUPS_SEPARATOR = env_str("AUTH_FORWARD_GROUPS_SEPARATOR", ",") or ","

__all__ = [
    name
    for name in dir()
    if name.startswith(("AUTH_", "OIDC_")) or name == "AUTHENTICATION_BACKENDS"
] + ["KNOWN_PROVIDERS", "PASSWORD_PROVIDERS"]
