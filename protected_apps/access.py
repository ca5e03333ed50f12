"""The one way views reach a protected app: through the resolver's grants.

`get_app(request, pk)` answers the app the user may manage, or raises Http404 when they may not
even reach it (so its existence does not leak) and PermissionDenied when they reach it but may
not manage it. Managing means `app-manage` (admins hold it) or being the app's owner.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from groups.permissions import APP_MANAGE
from homeportal.http import Request
from protected_apps.models import Level, ProtectedApp

KIND = "protected_app"


def may_manage(grants, app: ProtectedApp | None = None) -> bool:
    if grants.has(APP_MANAGE):
        return True
    return app is not None and app.owner_id is not None and app.owner_id == grants.user_id


def get_app(request: Request, pk: int) -> ProtectedApp:
    app = ProtectedApp.objects.filter(pk=pk).first()
    grants = request.grants
    if app is None or not grants.can(KIND, app, Level.ACCESS):
        raise Http404
    if not may_manage(grants, app):
        raise PermissionDenied
    return app


def with_app(view):
    """View decorator: passes the app named by the URL's `pk`, for those who manage it."""

    @wraps(view)
    def wrapper(request, pk: int, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, get_app(request, pk), *args, **kwargs)

    return wrapper


def require_app_manage(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.grants.has(APP_MANAGE):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def visible_apps(grants) -> QuerySet:
    """Apps the user may reach, filtered in the database."""
    return grants.visible(KIND, ProtectedApp.objects.all())
