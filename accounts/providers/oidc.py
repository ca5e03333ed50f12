"""The `oidc` provider: OpenID Connect single sign-on through mozilla-django-oidc.

What homeportal adds to the library (which leaves these to its users):

- endpoints come from AUTH_OIDC_ISSUER's discovery document, read when first needed and
  cached (AUTH_OIDC_DISCOVERY_CACHE), never at start-up, so a provider that is down does not
  stop homeportal from starting;
- the ID token's signature, `iss` (the discovery document's issuer), `aud` (our client id,
  with `azp` when there are several audiences), expiry and nonce are all checked;
- the authorization code flow always uses PKCE (S256) besides `state` and `nonce`;
- people are keyed by (issuer, `sub`), never by e-mail; names are normalised; groups come
  from the AUTH_OIDC_GROUPS_ATTRIBUTE claim (accounts.identities, accounts.groupsync);
- logout ends the provider's session too (RP-initiated logout with `id_token_hint`);
- the silent session refresh (prompt=none every AUTH_OIDC_SESSION_REFRESH) answers htmx
  requests with HX-Redirect, and brings the person back to the page, not to the partial;
- a provider that is down, or a sign-in that cannot be verified, ends on the login page
  with a clear message (and in the log), never in an error page.
"""

import hashlib
import logging
import time
from urllib.parse import parse_qs, quote_plus, urlencode, urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, authenticate, logout
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.csp import CSP
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.middleware import SessionRefresh
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)
from requests.auth import HTTPBasicAuth

from accounts.identities import ExternalProfile, LoginRefused, login_external
from accounts.login import complete_login, renew_if_ended
from accounts.models import Provider, User
from accounts.providers.base import REFUSAL, ExternalBackend, refuse
from homeportal.net import client_ip
from sessions_admin import engine
from sessions_admin.services import record_login

logger = logging.getLogger("accounts.providers.oidc")

ID_TOKEN = "oidc_id_token"
EXPIRATION = "oidc_id_token_expiration"
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")
# Signing algorithms accepted for ID tokens when the provider's discovery document lists none.
DEFAULT_ALGORITHMS = ("RS256",)
# A sign-in's state is dropped from the session once this old: nobody spends an hour at the
# provider's login page, and a state that lingers is only something to replay.
STATE_LIFETIME = 3600


class ProviderUnavailable(Exception):
    """The OpenID provider cannot be reached or answers nonsense."""


def enabled() -> bool:
    return "oidc" in settings.AUTH_PROVIDERS


def _cache_key(kind: str = "discovery") -> str:
    digest = hashlib.sha256(settings.AUTH_OIDC_ISSUER.encode()).hexdigest()[:24]
    return f"oidc-{kind}:{digest}"


# The endpoints a browser is sent to. They may be on another origin than the issuer (AWS
# Cognito's are), and the page's Content-Security-Policy must let a form lead there.
BROWSER_ENDPOINTS = ("authorization_endpoint", "end_session_endpoint")
ORIGINS_RETRY = 60  # seconds before a failed look-up of those origins is tried again
# Every HTML page's policy names those origins. Each process keeps them this long before it
# asks the shared cache again (with Redis, a round trip per page otherwise): a provider whose
# endpoints move reaches the other servers' pages within a minute, this one's at once.
ORIGINS_KEPT = 60.0
_kept_origins: dict[str, tuple[float, list[str]]] = {}  # cache key -> (kept until, origins)


def forget_kept_origins() -> None:
    """Drops the origins kept in this process (the tests, whose shared cache is emptied)."""
    _kept_origins.clear()


def _keep_origins(key: str, origins: list[str]) -> list[str]:
    _kept_origins[key] = (time.monotonic() + ORIGINS_KEPT, origins)
    return origins


def _origin(url) -> str:
    parts = urlsplit(url) if isinstance(url, str) else None
    return f"{parts.scheme}://{parts.netloc}" if parts and parts.scheme and parts.netloc else ""


