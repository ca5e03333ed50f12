"""Cross-cutting middleware: htmx-aware redirects."""

from django.urls import reverse


def htmx_redirect_middleware(get_response):
    """An htmx request is never answered with a bare redirect to a page outside the one it
    updates (login, onboarding, forced password change): it gets HX-Redirect, so the whole
    page navigates instead of a login form landing inside a widget."""
    targets: list[str] = []

    def middleware(request):
        response = get_response(request)
        if getattr(request, "htmx", False) and response.status_code in (301, 302):
            if not targets:
                targets.extend(
                    reverse(n) for n in ("accounts:login", "onboarding", "accounts:password_change")
                )
            location = response.get("Location", "")
            if any(location.startswith(t) for t in targets):
                response.status_code = 200
                response["HX-Redirect"] = location
                del response["Location"]
        return response

    return middleware
