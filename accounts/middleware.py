from django.shortcuts import redirect
from django.urls import reverse

EXEMPT_NAMES = ("accounts:password_change", "accounts:logout", "healthz")


def password_change_required_middleware(get_response):
    """A user whose password must change reaches no page but the change form (and logout)."""
    exempt: list[str] = []

    def middleware(request):
        user = request.user
        if user.is_authenticated and user.must_change_password and user.is_local:
            if not exempt:
                exempt.extend(reverse(name) for name in EXEMPT_NAMES)
            if request.path not in exempt and not request.path.startswith("/static/"):
                return redirect("accounts:password_change")
        return get_response(request)

    return middleware
