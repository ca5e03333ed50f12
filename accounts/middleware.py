from django.conf import settings
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


TWO_FACTOR_EXEMPT_NAMES = (
    "accounts:two_factor", "accounts:two_factor_setup", "accounts:password_change",
    "accounts:logout", "healthz",
)  # fmt: skip


def must_set_up_two_factor(request) -> bool:
    """A password user whom a group of theirs (`everyone` included) requires to use two-factor
    login, and who has not set it up. The requirement comes from the resolver's grants; the
    second query (is it set up?) is only asked of users it applies to."""
    from accounts import two_factor

    user = request.user
    return (
        user.is_authenticated
        and user.provider in settings.PASSWORD_PROVIDERS
        and request.grants.two_factor_required
        and not two_factor.is_enabled(user)
    )


def two_factor_required_middleware(get_response):
    """A user who must set up two-factor login reaches no page but its set-up (and logout, and
    the forced password change that comes first)."""
    exempt: list[str] = []

    def middleware(request):
        if must_set_up_two_factor(request):
            if not exempt:
                exempt.extend(reverse(name) for name in TWO_FACTOR_EXEMPT_NAMES)
            if request.path not in exempt and not request.path.startswith("/static/"):
                return redirect("accounts:two_factor")
        return get_response(request)

    return middleware