def discovery() -> dict:
    """The issuer's discovery document, cached; raises ProviderUnavailable."""
    meta = cache.get(_cache_key())
    if meta is not None:
        return meta
    issuer = settings.AUTH_OIDC_ISSUER
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.AUTH_OIDC_TIMEOUT)
        response.raise_for_status()
        meta = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"its discovery document {url} cannot be read: {error}") from None
    if not isinstance(meta, dict) or str(meta.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        raise ProviderUnavailable(
            f"its discovery document names the issuer {meta.get('issuer')!r}, "
            f"not AUTH_OIDC_ISSUER {issuer!r}"
        )
    missing = [key for key in REQUIRED_ENDPOINTS if not meta.get(key)]
    if missing:
        raise ProviderUnavailable(f"its discovery document lacks {', '.join(missing)}")
    cache.set(_cache_key(), meta, timeout=settings.AUTH_OIDC_DISCOVERY_CACHE)
    # Kept without expiry: pages need them even when the provider cannot be asked.
    origins = sorted({o for o in (_origin(meta.get(k)) for k in BROWSER_ENDPOINTS) if o})
    cache.set(_cache_key("origins"), origins, timeout=None)
    _keep_origins(_cache_key("origins"), origins)
    return meta


def browser_origins() -> list[str]:
    """The origins of the provider's authorization and end-session endpoints, from the last
    discovery document read; read now when none was yet (and not again for a minute when
    the provider cannot be reached). Kept in the process for ORIGINS_KEPT seconds."""
    key = _cache_key("origins")
    kept = _kept_origins.get(key)
    if kept is not None and kept[0] > time.monotonic():
        return kept[1]
    origins = cache.get(key)
    if origins is not None:
        return _keep_origins(key, origins)
    if cache.get(_cache_key("origins-failed")):
        return []
    try:
        discovery()
    except ProviderUnavailable as error:
        logger.warning("the provider's endpoints are not known yet: %s", error)
        cache.set(_cache_key("origins-failed"), True, timeout=ORIGINS_RETRY)
        return []
    return cache.get(key) or []


def csp_middleware(get_response):
    """Lets the forms of every page lead to the provider's authorization and end-session
    endpoints (CSP form-action, which browsers apply to the redirect that answers a form:
    the sign-in button, logout), whatever origin the discovery document puts them on.
    Sits inside Django's CSP middleware, so it sees the response first."""

    def middleware(request):
        response = get_response(request)
        config = getattr(response, "_csp_config", settings.SECURE_CSP)
        if (
            enabled()
            and config
            and response.get("Content-Type", "").startswith("text/html")
            and (origins := browser_origins())
        ):
            current = [s for s in config.get("form-action", []) if s != CSP.NONE]
            missing = [o for o in origins if o not in current]
            if missing:
                response._csp_config = {**config, "form-action": [*current, *missing]}
        return response

    return middleware


_DYNAMIC = {
    "OIDC_RP_CLIENT_ID": lambda: settings.AUTH_OIDC_CLIENT_ID,
    "OIDC_RP_CLIENT_SECRET": lambda: settings.AUTH_OIDC_CLIENT_SECRET,
    "OIDC_RP_SCOPES": lambda: settings.AUTH_OIDC_SCOPE_OVERWRITE,
    "OIDC_OP_AUTHORIZATION_ENDPOINT": lambda: discovery()["authorization_endpoint"],
    "OIDC_OP_TOKEN_ENDPOINT": lambda: discovery()["token_endpoint"],
    "OIDC_OP_USER_ENDPOINT": lambda: discovery().get("userinfo_endpoint"),
    "OIDC_OP_JWKS_ENDPOINT": lambda: discovery()["jwks_uri"],
    "OIDC_TIMEOUT": lambda: settings.AUTH_OIDC_TIMEOUT,
    "OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS": lambda: settings.AUTH_OIDC_SESSION_REFRESH,
    "OIDC_TOKEN_USE_BASIC_AUTH": lambda: (
        settings.AUTH_OIDC_TOKEN_ENDPOINT_AUTH_METHOD == "client_secret_basic"
    ),
    "OIDC_CREATE_USER": lambda: settings.AUTH_OIDC_CREATE_USERS,
    "OIDC_STORE_ID_TOKEN": lambda: True,
}


def oidc_setting(attr, *args):
    """mozilla-django-oidc's settings, from homeportal's AUTH_OIDC_* and the discovery."""
    if attr in _DYNAMIC:
        return _DYNAMIC[attr]()
    return import_from_settings(attr, *args)


def not_verified_message() -> str:
    return _(
        "The sign-in with %(name)s could not be verified, so you are not logged in. "
        "Please try again."
    ) % {"name": settings.AUTH_OIDC_CLIENT_NAME}


def login_url_after_failure() -> str:
    # `local` keeps AUTH_OIDC_AUTO_LOGIN from sending the person straight back.
    return reverse("accounts:login") + "?local=1"


# --- The authentication backend --------------------------------------------------------------


class OIDCBackend(ExternalBackend, OIDCAuthenticationBackend):
    provider = Provider.OIDC
    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # The library reads every endpoint here; ours come from the discovery document when
        # a login needs them, so that restoring a session never depends on the provider.
        self.UserModel = User

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_TOKEN_ENDPOINT"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_USER_ENDPOINT"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_JWKS_ENDPOINT"))
    OIDC_RP_CLIENT_ID = property(lambda self: settings.AUTH_OIDC_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.AUTH_OIDC_CLIENT_SECRET)
    OIDC_RP_SIGN_ALGO = property(lambda self: "RS256")
    OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, **kwargs):
        # Only the callback view passes a nonce: never exchange a `code` that came along
        # with some other login (a password form posted to ...?code=...&state=...).
        if request is None or "nonce" not in kwargs or not enabled():
            return None
        return super().authenticate(request, **kwargs)

    def get_token(self, payload):
        """The token request, with the client's credentials where AUTH_OIDC_TOKEN_ENDPOINT_
        AUTH_METHOD says; for Basic, form-encoded first as RFC 6749 (2.3.1) asks."""
        auth = None
        if oidc_setting("OIDC_TOKEN_USE_BASIC_AUTH"):
            auth = HTTPBasicAuth(
                quote_plus(payload["client_id"]), quote_plus(payload.pop("client_secret"))
            )
        response = requests.post(
            self.OIDC_OP_TOKEN_ENDPOINT, data=payload, auth=auth,
            timeout=settings.AUTH_OIDC_TIMEOUT,
        )  # fmt: skip
        self.raise_token_response_error(response)
        return response.json()

    def verify_token(self, token, **kwargs):
        """Signature, issuer, audience, expiry and (for ID tokens) nonce; SuspiciousOperation
        when any of them is wrong."""
        meta = discovery()
        client_id = settings.AUTH_OIDC_CLIENT_ID
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise SuspiciousOperation(f"the ID token cannot be read: {error}") from None
        algorithm = header.get("alg")
        allowed = meta.get("id_token_signing_alg_values_supported") or DEFAULT_ALGORITHMS
        if not algorithm or algorithm == "none" or algorithm not in allowed:
            raise SuspiciousOperation(f"the ID token is signed with {algorithm!r}")
        try:
            if algorithm.startswith("HS"):
                key = settings.AUTH_OIDC_CLIENT_SECRET
            else:
                key = self.retrieve_matching_jwk(token)
            payload = jwt.decode(
                token, key, algorithms=[algorithm], audience=client_id, issuer=meta["issuer"],
                leeway=60, options={"require": ["exp", "iss", "aud", "sub"]},
            )  # fmt: skip
        except (jwt.PyJWTError, KeyError) as error:
            raise SuspiciousOperation(f"the ID token was rejected: {error!r}") from None
        audience = payload["aud"]
        if isinstance(audience, list) and len(audience) > 1 and payload.get("azp") != client_id:
            raise SuspiciousOperation("the ID token was issued to another party (azp)")
        if "nonce" in kwargs and payload.get("nonce") != kwargs["nonce"]:
            raise SuspiciousOperation("the ID token's nonce does not match this sign-in")
        return payload

    def store_tokens(self, access_token, id_token):
        # Kept on the request until the login is complete: logging in may start a new session.
        self.request._oidc_id_token = id_token

    def claims(self, access_token, id_token, payload) -> dict:
        """The ID token's claims, completed by the userinfo endpoint's."""
        claims = dict(payload)
        if not self.OIDC_OP_USER_ENDPOINT:
            return claims
        try:
            userinfo = self.get_userinfo(access_token, id_token, payload)
        except (requests.RequestException, ValueError, SuspiciousOperation) as error:
            if settings.AUTH_OIDC_FORCE_USERINFO:
                raise SuspiciousOperation(f"the userinfo endpoint failed: {error}") from None
            logger.warning("userinfo endpoint failed, using the ID token's claims: %s", error)
            return claims
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload["sub"]:
            raise SuspiciousOperation("the userinfo endpoint describes somebody else")
        claims.update(userinfo)
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        try:
            claims = self.claims(access_token, id_token, payload)
        except SuspiciousOperation as error:
            refusal = LoginRefused(Provider.OIDC, not_verified_message(), str(error)[:200])
            refuse(self.request, refusal)
            return None
        name_claim = settings.AUTH_OIDC_NAME_ATTRIBUTE_OVERWRITE
        username = (
            _text(claims.get(name_claim)) if name_claim else ""
        ) or next(
            (_text(claims.get(c)) for c in ("preferred_username", "email", "name")
             if _text(claims.get(c))),
            claims["sub"],
        )  # fmt: skip
        display_name = _text(claims.get("name")) or " ".join(
            _text(claims.get(c)) for c in ("given_name", "family_name") if _text(claims.get(c))
        )
        profile = ExternalProfile(
            provider=Provider.OIDC,
            issuer=payload["iss"],
            subject=str(payload["sub"]),
            username=username,
            email=_text(claims.get("email")),
            # Some providers (AWS Cognito) send the boolean as a string.
            email_verified=claims.get("email_verified") in (True, "true"),
            display_name=display_name,
            groups=_groups(claims),
        )
        try:
            return login_external(profile, ip=client_ip(self.request))
        except LoginRefused as refusal:
            refuse(self.request, refusal, username=username)
            return None


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _groups(claims) -> tuple[str, ...] | None:
    """The groups claim as names; a missing claim is no group at all (a provider may leave
    it out when it is empty, and stale admin rights are worse than missing ones)."""
    attribute = settings.AUTH_OIDC_GROUPS_ATTRIBUTE
    if not attribute:
        return None
    value = claims.get(attribute)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(v) for v in value if isinstance(v, str | int) and str(v).strip())


