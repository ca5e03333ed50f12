"""The `ldap` provider: OpenLDAP, 389-ds, FreeIPA, Active Directory, through django-auth-ldap.

A login (from the password form, after the credentials backend said no):

1. bind with the service account (AUTH_LDAP_BIND_DN), search the person under AUTH_LDAP_BASE
   with AUTH_LDAP_SEARCH_SCOPE by AUTH_LDAP_USERNAME_ATTRIBUTE (plus
   AUTH_LDAP_USERNAME_FILTER_EXTRA_ARG); the typed name is escaped (RFC 4515) so it can only
   ever be a value, never filter syntax;
2. bind as the entry found, with the typed password (this is the password check);
3. read the groups (with the service account) of AUTH_LDAP_GROUP_CLASS whose member attribute
   holds the person's DN (or uid for posixGroup), following nested groups when asked (Active
   Directory, nested groupOfNames);
4. find the account by the entry's stable identifier (entryUUID, objectGUID or the DN), or
   create it, update e-mail and display name, and mirror the groups (accounts.identities).

A directory that cannot be reached, refuses the service account or fails the TLS check stops
nothing else: the login page says that directory accounts cannot log in right now, the log
says exactly why, and local accounts keep working.
"""

import logging
import socket
import ssl
import uuid
from urllib.parse import urlsplit

import ldap
import ldap.filter
from django.conf import settings
from django.utils.translation import gettext as _
from django_auth_ldap.backend import LDAPBackend as DjangoLDAPBackend
from django_auth_ldap.backend import ldap_error
from django_auth_ldap.config import LDAPGroupType, LDAPSearch, LDAPSettings

from accounts.identities import ExternalProfile, LoginRefused, login_external
from accounts.models import Provider
from accounts.providers.base import ExternalBackend, refuse
from homeportal.net import client_ip

logger = logging.getLogger("accounts.providers.ldap")

SCOPES = {"base": ldap.SCOPE_BASE, "one": ldap.SCOPE_ONELEVEL, "sub": ldap.SCOPE_SUBTREE}
REQUIRE_CERT = {
    "never": ldap.OPT_X_TLS_NEVER,
    "allow": ldap.OPT_X_TLS_ALLOW,
    "try": ldap.OPT_X_TLS_TRY,
    "demand": ldap.OPT_X_TLS_DEMAND,
    "hard": ldap.OPT_X_TLS_HARD,
}
# The attribute that holds a member, by group class, when AUTH_LDAP_GROUP_MEMBER_ATTRIBUTE is
# empty; and what it holds (a DN, or the user's uid).
MEMBER_ATTRIBUTES = {
    "groupofnames": ("member", "dn"),
    "groupofuniquenames": ("uniqueMember", "dn"),
    "posixgroup": ("memberUid", "uid"),
    "group": ("member", "dn"),  # Active Directory
}
STABLE_IDS = ("entryUUID", "objectGUID")
# The issuer of LDAP identities. One directory is configured at a time and its entryUUIDs and
# objectGUIDs are unique in it, so a constant keeps accounts linked when AUTH_LDAP_URI or
# AUTH_LDAP_BASE change (a new host name, ldaps://, a narrower base).
ISSUER = "directory"
ERRORS = "_ldap_errors"


def filter_value(value: str) -> str:
    """`value` escaped for an LDAP filter (RFC 4515), and for django-auth-ldap's %-formatting."""
    return ldap.filter.escape_filter_chars(value).replace("%", "%%")


def literal(value: str) -> str:
    """An administrator's filter text made safe for django-auth-ldap's %-formatting."""
    return value.replace("%", "%%")


class MemberGroupType(LDAPGroupType):
    """Groups that list their members in one attribute, by DN or by another user attribute.

    With `nested`, groups that are members of the groups found are followed (breadth first,
    each DN once): Active Directory's nested groups and nested groupOfNames alike.
    """

    def __init__(self, member_attr: str, member_value: str, name_attr: str, nested: bool):
        super().__init__(name_attr)
        self.member_attr = member_attr
        self.member_value = member_value
        self.nested = nested and member_value.lower() == "dn"

    def user_groups(self, ldap_user, group_search):
        if self.member_value.lower() == "dn":
            start = ldap_user.dn
        else:
            values = (ldap_user.attrs or {}).get(self.member_value) or []
            start = values[0] if values else None
        if not start:
            return []
        found: dict[str, tuple] = {}
        searched: set[str] = set()
        frontier = {start}
        while frontier:
            terms = "".join(f"({self.member_attr}={filter_value(v)})" for v in sorted(frontier))
            search = group_search.search_with_additional_term_string(f"(|{terms})")
            results = search.execute(ldap_user.connection)
            searched |= {v.lower() for v in frontier}
            new = {dn: (dn, attrs) for dn, attrs in results if dn not in found}
            found.update(new)
            if not self.nested:
                break
            frontier = {dn for dn in new if dn.lower() not in searched}
        return list(found.values())


