"""Cross-cutting middleware: grants on the request, onboarding, htmx-aware redirects, and a
server too busy hashing passwords."""

from django.core.cache import cache
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from groups.resolver import grants_for

ONBOARDED_KEY = "instance-onboarded"


def grants_middleware(get_response):
    """`request.grants`: the current user's grants, computed on first use, once per request."""

    def middleware(request):
        request.grants = SimpleLazyObject(lambda: grants_for(request.user))
        return get_response(request)

    return middleware


def is_onboarded() -> bool:
    if cache.get(ONBOARDED_KEY):
        return True
    from accounts.models import User

    if User.objects.exists():
        cache.set(ONBOARDED_KEY, True, timeout=None)
        return True
    return False


def onboarding_middleware(get_response):
    """Until the owner exists, every page leads to onboarding."""
    allowed: list[str] = []

    def middleware(request):
        if not allowed:
            allowed.extend([reverse("onboarding"), reverse("healthz"), "/static/"])
        if not any(request.path.startswith(p) for p in allowed) and not is_onboarded():
            return redirect("onboarding")
        return get_response(request)

    return middleware


def htmx_redirect_middleware(get_response):
    """An htmx request is never answered with a bare redirect to a page outside the one it
    updates (login, onboarding, forced password change, required 2FA set-up): it gets
    HX-Redirect, so the whole page navigates instead of a login form landing inside a widget."""
    targets: list[str] = []

    def middleware(request):
        response = get_response(request)
        if getattr(request, "htmx", False) and response.status_code in (301, 302):
            if not targets:
                targets.extend(
                    reverse(n)
                    for n in (
                        "accounts:login",
                        "onboarding",
                        "accounts:password_change",
                        "accounts:two_factor",
                    )
                )
            location = response.get("Location", "")
            if any(location.startswith(t) for t in targets):
                response.status_code = 200
                response["HX-Redirect"] = location
                del response["Location"]
        return response

    return middleware


class HashingBusyMiddleware:
    """Any page that had to hash a password while every hashing slot of this process stayed
    taken (accounts.hashers) answers 429 "try again in a moment", not 500. The login page
    handles it itself, to keep its form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from accounts.hashers import BUSY, HashingBusy

        if isinstance(exception, HashingBusy):
            response = render(request, "429.html", {"message": BUSY}, status=429)
            response["Retry-After"] = "5"
            return response
        return None
