"""The `proxy` provider: log in whoever the reverse proxy (Authelia, authentik, oauth2-proxy...)
says is there, through identity headers, and only when the proxy is the one saying it.

The rules (DESIGN.md, "Authentication chain"):

- off unless AUTH_PROVIDERS lists `proxy`; start-up is refused without
  AUTH_PROXY_TRUSTED_NETWORKS (homeportal/auth_settings.py);
- the direct peer's address (REMOTE_ADDR, never X-Forwarded-For) must be inside those
  networks. From any other peer, every identity header homeportal knows of (all presets and
  the configured ones) is removed from the request by the first middleware of the chain,
  before anything else can read it;
- header names with underscores are refused in settings, and the WSGI server must drop such
  headers from clients (gunicorn ≥ 22 and Django's development server do): `Remote_User`
  would otherwise arrive as HTTP_REMOTE_USER, the same variable as `Remote-User`;
- the header names a person: their account is found by a stable key (the id header when the
  proxy sends one, e.g. authentik's X-authentik-uid, else the user header), created only when
  AUTH_PROXY_CREATE_USERS is on; their groups are mirrored (accounts.groupsync);
- the session follows the header: when it names somebody else the session switches, when it
  disappears the session the proxy made ends. Sessions made by other providers (a password
  login) are left alone while no header is present.
"""

import contextlib
import hashlib
import ipaddress
import logging
import time

from django.conf import settings
from django.contrib.auth import logout

from accounts.identities import ExternalProfile, LoginRefused, login_external
from accounts.login import complete_login
from accounts.models import Provider
from accounts.onboarding import is_onboarded
from accounts.providers.base import ExternalBackend, refuse
from homeportal.net import client_ip, peer_address
from homeportal.proxy_presets import PROXY_PRESETS
from sessions_admin import engine

logger = logging.getLogger("accounts.providers.proxy")

BACKEND = "accounts.providers.proxy.ProxyBackend"
SUBJECT = "_hp_proxy_subject"  # session: the header identity this session was made for
GROUPS_DIGEST = "_hp_proxy_groups"  # session: digest of the groups header last mirrored
REFUSED = "_hp_proxy_refused"  # session: an identity refused a moment ago (recorded once)
REFUSAL_MEMORY = 60  # seconds before a refused identity is tried again (an admin may fix it)


def meta_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


def identity_headers() -> set[str]:
    """The WSGI names of every header that can carry an identity: all presets' and the
    configured ones."""
    names = {
        name
        for preset in PROXY_PRESETS.values()
        for key, name in preset.items()
        if key != "separator" and name
    }
    names |= {
        getattr(settings, setting, "")
        for setting in (
            "AUTH_PROXY_USER_HEADER", "AUTH_PROXY_EMAIL_HEADER", "AUTH_PROXY_NAME_HEADER",
            "AUTH_PROXY_GROUPS_HEADER", "AUTH_PROXY_ID_HEADER",
        )
    }  # fmt: skip
    return {meta_key(name) for name in names if name}


def trusted_peer(request) -> bool:
    try:
        address = ipaddress.ip_address(peer_address(request))
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in settings.AUTH_PROXY_TRUSTED_NETWORKS)


def enabled() -> bool:
    return "proxy" in settings.AUTH_PROVIDERS and bool(settings.AUTH_PROXY_TRUSTED_NETWORKS)


def ProxyHeaderGuardMiddleware(get_response):
    """First in the chain: identity headers survive only from a trusted proxy's address.

    Installed whether or not the proxy provider is on, so that no header from a client ever
    reaches code that might read it (a third-party app, a log, a future provider).
    """

    def middleware(request):
        if not (enabled() and trusted_peer(request)):
            for key in identity_headers() & request.META.keys():
                del request.META[key]
        return get_response(request)

    return middleware


class ProxyBackend(ExternalBackend):
    """Restores sessions made by the proxy login; it never checks a password."""

    provider = Provider.PROXY

    def authenticate(self, request, **credentials):
        return None


def _header(request, name: str) -> str:
    if not name:
        return ""
    value = request.META.get(meta_key(name), "")
    # WSGI hands header bytes over as latin-1; proxies send names like "José" as UTF-8.
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("latin-1").decode("utf-8")
    return value.strip()


def profile_from_headers(request) -> ExternalProfile | None:
    username = _header(request, settings.AUTH_PROXY_USER_HEADER)
    if not username:
        return None
    id_header = settings.AUTH_PROXY_ID_HEADER
    subject = _header(request, id_header) if id_header else ""
    issuer = (id_header if subject else settings.AUTH_PROXY_USER_HEADER).lower()
    groups = None
    if settings.AUTH_PROXY_GROUPS_HEADER:
        raw = _header(request, settings.AUTH_PROXY_GROUPS_HEADER)
        separator = settings.AUTH_PROXY_GROUPS_SEPARATOR
        groups = tuple(g.strip() for g in raw.split(separator) if g.strip())
    return ExternalProfile(
        provider=Provider.PROXY,
        issuer=issuer,
        subject=subject or username.lower(),
        username=username,
        email=_header(request, settings.AUTH_PROXY_EMAIL_HEADER),
        display_name=_header(request, settings.AUTH_PROXY_NAME_HEADER),
        groups=groups,
    )


def _digest(profile: ExternalProfile) -> str:
    text = "\n".join([profile.email, profile.display_name, *(profile.groups or ())])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def ProxyLoginMiddleware(get_response):
    """After AuthenticationMiddleware: makes request.user follow the proxy's headers."""

    def middleware(request):
        # Before onboarding nobody is logged in by a header: the first account must be the
        # owner created in the browser, not whoever happens to pass the proxy first.
        if enabled() and is_onboarded():
            follow_headers(request)
        return get_response(request)

    return middleware


def follow_headers(request) -> None:
    session = request.session
    proxy_session = request.user.is_authenticated and session.get(engine.PROVIDER) == "proxy"
    profile = profile_from_headers(request)
    if profile is None:
        if proxy_session:
            logout(request)  # the proxy no longer vouches for anybody
        return
    key = f"{profile.issuer}:{profile.subject}"
    if proxy_session and session.get(SUBJECT) == key:
        if session.get(GROUPS_DIGEST) != _digest(profile):
            _refresh(request, profile)
        return
    refused = session.get(REFUSED)
    if (
        not request.user.is_authenticated
        and isinstance(refused, dict)
        and refused.get("key") == key
        and time.time() - refused.get("at", 0) < REFUSAL_MEMORY
    ):
        # Refused a moment ago (and recorded then): say it again without asking anew.
        request.login_refusal = LoginRefused(Provider.PROXY, refused["message"], "refused")
        return
    try:
        user = login_external(profile, ip=client_ip(request))
    except LoginRefused as refusal:
        if request.user.is_authenticated:
            logout(request)
        refuse(request, refusal, username=profile.username)
        request.session[REFUSED] = {"key": key, "message": refusal.message, "at": time.time()}
        return
    complete_login(request, user, provider=Provider.PROXY, remember=False, backend=BACKEND)
    request.session[SUBJECT] = key
    request.session[GROUPS_DIGEST] = _digest(profile)


def _refresh(request, profile: ExternalProfile) -> None:
    """Same person, other e-mail, name or groups: mirror them without a new login."""
    try:
        login_external(profile, ip=client_ip(request))
    except LoginRefused as refusal:
        logout(request)
        refuse(request, refusal, username=profile.username)
        return
    request.session[GROUPS_DIGEST] = _digest(profile)
