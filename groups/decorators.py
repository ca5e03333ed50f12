"""View decorators that put the access policy on top of a view, where it can be read."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


def impersonable(view: Callable) -> Callable:
    """Marks a view that an admin acting as another user may open (their boards, their
    preferences, the way back). Every other view is closed to an impersonated request
    (sessions_admin.impersonation): a new page is confined unless it says otherwise."""
    view.impersonable = True  # type: ignore[attr-defined]  # a mark, read with getattr
    return view


def is_impersonable(view: Callable) -> bool:
    return getattr(view, "impersonable", False)


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
                reason = _("You do not have the permission to open this page.")
                if request.method == "POST":  # a refused change, not a look
                    from groups.refusals import record_refusal

                    record_refusal(request, reason)
                raise PermissionDenied(reason)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def require_held(permission: str) -> Callable:
    """Logged in (else the login page) and holding the global `permission` (else 403): the
    check of the pages that create or administer objects (boards, integrations, protected
    apps). Unlike `require_permission` it gives no reason, records no refusal and leaves an
    impersonated session to sessions_admin.impersonation."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.grants.has(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
