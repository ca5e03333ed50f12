"""The *stat* and *graph* widgets: one PromQL query of a Prometheus integration.

*stat* shows one instant value with its unit, coloured by two thresholds; *graph* draws a
range query as an SVG sparkline computed here, on the server (no chart library in the
browser). The PromQL is a `full_options` option: saving or importing a layout that sets or
changes it needs `full` on the integration (integrations.access.layout_refusals). Viewers
never send a query: the data endpoint runs the one stored in the item.
"""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from boards.widgets.integration import IntegrationWidgetForm, integration_widget

MAX_QUERY = 2000
WIDTH, HEIGHT = 200, 50  # the sparkline's viewBox
DOT_MARGIN = 4.0  # how far from the box's sides a lone point's dot stays
RANGES = [("1h", _("last hour")), ("6h", _("last 6 hours")), ("24h", _("last day")),
          ("7d", _("last week"))]  # fmt: skip


def query_field() -> forms.CharField:
    return forms.CharField(
        label=_("PromQL query"),
        max_length=MAX_QUERY,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_("Only people with full access to the integration may set or change it."),
    )


def unit_field() -> forms.CharField:
    return forms.CharField(
        label=_("Unit"), max_length=20, required=False, help_text=_("Shown after the value.")
    )


def decimals_field() -> forms.IntegerField:
    return forms.IntegerField(label=_("Decimals"), min_value=0, max_value=6, initial=1,
                              required=False)  # fmt: skip


class MetricForm(IntegrationWidgetForm):
    def to_options(self) -> dict:
        options = super().to_options()
        if options.get("decimals") is None:
            options["decimals"] = 1
        return options


class StatForm(MetricForm):
    query = query_field()
    unit = unit_field()
    decimals = decimals_field()
    warn = forms.FloatField(label=_("Warning at"), required=False)
    critical = forms.FloatField(label=_("Critical at"), required=False)
    direction = forms.ChoiceField(
        label=_("Colour when the value is"),
        choices=[
            ("above", _("at or above the thresholds")),
            ("below", _("at or below the thresholds")),
        ],
        initial="above",
        required=False,
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        data["direction"] = data.get("direction") or "above"
        for name in ("warn", "critical"):
            if data.get(name) is not None and not math.isfinite(data[name]):
                self.add_error(name, _("Enter a number."))
        return data


class GraphForm(MetricForm):
    query = query_field()
    unit = unit_field()
    decimals = decimals_field()
    range = forms.ChoiceField(label=_("Period"), choices=RANGES, initial="1h", required=False)

    def clean_range(self) -> str:
        return self.cleaned_data.get("range") or "1h"


def clean_query(options: dict) -> str:
    query = options.get("query")
    return query.strip()[:MAX_QUERY] if isinstance(query, str) else ""


def stat_params(options: dict) -> dict:
    return {"query": clean_query(options)}


def graph_params(options: dict) -> dict:
    span = options.get("range") if options.get("range") in dict(RANGES) else "1h"
    return {"query": clean_query(options), "range": span}


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def formatted(value: float | None, options: dict) -> str:
    if value is None:
        return "—"
    decimals = options.get("decimals")
    decimals = decimals if isinstance(decimals, int) and 0 <= decimals <= 6 else 1
    text = f"{value:,.{decimals}f}".replace(",", "\u202f")  # a narrow space between thousands
    unit = options.get("unit") if isinstance(options.get("unit"), str) else ""
    return f"{text} {unit}".strip() if unit and unit != "%" else text + (unit or "")


def level(value: float | None, options: dict) -> str:
    """ "critical", "warn", "ok", or "none" (no value, or no threshold set)."""
    warn, critical = number(options.get("warn")), number(options.get("critical"))
    if value is None or (warn is None and critical is None):
        return "none"
    below = options.get("direction") == "below"

    def reached(limit: float | None) -> bool:
        return limit is not None and (value <= limit if below else value >= limit)

    if reached(critical):
        return "critical"
    if reached(warn):
        return "warn"
    return "ok"


def present_stat(options: dict, value: Any) -> dict:
    number_ = number(value.get("value")) if isinstance(value, dict) else None
    return {"text": formatted(number_, options), "level": level(number_, options)}


def sparkline(points: list, start: float, end: float) -> dict:
    """SVG geometry in a WIDTH by HEIGHT box: the line's points and the area under it; for a
    single point, which a line cannot show, the `dot` where it is drawn instead."""
    pairs = [
        (t, v)
        for p in points
        if isinstance(p, list) and len(p) == 2
        if (t := number(p[0])) is not None and (v := number(p[1])) is not None
    ]
    if not pairs:
        return {"line": "", "area": "", "dot": ""}
    low, high = min(v for _t, v in pairs), max(v for _t, v in pairs)
    span = (end - start) or 1.0
    margin = 2.0

    def y(v: float) -> float:
        if high == low:
            return HEIGHT / 2
        return margin + (high - v) / (high - low) * (HEIGHT - 2 * margin)

    xy = [(min(max((t - start) / span, 0.0), 1.0) * WIDTH, y(v)) for t, v in pairs]
    if len(xy) == 1:
        # Kept off the edges, where half of the dot would be cut off.
        x = min(max(xy[0][0], DOT_MARGIN), WIDTH - DOT_MARGIN)
        return {"line": "", "area": "", "dot": f"{x:.1f},{xy[0][1]:.1f}"}
    line = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in xy)
    area = f"M{xy[0][0]:.1f},{HEIGHT} L" + " L".join(f"{x:.1f},{yy:.1f}" for x, yy in xy)
    area += f" L{xy[-1][0]:.1f},{HEIGHT} Z"
    return {"line": line, "area": area, "dot": ""}


def present_graph(options: dict, value: Any) -> dict:
    if not isinstance(value, dict):
        return {"line": "", "area": "", "dot": ""}
    found = value.get("points")
    points: list = found if isinstance(found, list) else []
    values = [v for p in points if isinstance(p, list) and len(p) == 2
              if (v := number(p[1])) is not None]  # fmt: skip
    start, end = number(value.get("start")) or 0.0, number(value.get("end")) or 0.0
    view = sparkline(points, start, end)
    view.update(
        width=WIDTH,
        height=HEIGHT,
        last=formatted(values[-1] if values else None, options),
        low=formatted(min(values) if values else None, options),
        high=formatted(max(values) if values else None, options),
        period=str(dict(RANGES).get(str(options.get("range")), RANGES[0][1])),
    )
    return view


STAT = integration_widget(
    "stat",
    _("Metric value"),
    _("One Prometheus value with its unit, coloured by thresholds."),
    "boards/widgets/stat.html",
    (2, 1),
    (1, 1),
    form_class=StatForm,
    params=stat_params,
    present=present_stat,
    full_options=("query",),
)
GRAPH = integration_widget(
    "graph",
    _("Metric graph"),
    _("A Prometheus query over time, as a small line chart."),
    "boards/widgets/graph.html",
    (3, 2),
    (2, 1),
    form_class=GraphForm,
    params=graph_params,
    present=present_graph,
    full_options=("query",),
)
