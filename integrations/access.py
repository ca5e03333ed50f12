"""The one way views reach an integration: through the resolver's grants (groups.resolver).

`get_integration(request, pk, level)` answers the integration, or raises Http404 when the user
has no level on it at all (so its existence does not leak) and PermissionDenied when they have
one but not `level`. Anonymous visitors never reach an integration directly; they only see the
data of the widgets on boards they may view (integrations.data). The lookup is the one of every
ACL kind (groups.objects). Nothing here reads ACL rows.
"""

from django.db.models import QuerySet

from groups.decorators import require_held
from groups.objects import LoginNeeded as LoginNeeded  # what get_integration raises for anonymous
from groups.objects import get_object, with_object
from homeportal.http import Request
from integrations.models import Integration, Level

KIND = "integration"
CREATE = "integration-create"


def get_integration(request: Request, pk: int, level: str = Level.USE) -> Integration:
    return get_object(request, KIND, "pk", pk, level)


def with_integration(level: str = Level.USE):
    """View decorator: passes the integration named by the URL's `pk` to the view, at `level`."""
    return with_object(KIND, "pk", level)


require_integration_create = require_held(CREATE)  # view decorator (login first for anonymous)


def visible_integrations(grants, level: str | None = None) -> QuerySet:
    """Integrations the user reaches at `level` (`use` by default), filtered in the database."""
    return grants.visible(KIND, Integration.objects.all(), level)


def level_of(grants, integration: Integration) -> str | None:
    return grants.level(KIND, integration)


def can(grants, integration: Integration, level: str) -> bool:
    return grants.can(KIND, integration, level)


def usable_for_widget(grants, widget) -> list[Integration]:
    """The integrations the user may `use` whose kind feeds `widget` (for the editor)."""
    from integrations.kinds import kinds_for_widget

    if not widget.integration:
        return []
    slugs = [kind.slug for kind in kinds_for_widget(widget.integration)]
    return list(visible_integrations(grants).filter(kind__in=slugs).order_by("name"))


def layout_refusals(grants, layout, items_by_id=None) -> list[str]:
    """Why saving or importing `layout` is refused: every integration it newly references
    must be one the user may `use` (and one the widget can show). References that an item
    already had are kept without asking, so a board stays editable by people who may not use
    every integration on it. Options a widget reserves to `full` (a Prometheus query) need
    `full` on the integration whenever they are set anew or changed."""
    from boards.widgets.base import get_widget

    wanted = []
    privileged = []
    for section in layout.sections:
        for item in section.items:
            widget = get_widget(item.kind)
            if widget is None or not widget.integration:
                continue
            pk = item.options.get("integration")
            before = (items_by_id or {}).get(item.id) if item.id is not None else None
            kept = before.options if before is not None else None
            same_integration = kept is not None and kept.get("integration") == pk
            if widget.full_options and any(
                item.options.get(name)
                and (
                    kept is None or not same_integration or kept.get(name) != item.options.get(name)
                )
                for name in widget.full_options
            ):
                privileged.append((widget, pk))
            if same_integration:
                continue
            wanted.append((widget, pk))
    return _refusals(grants, wanted) + _full_refusals(grants, privileged)


def _full_refusals(grants, wanted: list) -> list[str]:
    from django.utils.translation import gettext as _

    ids = [pk for _w, pk in wanted if isinstance(pk, int)]
    full = set()
    if ids:
        full = {i.pk for i in visible_integrations(grants, Level.FULL).filter(pk__in=ids)}
    return [
        _(
            "%(widget)s: only people with full access to the integration may set or change "
            "its query."
        )
        % {"widget": widget.label}
        for widget, pk in wanted
        if pk not in full
    ]


def copy_refusals(grants, items) -> list[str]:
    """Why copying these items (duplicating a board) is refused: every integration they show
    must be one the user may `use`, since the copy outlives their access to the original."""
    from boards.widgets.base import get_widget

    wanted = [
        (widget, item.options.get("integration"))
        for item in items
        if (widget := get_widget(item.kind)) is not None and widget.integration
    ]
    return _refusals(grants, wanted)


def _refusals(grants, wanted: list) -> list[str]:
    from django.utils.translation import gettext as _

    if not wanted:
        return []
    usable = {
        i.pk: i
        for i in visible_integrations(grants).filter(
            pk__in=[pk for _w, pk in wanted if isinstance(pk, int)]
        )
    }
    errors = []
    for widget, pk in wanted:
        integration = usable.get(pk)
        if integration is None or not widget.accepts(integration):
            errors.append(
                _("%(widget)s: choose an integration you may use.") % {"widget": widget.label}
            )
    return errors