def library_settings() -> dict:
    """django-auth-ldap's settings, built from homeportal's AUTH_LDAP_* values."""
    s = settings
    user_filter = f"({s.AUTH_LDAP_USERNAME_ATTRIBUTE}=%(user)s)"
    if s.AUTH_LDAP_USERNAME_FILTER_EXTRA_ARG:
        user_filter = f"(&{user_filter}{literal(s.AUTH_LDAP_USERNAME_FILTER_EXTRA_ARG)})"
    id_attributes = [s.AUTH_LDAP_USER_ID_ATTRIBUTE] if s.AUTH_LDAP_USER_ID_ATTRIBUTE else []
    attrlist = ["*", *STABLE_IDS, *id_attributes]

    group_class = s.AUTH_LDAP_GROUP_CLASS
    default_member, default_value = MEMBER_ATTRIBUTES.get(group_class.lower(), ("member", "dn"))
    member_attr = s.AUTH_LDAP_GROUP_MEMBER_ATTRIBUTE or default_member
    member_value = s.AUTH_LDAP_GROUP_MEMBER_USER_ATTRIBUTE or default_value
    group_filter = f"(objectClass={group_class})"
    if s.AUTH_LDAP_GROUP_FILTER_EXTRA_ARG:
        group_filter = f"(&{group_filter}{literal(s.AUTH_LDAP_GROUP_FILTER_EXTRA_ARG)})"

    # Per-connection options (never global ones, which would outlive a settings change).
    # OPT_X_TLS_NEWCTX must come last: it builds the TLS context from the options before it.
    options: dict[int, int | float | str] = {
        ldap.OPT_PROTOCOL_VERSION: 3,
        ldap.OPT_REFERRALS: 0,  # Active Directory's referrals need a bind of their own
        ldap.OPT_NETWORK_TIMEOUT: float(s.AUTH_LDAP_TIMEOUT),
        ldap.OPT_TIMEOUT: float(s.AUTH_LDAP_TIMEOUT),
    }
    if s.AUTH_LDAP_START_TLS or s.AUTH_LDAP_URI.startswith("ldaps://") or s.AUTH_LDAP_TLS_CA_FILE:
        if s.AUTH_LDAP_TLS_CA_FILE:
            options[ldap.OPT_X_TLS_CACERTFILE] = s.AUTH_LDAP_TLS_CA_FILE
        options[ldap.OPT_X_TLS_REQUIRE_CERT] = REQUIRE_CERT[s.AUTH_LDAP_TLS_REQUIRE_CERT]
        options[ldap.OPT_X_TLS_NEWCTX] = 0

    return {
        "SERVER_URI": s.AUTH_LDAP_URI,
        "BIND_DN": s.AUTH_LDAP_BIND_DN,
        "BIND_PASSWORD": s.AUTH_LDAP_BIND_PASSWORD,
        "START_TLS": s.AUTH_LDAP_START_TLS,
        "CONNECTION_OPTIONS": options,
        "USER_SEARCH": LDAPSearch(
            s.AUTH_LDAP_BASE, SCOPES[s.AUTH_LDAP_SEARCH_SCOPE], user_filter, attrlist=attrlist
        ),
        "USER_ATTRLIST": attrlist,
        "GROUP_SEARCH": LDAPSearch(
            s.AUTH_LDAP_GROUP_BASE or s.AUTH_LDAP_BASE,
            ldap.SCOPE_SUBTREE,
            group_filter,
            attrlist=[s.AUTH_LDAP_GROUP_NAME_ATTRIBUTE],
        ),
        "GROUP_TYPE": MemberGroupType(
            member_attr, member_value, s.AUTH_LDAP_GROUP_NAME_ATTRIBUTE, s.AUTH_LDAP_NESTED_GROUPS
        ),
        # homeportal does these itself (accounts.identities, accounts.groupsync).
        "ALWAYS_UPDATE_USER": False,
        "USER_ATTR_MAP": {},
        "MIRROR_GROUPS": None,
        "FIND_GROUP_PERMS": False,
        "CACHE_TIMEOUT": 0,
    }


def stable_id(dn: str, attrs) -> str:
    """The entry's identifier that survives renames and moves."""
    names = [settings.AUTH_LDAP_USER_ID_ATTRIBUTE] if settings.AUTH_LDAP_USER_ID_ATTRIBUTE else []
    for name in [*names, *STABLE_IDS]:
        values = attrs.get(name) or []
        if not values:
            continue
        value = values[0]
        if isinstance(value, bytes):  # objectGUID: 16 bytes, the first three fields little-endian
            return str(uuid.UUID(bytes_le=value)) if len(value) == 16 else value.hex()
        return str(value).lower() if name in STABLE_IDS else str(value)
    return "dn:" + dn.lower()


def first(attrs, name: str) -> str:
    values = attrs.get(name) or []
    value = values[0] if values else ""
    return value if isinstance(value, str) else ""