# --- Views -----------------------------------------------------------------------------------


def provider_failed(request, message: str, reason: str, username: str = "") -> HttpResponse:
    logger.error("OIDC sign-in failed: %s", reason)
    record_login(request, username=username, provider=Provider.OIDC, success=False,
                 reason=reason[:200])  # fmt: skip
    messages.error(request, message)
    return redirect(login_url_after_failure())


def unavailable(request, error: Exception) -> HttpResponse:
    name = settings.AUTH_OIDC_CLIENT_NAME
    return provider_failed(
        request,
        _("%(name)s cannot be reached right now, so signing in with it does not work. "
          "Try again later; if this lasts, tell an admin.") % {"name": name},
        f"{name} unavailable: {error}",
    )  # fmt: skip


class OIDCLoginView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider (state, nonce and PKCE kept in the session)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)  # endpoints are looked up in get(), not here

    def get(self, request):
        if not enabled():
            raise Http404
        try:
            meta = discovery()
        except ProviderUnavailable as error:
            return unavailable(request, error)
        self.OIDC_OP_AUTH_ENDPOINT = meta["authorization_endpoint"]
        self.OIDC_RP_CLIENT_ID = settings.AUTH_OIDC_CLIENT_ID
        response = super().get(request)
        remember_with_state(
            request, response,
            next=request.session.get("oidc_login_next"),
            remember=request.GET.get("remember") in ("1", "on", "true"),
        )  # fmt: skip
        return response


