"""The kind picker and Settings → Integrations describe every kind: icon, one line, the
secrets it needs and where the service keeps them; and the stat and graph widgets' drawing."""

import re

import pytest

from boards.widgets.metrics import level, present_graph, present_stat
from integrations.kinds import all_kinds

pytestmark = pytest.mark.django_db


def test_the_picker_shows_each_kind_with_its_secrets_and_where_to_find_them(people, login):
    body = login(people.owner).get("/settings/integrations/new/").content.decode()
    for kind in all_kinds():
        assert f"?kind={kind.slug}" in body and kind.description in body
    assert "Needs: Long-lived access token" in body
    assert "Optional: Username + Password, or Bearer token" in body  # Prometheus
    assert 'href="https://www.home-assistant.io/docs/authentication/' in body
    assert "homeassistant" in body and ".svg" in body  # the brand icon


def test_the_list_describes_the_kinds_to_everyone_logged_in(people, login):
    body = login(people.outsider).get("/settings/integrations/").content.decode()
    assert "Needs: Long-lived access token" in body
    assert "?kind=homeassistant" not in body  # no link to create without integration-create


@pytest.mark.parametrize(
    ("value", "options", "expected"),
    [
        (95.0, {"warn": 70, "critical": 90}, "critical"),
        (75.0, {"warn": 70, "critical": 90}, "warn"),
        (10.0, {"warn": 70, "critical": 90}, "ok"),
        (5.0, {"warn": 20, "critical": 10, "direction": "below"}, "critical"),
        (15.0, {"warn": 20, "critical": 10, "direction": "below"}, "warn"),
        (15.0, {}, "none"),
        (None, {"warn": 1}, "none"),
    ],
)
def test_thresholds_colour_the_value(value, options, expected):
    assert level(value, options) == expected


def test_the_stat_text_has_its_decimals_and_unit():
    assert present_stat({"decimals": 2, "unit": "°C"}, {"value": 21.456})["text"] == "21.46 °C"
    assert present_stat({"decimals": 0, "unit": "%"}, {"value": 42.4})["text"] == "42%"
    assert present_stat({}, {"value": None})["text"] == "—"


def test_the_sparkline_fits_its_box_and_runs_left_to_right():
    view = present_graph({"decimals": 1, "range": "1h"},
                         {"points": [[100, 1.0], [1900, 3.0], [3700, 2.0]],
                          "start": 100, "end": 3700})  # fmt: skip
    points = [tuple(map(float, p.split(","))) for p in view["line"].split()]
    assert points == [(0.0, 48.0), (100.0, 2.0), (200.0, 25.0)]
    assert view["low"] == "1.0" and view["high"] == "3.0" and view["last"] == "2.0"
    assert view["area"].startswith("M0.0,50 L0.0,48.0") and view["area"].endswith("Z")
    assert present_graph({}, {"points": [], "start": 0, "end": 1})["line"] == ""


def graph_html(people, points: list, state: str = "ok") -> str:
    """The graph widget as its rendering function draws it for one answer of the query."""
    from boards.render import render_item
    from tests.boards.factories import add_item, add_section, make_board

    board = make_board("metrics", people.owner)
    item = add_item(add_section(board), "graph", unit="°C")
    value = {"points": points, "start": 0, "end": 3600, "label": "", "series": 1 if points else 0}
    item.data = {"name": "Lab", "icon": "", "kind": "Prometheus", "poll": 30, "state": state,
                 "stale": False, "value": value, "age": 0, "value_age": 0, "message": "",
                 "failing_for": 0, "view": present_graph(item.options, value)}  # fmt: skip
    return str(render_item(item, board))


def test_a_single_point_is_drawn_as_a_dot_with_its_value(people):
    view = present_graph({"decimals": 1}, {"points": [[1800, 21.5]], "start": 0, "end": 3600})
    assert view["line"] == "" and view["dot"] == "100.0,25.0" and view["last"] == "21.5"
    # At the edge of the period, the dot stays inside the box.
    at_end = present_graph({}, {"points": [[3600, 1.0]], "start": 0, "end": 3600})
    x, y = map(float, at_end["dot"].split(","))
    assert 0 < x < 200 and 0 < y < 50

    html = graph_html(people, [[3590, 21.5]])
    dot = re.search(r'<svg class="iw-spark"[^>]*>(.*?)</svg>', html)
    assert dot is not None and '<path class="iw-spark-dot" d="M' in dot.group(1)
    assert '<span class="iw-totals">21.5 °C</span>' in html
    assert "one value: 21.5 °C" in html
    assert "no data" not in html


def test_no_point_says_there_is_no_data(people):
    html = graph_html(people, [])
    assert "The query answers no data for this period." in html
    assert "<svg" not in html and "iw-totals" not in html


def test_several_points_still_draw_a_line(people):
    html = graph_html(people, [[0, 1.0], [1800, 3.0], [3600, 2.0]])
    assert '<polyline class="iw-spark-line" points="0.0,48.0 100.0,2.0 200.0,25.0"' in html
    assert "iw-spark-dot" not in html and "no data" not in html
