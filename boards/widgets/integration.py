"""Integration widgets: data from a service, read through the board item (never directly).

A widget of this module names one integration in its options; it accepts any integration
whose kind lists the widget in its `widgets` mapping (widget name -> query name). The board
page never waits for an upstream and costs nothing more with them: it renders placeholders,
and each asks `boards:item_data` for its data with htmx at once, then again at the query's
lifetime while the page is visible. Actions are buttons
shown only to viewers with the action's level on the integration; the server checks again.
"""

import time
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from boards.widgets.base import WidgetForm, WidgetKind, register, title_field


class IntegrationWidgetForm(WidgetForm):
    title = title_field()
    integration = forms.TypedChoiceField(
        label=_("Integration"),
        coerce=int,
        help_text=_("Only integrations you may use are offered."),
    )

    def __init__(self, *args, integrations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if integrations is None:
            # Stored and imported options: any number; layout checks decide who may use it.
            self.fields["integration"] = forms.IntegerField(min_value=1)
        else:
            cast(forms.TypedChoiceField, self.fields["integration"]).choices = [
                (i.pk, f"{i.name} ({i.kind_name})") for i in integrations
            ]


def _integrations(items) -> dict:
    from integrations.models import Integration

    named = {i.options.get("integration") for i in items}
    ids = [pk for pk in named if isinstance(pk, int)]
    return {i.pk: i for i in Integration.objects.filter(pk__in=ids)} if ids else {}


def widget_data(widget: WidgetKind, item, integration, entry, request) -> dict:
    """What the template shows, JSON-serialisable (the rendered-widget cache keys on it)."""
    from integrations.access import can

    kind = integration.kind_module if integration is not None else None
    if kind is None or widget.name not in kind.widgets:
        return {"state": "missing"}
    query = kind.queries[kind.widgets[widget.name]]
    actions = {
        name: {"label": str(action.label), "confirm": str(action.confirm)}
        for name, action in kind.actions.items()
        if can(request.grants, integration, action.level)
    }
    data = {
        "name": integration.name,
        "icon": integration.icon_url,
        "kind": kind.name,
        "poll": max(int(query.ttl), 2),
        "actions": actions,
        "state": "pending",
    }
    if entry is None:
        return data
    data.update(
        state="ok" if entry.ok else "failing",
        stale=not entry.fresh,
        value=entry.value,
        age=int(entry.age) if entry.ok else None,
        value_age=int(max(time.time() - entry.value_at, 0)) if entry.value_at else None,
        message=entry.message,
        failing_for=int(max(time.time() - entry.failing_since, 0)) if entry.failing_since else 0,
    )
    return data


def load(items, request) -> list:
    """Placeholders: the page never waits for an upstream, nor reads the cache or the
    integrations for them; each widget asks for its data with htmx as soon as it shows."""
    return [{"state": "pending"} for _item in items]


def query_params(item) -> dict | None:
    """The parameters the item's query runs with, from its stored options (None: none)."""
    params = PARAMS.get(item.kind)
    return params(item.options) if params is not None else None


def make_refresh(widget_name: str):
    def refresh(item, request) -> dict:
        from integrations import data
        from integrations.kinds import ConnectionProblem

        widget = KINDS[widget_name]
        integration = _integrations([item]).get(item.options.get("integration"))
        kind = integration.kind_module if integration else None
        if integration is None or kind is None or widget_name not in kind.widgets:
            return {"state": "missing"}
        try:
            entry = data.query(integration, kind.widgets[widget_name], query_params(item))
        except ConnectionProblem:
            entry = None
        result = widget_data(widget, item, integration, entry, request)
        present = PRESENT.get(widget_name)
        if present is not None and result.get("value") is not None:
            result["view"] = present(item.options, result["value"])
        return result

    return refresh


KINDS: dict[str, WidgetKind] = {}
# Per widget: its query's parameters from the item's options, and what the template shows
# computed from the options and the answer (formatted numbers, colours, a chart's geometry).
PARAMS: dict[str, Callable[[dict], dict]] = {}
PRESENT: dict[str, Callable[[dict, Any], dict]] = {}


def integration_widget(name: str, label, description, template: str, size, min_size, *,
                       form_class: type[WidgetForm] = IntegrationWidgetForm,
                       params: Callable[[dict], dict] | None = None,
                       present: Callable[[dict, Any], dict] | None = None,
                       full_options: tuple[str, ...] = ()) -> WidgetKind:  # fmt: skip
    kind = register(
        WidgetKind(
            name=name,
            label=label,
            description=description,
            form_class=form_class,
            template=template,
            default_size=size,
            min_size=min_size,  # the torrent list and the disks scroll inside the widget
            loader=load,
            refresh=make_refresh(name),
            integration=name,
            full_options=full_options,
        )
    )
    KINDS[name] = kind
    if params is not None:
        PARAMS[name] = params
    if present is not None:
        PRESENT[name] = present
    return kind


DOWNLOADS = integration_widget(
    "downloads",
    _("Downloads"),
    _("Torrents of a download client: speeds, progress, pause and resume."),
    "boards/widgets/downloads.html",
    (4, 3),
    (3, 2),
)
SYSTEM = integration_widget(
    "system",
    _("System health"),
    _("CPU, memory, disks, load and sensors of a machine."),
    "boards/widgets/system.html",
    (3, 3),
    (3, 2),
)


class CalendarWidgetForm(IntegrationWidgetForm):
    days = forms.IntegerField(
        label=_("Days shown"), min_value=1, max_value=31, initial=7,
        help_text=_("Today and the days after it, in each viewer's time zone."),
    )  # fmt: skip


CALENDAR = integration_widget(
    "calendar",
    _("Calendar"),
    _("The next events of a calendar, in each viewer's time zone."),
    "boards/widgets/calendar.html",
    (3, 3),
    (2, 2),
    form_class=CalendarWidgetForm,
)


class ValuesWidgetForm(IntegrationWidgetForm):
    layout = forms.ChoiceField(
        label=_("Layout"), choices=[("table", _("Table")), ("tiles", _("Tiles"))],
        initial="table",
    )  # fmt: skip


VALUES = integration_widget(
    "values",
    _("Values"),
    _("Values picked from a service's JSON answer, as a table or tiles."),
    "boards/widgets/values.html",
    (3, 2),
    (2, 1),
    form_class=ValuesWidgetForm,
)