def remember_with_state(request, response, **values) -> None:
    """Keeps `values` with the flow's state, so that sign-ins in several tabs (or a refresh
    during a sign-in) each land where they started."""
    state = parse_qs(urlsplit(response["Location"]).query).get("state", [""])[0]
    states = drop_stale_states(request.session.get("oidc_states") or {})
    if state in states:
        states[state].update(values)
    request.session["oidc_states"] = states


def drop_stale_states(states: dict, now: float | None = None) -> dict:
    """The states of sign-ins started less than STATE_LIFETIME ago (the others never came
    back, and are dropped as each new sign-in starts)."""
    oldest = (now or time.time()) - STATE_LIFETIME
    return {
        state: flow
        for state, flow in states.items()
        if isinstance(flow, dict) and flow.get("added_on", 0) >= oldest
    }


class OIDCCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back: checks `state` against this browser's
    session (once: it is removed), trades the code with the PKCE verifier, verifies the ID
    token and logs the person in.

    The library's own get() is replaced to decide exactly what a failure ends: a callback
    with an unknown `state` (forged, replayed, from another browser) changes nothing, while a
    failed sign-in or silent refresh of an OIDC session ends that session.
    """

    get_settings = staticmethod(oidc_setting)

    @property
    def failure_url(self):
        return login_url_after_failure()

    def get(self, request):
        if not enabled():
            raise Http404
        states = request.session.get("oidc_states")
        states = drop_stale_states(states) if isinstance(states, dict) else None
        state = request.GET.get("state", "")
        if states is None or state not in states:
            return provider_failed(
                request,
                _("This sign-in link is not valid (it may be old, or not started here). "
                  "Please sign in again."),
                "unknown state in the callback",
            )  # fmt: skip
        flow = states.pop(state)
        self.flow = flow
        request.session["oidc_states"] = states  # each state is used once
        request.session.save()

        error = request.GET.get("error")
        if error:
            return self.provider_error(error, request.GET.get("error_description", ""))
        if not request.GET.get("code"):
            return self.fail("the callback carried no code")
        try:
            self.user = authenticate(
                request=request, nonce=flow.get("nonce"), code_verifier=flow.get("code_verifier")
            )
        except ProviderUnavailable as error:
            return unavailable(request, error)
        except requests.HTTPError as error:
            return self.fail(f"the token request was refused: {error}")
        except requests.RequestException as error:
            return unavailable(request, error)
        except SuspiciousOperation as error:
            return self.fail(str(error))
        if self.user is None:
            return self.fail("no account", refusal=getattr(request, REFUSAL, None))
        return self.login_success()

    def end_oidc_session(self) -> None:
        request = self.request
        if request.user.is_authenticated and request.session.get(engine.PROVIDER) == Provider.OIDC:
            logout(request)

    def fail(self, reason: str, refusal: LoginRefused | None = None) -> HttpResponse:
        self.end_oidc_session()
        if refusal is not None:  # recorded and logged already
            messages.error(self.request, refusal.message)
            return HttpResponseRedirect(self.failure_url)
        return provider_failed(self.request, not_verified_message(), reason)

    def provider_error(self, error: str, description: str) -> HttpResponse:
        request = self.request
        self.end_oidc_session()
        if error in ("login_required", "interaction_required", "consent_required"):
            # The silent refresh found no session at the provider: the person logs in again.
            record_login(request, provider=Provider.OIDC, success=False,
                         reason=f"session ended at the provider ({error})")  # fmt: skip
            messages.info(request, _("Your single sign-on session has ended. Please log in again."))
            return HttpResponseRedirect(self.failure_url)
        return provider_failed(
            request,
            _("%(name)s did not sign you in (%(error)s).")
            % {"name": settings.AUTH_OIDC_CLIENT_NAME, "error": error[:50]},
            f"provider answered {error}: {description[:150]}",
        )

    def login_success(self):
        request, user = self.request, self.user
        assert user is not None  # called once the callback authenticated someone
        if not (request.user.is_authenticated and request.user.pk == user.pk):
            complete_login(
                request, user, provider=Provider.OIDC,
                remember=bool(self.flow.get("remember")), backend=user.backend,
            )  # fmt: skip
        elif renew_if_ended(request, user, provider=Provider.OIDC, backend=user.backend):
            # The silent refresh mirrored groups that took admin away, which ended every
            # session of this person: they carry on in a new one, with their new rights.
            messages.info(request, _("Your groups at %(name)s changed, and so did your rights "
                                     "here. Your other sessions were ended.")
                          % {"name": settings.AUTH_OIDC_CLIENT_NAME})  # fmt: skip
        request.session[ID_TOKEN] = getattr(request, "_oidc_id_token", None)
        request.session[EXPIRATION] = time.time() + settings.AUTH_OIDC_SESSION_REFRESH
        return HttpResponseRedirect(self.flow.get("next") or reverse(settings.LOGIN_REDIRECT_URL))


def end_session_url(request) -> str | None:
    """Where to send the browser so that logging out also ends the provider's session."""
    if not enabled() or request.session.get(engine.PROVIDER) != Provider.OIDC:
        return None
    id_token = request.session.get(ID_TOKEN)
    try:
        endpoint = discovery().get("end_session_endpoint")
    except ProviderUnavailable as error:
        logger.warning("logging out without ending the provider's session: %s", error)
        return None
    if not endpoint or not id_token:
        return None
    after = settings.AUTH_LOGOUT_REDIRECT_URL or reverse("accounts:login")
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": request.build_absolute_uri(after),
            "client_id": settings.AUTH_OIDC_CLIENT_ID,
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


