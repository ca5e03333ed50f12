"""The Home Assistant entities widget (for a `use` and an `interact` viewer) and the Prometheus
stat and graph widgets in Debian's Chromium, fed by a real Home Assistant and a real Prometheus:
desktop and phone, light and dark, saved under test-artifacts/integrations/ for a person to
look at (``-m "services and browser"``)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Locator, expect

from tests.boards.browser.conftest import (  # noqa: F401  (the boards' browser fixtures)
    _everyone_group,
    base_url,
    browser_type_launch_args,
    live_server,
    log_in_browser,
)
from tests.conftest import client_for

from .test_board_widgets import Placed, place
from .test_board_widgets_home_metrics import ENTITIES
from .test_new_widgets_in_browser import (  # noqa: F401  (the sibling's marks and folder)
    SCREENS,
    artifacts,
    pytestmark,
)

POINTS = re.compile(r'<polyline class="iw-spark-line" points="([^"]+)"')


def pairs_of(points: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (p.split(",") for p in points.split())]


def a_line_of_two_points(client, spot: Placed, timeout: float = 150) -> None:
    """The graph's range query steps by a minute: wait until Prometheus, started with this
    test session, has scraped long enough for the line to have two points."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        spot.wait_out_the_cache()
        found = POINTS.search(client.get(spot.data_url()).content.decode())
        if found and len(pairs_of(found.group(1))) >= 2:
            return
    raise AssertionError("the graph never had two points")


def placed_widget(name: str, request, people) -> Placed:
    if name.startswith("entities"):
        homeassistant = request.getfixturevalue("homeassistant")
        return place(people, "homeassistant", homeassistant, "entities",
                     {"token": homeassistant.token}, entities=ENTITIES)  # fmt: skip
    prometheus = request.getfixturevalue("prometheus")
    if name == "stat":
        return place(people, "prometheus", prometheus, "stat", {},
                     query="lab_temperature_celsius", unit="°C", decimals=1, warn=20.0,
                     critical=30.0, direction="above")  # fmt: skip
    return place(people, "prometheus", prometheus, "graph", {},
                 query="lab_temperature_celsius", unit="°C", decimals=1, range="1h")  # fmt: skip


def check_entities(widget: Locator, placed: Placed, interact: bool) -> None:
    daemon = placed.daemon
    temperature = widget.locator(".iw-entity", has_text="Living room temperature")
    expect(temperature.locator(".iw-value")).to_have_text(
        f"{daemon.state('sensor.living_room_temperature')} °C"
    )
    expect(widget.locator(".iw-area-name", has_text="Living room")).to_be_visible()
    coffee = widget.locator(".iw-entity", has_text="Coffee maker")
    on = daemon.state("switch.coffee_maker") == "on"
    if interact:
        switch = coffee.get_by_role("switch", name="Switch: Coffee maker")
        expect(switch).to_be_visible()
        expect(switch).to_have_attribute("aria-checked", "true" if on else "false")
        expect(widget.get_by_role("switch")).to_have_count(2)  # the coffee maker, the porch
        expect(widget.get_by_role("button", name="Run: Movie")).to_be_visible()
    else:
        expect(coffee.locator(".iw-value")).to_have_text("on" if on else "off")
        expect(widget.get_by_role("switch")).to_have_count(0)
        expect(widget.get_by_role("button")).to_have_count(0)


def check_stat(widget: Locator) -> None:
    value = widget.locator("p.iw-stat.iw-level-warn")  # 21.5 is past the warning (20)
    expect(value).to_have_text("21.5 °C (warning)")
    # Only the value is big and on one line: the widget's own text (a problem, a note) keeps
    # the widgets' size and wraps.
    style = "e => [parseFloat(getComputedStyle(e).fontSize), getComputedStyle(e).whiteSpace]"
    body_size, body_wrap = widget.locator(".iw").evaluate(style)
    value_size, _ = value.evaluate(style)
    assert body_size < value_size / 2 and body_wrap == "normal"


def check_graph(widget: Locator) -> None:
    spark = widget.locator("svg.iw-spark")
    expect(spark).to_be_visible()
    box = spark.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 20
    # A flat line has no height, which Playwright counts as hidden: it is checked by its points.
    line = spark.locator("polyline.iw-spark-line")
    expect(line).to_have_count(1)
    pairs = pairs_of(line.get_attribute("points") or "")
    assert len(pairs) >= 2 and all(0 <= x <= 200 and 0 <= y <= 50 for x, y in pairs)
    expect(widget.locator(".iw-totals")).to_have_text("21.5 °C")


@pytest.mark.parametrize("name", ["entities-use", "entities-interact", "stat", "graph"])
def test_each_home_and_metrics_widget_on_desktop_and_phone_in_light_and_dark(
    name,
    request,
    page,
    live_server,  # noqa: F811
    people,
    log_in_browser,  # noqa: F811
    artifacts,  # noqa: F811
):
    placed = placed_widget(name, request, people)
    viewer = people.outsider if name == "entities-use" else people.member
    if name == "graph":
        a_line_of_two_points(client_for(viewer), placed)
    widget = page.locator(f"#item-{placed.item.pk}")
    for scheme in ("light", "dark"):
        viewer.color_scheme = scheme
        viewer.save(update_fields=["color_scheme"])
        log_in_browser(page.context, viewer)
        for screen, size in SCREENS.items():
            page.set_viewport_size(size)
            page.goto(live_server.url + placed.board.get_absolute_url())
            expect(widget.locator(".iw-ok")).to_be_visible(timeout=15_000)
            expect(widget.locator(".iw-problem")).to_have_count(0)
            expect(widget).not_to_contain_text("cannot be reached")
            if name.startswith("entities"):
                check_entities(widget, placed, interact=name == "entities-interact")
            elif name == "stat":
                check_stat(widget)
            else:
                check_graph(widget)
            widget.screenshot(path=artifacts / f"{name}-{screen}-{scheme}.png")