def _remember_error(sender, context, user, request, exception, **kwargs):
    if request is not None:
        request.__dict__.setdefault(ERRORS, []).append((context, exception))


ldap_error.connect(_remember_error, dispatch_uid="homeportal-ldap-errors")


def _tls_handshake_error(uri: str) -> str | None:
    """Why a TLS handshake with the ldaps:// server fails ("" when it succeeds, None when
    nothing answers): python-ldap only says "Can't contact LDAP server" for both."""
    parts = urlsplit(uri)
    host, port = parts.hostname or "localhost", parts.port or 636
    context = ssl.create_default_context(cafile=settings.AUTH_LDAP_TLS_CA_FILE or None)
    try:
        with (
            socket.create_connection((host, port), timeout=3) as sock,
            context.wrap_socket(sock, server_hostname=host),
        ):
            return ""
    except ssl.SSLError as error:
        return getattr(error, "verify_message", "") or str(error)
    except OSError:
        return None


def unavailable_reason(errors) -> str:
    _context, error = errors[-1]
    info = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    detail = "; ".join(str(info[k]) for k in ("desc", "info") if info.get(k)) or repr(error)
    uri = settings.AUTH_LDAP_URI
    if isinstance(error, ldap.INVALID_CREDENTIALS):
        return f"the directory refused the service account AUTH_LDAP_BIND_DN ({detail})"
    if isinstance(error, ldap.CONNECT_ERROR) and settings.AUTH_LDAP_START_TLS:
        return (
            "StartTLS failed: the directory's TLS certificate was not accepted (check "
            "AUTH_LDAP_TLS_CA_FILE and the certificate's host name) or the directory does not "
            f"offer StartTLS ({detail})"
        )
    if isinstance(error, ldap.SERVER_DOWN) and uri.startswith("ldaps://"):
        handshake = _tls_handshake_error(uri)
        if handshake:
            return (
                f"the directory's TLS certificate was not accepted: {handshake} (check "
                "AUTH_LDAP_TLS_CA_FILE and the certificate's host name)"
            )
    if isinstance(error, ldap.SERVER_DOWN | ldap.CONNECT_ERROR | ldap.TIMEOUT):
        return f"the directory at {uri} cannot be reached ({detail})"
    return f"the directory answered with an error {type(error).__name__} ({detail})"


class LDAPBackend(ExternalBackend, DjangoLDAPBackend):
    provider = Provider.LDAP
    _settings: LDAPSettings | None  # django-auth-ldap's, built on first use

    @property
    def settings(self):
        if self._settings is None:
            # A prefix no setting uses, so that every value comes from library_settings().
            self._settings = LDAPSettings("HOMEPORTAL_UNUSED_LDAP_", library_settings())
        return self._settings

    @settings.setter
    def settings(self, value):
        self._settings = value

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        if request is not None:
            request.__dict__.pop(ERRORS, None)
        user = super().authenticate(request, username=username, password=password)
        errors = request.__dict__.get(ERRORS) if request is not None else None
        if user is None and errors:
            reason = unavailable_reason(errors)
            logger.error("LDAP login of %r failed: %s", username, reason)
            refuse(
                request,
                LoginRefused(
                    Provider.LDAP,
                    _(
                        "The directory cannot be reached right now, so directory accounts "
                        "cannot log in. Local accounts still can. If this lasts, tell an admin."
                    ),
                    reason[:200],
                ),
                username=username,
                record=False,  # the login form records the failure
            )
        return user

    def get_or_build_user(self, username, ldap_user):
        """Called by django-auth-ldap once the password is checked: our account, not its."""
        attrs = ldap_user.attrs or {}
        groups = []
        # LDAP errors here propagate: django-auth-ldap reports them and the login fails.
        for dn, group_attrs in self.settings.GROUP_TYPE.user_groups(
            ldap_user, self.settings.GROUP_SEARCH
        ):
            groups.append(dn)
            name = first(group_attrs, settings.AUTH_LDAP_GROUP_NAME_ATTRIBUTE)
            if name:
                groups.append(name)
        profile = ExternalProfile(
            provider=Provider.LDAP,
            issuer=ISSUER,
            subject=stable_id(ldap_user.dn, attrs),
            username=first(attrs, settings.AUTH_LDAP_USERNAME_ATTRIBUTE) or username,
            email=first(attrs, settings.AUTH_LDAP_USER_MAIL_ATTRIBUTE),
            display_name=first(attrs, settings.AUTH_LDAP_USER_NAME_ATTRIBUTE) or first(attrs, "cn"),
            groups=tuple(groups),
        )
        request = ldap_user._request
        try:
            user = login_external(profile, ip=client_ip(request) if request else None)
        except LoginRefused as refusal:
            refuse(request, refusal, username=username, record=False)
            raise ldap_user.AuthenticationFailed(refusal.reason) from None
        return user, False