# --- Session refresh -------------------------------------------------------------------------


class SessionRefreshMiddleware(SessionRefresh):
    """mozilla-django-oidc's silent re-check at the provider, for OIDC sessions only, with
    HX-Redirect for htmx requests (a bare redirect would land the provider's page inside the
    element htmx swaps)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, get_response):
        MiddlewareMixin.__init__(self, get_response)  # no endpoint lookups at start-up

    @property
    def exempt_urls(self):
        return {
            reverse("accounts:oidc_login"),
            reverse("accounts:oidc_callback"),
            reverse("accounts:logout"),
            reverse("healthz"),
        }

    @property
    def exempt_url_patterns(self):
        return set()

    def is_refreshable_url(self, request):
        return (
            enabled()
            and request.session.get(engine.PROVIDER) == Provider.OIDC
            and request.session.get(BACKEND_SESSION_KEY) == "accounts.providers.oidc.OIDCBackend"
            and not request.path.startswith(settings.STATIC_URL)
            and super().is_refreshable_url(request)
        )

    def process_request(self, request):
        if not self.is_refreshable_url(request):
            return None
        if request.session.get(EXPIRATION, 0) > time.time():
            return None
        try:
            meta = discovery()
        except ProviderUnavailable as error:
            # Keep the session and try again on the next request.
            logger.warning("cannot refresh the OIDC session now: %s", error)
            return None
        self.OIDC_OP_AUTHORIZATION_ENDPOINT = meta["authorization_endpoint"]
        self.OIDC_RP_CLIENT_ID = settings.AUTH_OIDC_CLIENT_ID
        self.OIDC_RP_SCOPES = settings.AUTH_OIDC_SCOPE_OVERWRITE
        self.OIDC_AUTHENTICATION_CALLBACK_URL = settings.OIDC_AUTHENTICATION_CALLBACK_URL
        self.OIDC_STATE_SIZE = 32
        self.OIDC_USE_NONCE = True
        self.OIDC_NONCE_SIZE = 32
        response = super().process_request(request)
        if response is None or response.status_code != 302:
            return response
        if request.headers.get("HX-Request") != "true":
            remember_with_state(request, response, next=request.get_full_path())
            return response
        # Come back to the page the person is on, not to the fragment htmx asked for.
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        if current.netloc == request.get_host() and current.path.startswith("/"):
            page = current.path + (f"?{current.query}" if current.query else "")
        else:
            page = reverse(settings.LOGIN_REDIRECT_URL)
        remember_with_state(request, response, next=page)
        htmx_response = HttpResponse(status=200)
        htmx_response["HX-Redirect"] = response["Location"]
        return htmx_response
