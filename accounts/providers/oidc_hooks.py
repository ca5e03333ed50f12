"""Where the rest of homeportal meets the `oidc` provider (accounts/providers/oidc.py): its two
middleware, its two views and the logout's end-session address, each loading the provider's
module only when it is needed.

That module brings PyJWT, requests, mozilla-django-oidc and cryptography's X.509 code: about
17 MiB in every server process, for a provider that most installations do not enable. The
middleware stay installed whatever AUTH_PROVIDERS says (enabling the provider needs no other
change), and do nothing while it is off.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def enabled() -> bool:
    return "oidc" in settings.AUTH_PROVIDERS


Handler = Callable[[HttpRequest], HttpResponse]


def csp_middleware(get_response: Handler) -> Handler:
    """The provider's CSP form-action origins (oidc.csp_middleware) while it is enabled."""
    inner: list[Handler] = []

    def middleware(request: HttpRequest) -> HttpResponse:
        if not enabled():
            return get_response(request)
        if not inner:
            from accounts.providers import oidc

            inner.append(oidc.csp_middleware(get_response))
        return inner[0](request)

    return middleware


def session_refresh_middleware(get_response: Handler) -> Handler:
    """The silent session refresh (oidc.SessionRefreshMiddleware) while it is enabled."""
    inner: list[Handler] = []

    def middleware(request: HttpRequest) -> HttpResponse:
        if not enabled():
            return get_response(request)
        if not inner:
            from accounts.providers import oidc

            inner.append(oidc.SessionRefreshMiddleware(get_response))
        return inner[0](request)

    return middleware


def login_view(request: HttpRequest) -> HttpResponse:
    """Sends the browser to the provider (oidc.OIDCLoginView)."""
    from accounts.providers import oidc

    return oidc.OIDCLoginView.as_view()(request)


def callback_view(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the browser back (oidc.OIDCCallbackView)."""
    from accounts.providers import oidc

    return oidc.OIDCCallbackView.as_view()(request)


def end_session_url(request: HttpRequest) -> str | None:
    """Where logging out sends the browser to end the provider's session too, if anywhere."""
    if not enabled():
        return None
    from accounts.providers import oidc

    return oidc.end_session_url(request)
