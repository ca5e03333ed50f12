"""View decorators that put the access policy on top of a view, where it can be read."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


def require_permission(*permissions: str) -> Callable:
    """Logged in (else the login page), holding at least one of `permissions` (else 403), and
    not acting as another user: an impersonated session never reaches a settings page, so an
    admin who acts as a user manager gains nothing through it."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if getattr(request, "impersonator", None) is not None:
                raise PermissionDenied(_("Return to your own account to open this page."))
            if not any(request.grants.has(p) for p in permissions):
                raise PermissionDenied(_("You do not have the permission to open this page."))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
