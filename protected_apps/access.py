"""The one way views reach a protected app: through the resolver's grants.

`get_app(request, pk)` answers the app the user may manage, or raises Http404 when they may not
even reach it (so its existence does not leak) and PermissionDenied when they reach it but may
not manage it. Managing means `app-manage` (admins hold it) or being the app's owner. The lookup
is the one of every ACL kind (groups.objects).
"""

from django.db.models import QuerySet

from groups.decorators import require_held
from groups.objects import get_object, with_object
from groups.permissions import APP_MANAGE
from homeportal.http import Request
from protected_apps.models import Level, ProtectedApp

KIND = "protected_app"


def may_manage(grants, app: ProtectedApp | None = None) -> bool:
    if grants.has(APP_MANAGE):
        return True
    return app is not None and app.owner_id is not None and app.owner_id == grants.user_id


def get_app(request: Request, pk: int) -> ProtectedApp:
    return get_object(request, KIND, "pk", pk, Level.ACCESS, check=may_manage)


# View decorator: passes the app named by the URL's `pk`, for those who manage it.
with_app = with_object(KIND, "pk", Level.ACCESS, check=may_manage)

require_app_manage = require_held(APP_MANAGE)  # view decorator (login first for anonymous)


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
