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


def link_refusals(grants, layout, items_by_id=None) -> list[str]:
    """Why saving or importing `layout` is refused: every app link that newly names a
    protected app (boards.widgets.app) must name one the user reaches. A link that already
    named the app keeps it without asking, as integration references do."""
    from django.utils.translation import gettext as _

    wanted = []
    for section in layout.sections:
        for item in section.items:
            pk = item.options.get("protected_app") if item.kind == "app" else None
            if pk is None:
                continue
            before = (items_by_id or {}).get(item.id) if item.id is not None else None
            if before is not None and before.options.get("protected_app") == pk:
                continue
            wanted.append(pk)
    if not wanted:
        return []
    reachable = set(visible_apps(grants).filter(pk__in=wanted).values_list("pk", flat=True))
    if all(pk in reachable for pk in wanted):
        return []
    return [_("App link: choose a protected app you may reach.")]
