"""The `proxy` provider: log in whoever the reverse proxy (Authelia, authentik, oauth2-proxy...)
says is there, through identity headers, and only when the proxy is the one saying it.

The rules (DESIGN.md, "Authentication chain"):

- off unless AUTH_PROVIDERS lists `proxy`; start-up is refused without
  AUTH_PROXY_TRUSTED_NETWORKS (homeportal/auth_settings.py);
- the direct peer's address (REMOTE_ADDR, never X-Forwarded-For; IPv4-mapped IPv6 as IPv4)
  must be inside those networks, and with AUTH_PROXY_SECRET the request must carry it in
  AUTH_PROXY_SECRET_HEADER (compared in constant time). Otherwise every identity header
  homeportal knows of (all presets and the configured ones) is removed from the request by
  the first middleware of the chain, before anything else can read it; the secret's header
  is always removed;
- a user or id header sent twice (the WSGI server joins the copies with a comma) logs nobody
  in: the proxy added its header next to the client's instead of replacing it;
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
import hmac
import logging
import time

from django.conf import settings
from django.contrib.auth import logout
from django.utils.translation import gettext as _

from accounts.identities import ExternalProfile, LoginRefused, login_external
from accounts.login import complete_login, renew_if_ended
from accounts.models import Provider
from accounts.onboarding import is_onboarded
from accounts.providers.base import ExternalBackend, refuse
from homeportal.net import client_ip, in_networks, peer_address
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
    """The direct peer is inside AUTH_PROXY_TRUSTED_NETWORKS (IPv4-mapped IPv6 as IPv4)."""
    return in_networks(peer_address(request), settings.AUTH_PROXY_TRUSTED_NETWORKS)


def secret_matches(request) -> bool:
    """The request carries AUTH_PROXY_SECRET in its header, when one is configured."""
    expected = settings.AUTH_PROXY_SECRET
    if not expected:
        return True
    given = request.META.get(meta_key(settings.AUTH_PROXY_SECRET_HEADER), "")
    return hmac.compare_digest(given.encode("latin-1", "replace"), expected.encode())


def enabled() -> bool:
    return "proxy" in settings.AUTH_PROVIDERS and bool(settings.AUTH_PROXY_TRUSTED_NETWORKS)


def ProxyHeaderGuardMiddleware(get_response):
    """First in the chain: identity headers survive only from a trusted proxy's address.

    Installed whether or not the proxy provider is on, so that no header from a client ever
    reaches code that might read it (a third-party app, a log, a future provider).
    """

    def middleware(request):
        vouched = enabled() and trusted_peer(request) and secret_matches(request)
        if not vouched:
            if enabled() and trusted_peer(request) and identity_headers() & request.META.keys():
                logger.warning("identity headers from %s without the right AUTH_PROXY_SECRET "
                               "were ignored", peer_address(request))  # fmt: skip
            for key in identity_headers() & request.META.keys():
                del request.META[key]
        # The secret never goes further than this line (views, logs, error reports).
        request.META.pop(meta_key(settings.AUTH_PROXY_SECRET_HEADER), None)
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
    """What the headers say; raises LoginRefused when the user or id header came twice."""
    username = _header(request, settings.AUTH_PROXY_USER_HEADER)
    if not username:
        return None
    id_header = settings.AUTH_PROXY_ID_HEADER
    subject = _header(request, id_header) if id_header else ""
    for name, value in ((settings.AUTH_PROXY_USER_HEADER, username), (id_header, subject)):
        # The WSGI server joins a header sent twice with a comma (PEP 3333, RFC 9110 5.3).
        if "," in value:
            raise LoginRefused(
                Provider.PROXY,
                _("The reverse proxy sent who you are twice, so you are not logged in. "
                  "Tell an admin: the proxy must replace this header, not add to it."),
                f"{name} header sent more than once",
            )  # fmt: skip
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
    try:
        profile = profile_from_headers(request)
    except LoginRefused as refusal:
        # The proxy let a client's own identity header through next to its own: nobody can
        # tell which one is true, so nobody is logged in.
        if request.user.is_authenticated:
            logout(request)
        key = f"repeated:{refusal.reason}"
        if not _refused_recently(request, key):
            _remember_refusal(request, key, refusal, "")
        return
    if profile is None:
        if proxy_session:
            logout(request)  # the proxy no longer vouches for anybody
        return
    key = f"{profile.issuer}:{profile.subject}"
    if proxy_session and session.get(SUBJECT) == key:
        if session.get(GROUPS_DIGEST) != _digest(profile):
            _refresh(request, profile, key)
        return
    if _refused_recently(request, key):
        return
    try:
        user = login_external(profile, ip=client_ip(request))
    except LoginRefused as refusal:
        if request.user.is_authenticated:
            logout(request)
        _remember_refusal(request, key, refusal, profile.username)
        return
    complete_login(request, user, provider=Provider.PROXY, remember=False, backend=BACKEND)
    request.session[SUBJECT] = key
    request.session[GROUPS_DIGEST] = _digest(profile)


def _refused_recently(request, key: str) -> bool:
    """Refused a moment ago (and recorded then): say it again without asking anew."""
    refused = request.session.get(REFUSED)
    if (
        not request.user.is_authenticated
        and isinstance(refused, dict)
        and refused.get("key") == key
        and time.time() - refused.get("at", 0) < REFUSAL_MEMORY
    ):
        request.login_refusal = LoginRefused(Provider.PROXY, refused["message"], "refused")
        return True
    return False


def _remember_refusal(request, key: str, refusal: LoginRefused, username: str) -> None:
    """Records the refusal, and keeps it in the session for a minute (recorded once)."""
    refuse(request, refusal, username=username)
    request.session[REFUSED] = {"key": key, "message": refusal.message, "at": time.time()}


def _refresh(request, profile: ExternalProfile, key: str) -> None:
    """Same person, other e-mail, name or groups: mirror them without a new login.

    Mirroring may take admin away, which ends every session of the person, this one too
    (groups.rules): the proxy still vouches for them, so this request carries on in a new
    session with the new rights instead of failing to save the one that is gone."""
    try:
        user = login_external(profile, ip=client_ip(request))
    except LoginRefused as refusal:
        logout(request)
        refuse(request, refusal, username=profile.username)
        return
    if renew_if_ended(request, user, provider=Provider.PROXY, backend=BACKEND):
        request.session[SUBJECT] = key
    request.session[GROUPS_DIGEST] = _digest(profile)
