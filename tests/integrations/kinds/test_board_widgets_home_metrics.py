"""The entities, stat and graph widgets on a board, against a real Home Assistant and a real
Prometheus (``-m services``): what viewers see, who may switch, and a stopped service."""

from __future__ import annotations

import re
import time
import urllib.parse

import pytest

from integrations.kinds import get_kind
from sessions_admin.models import AuditEntry
from tests.conftest import client_for
from tests.services.daemons import http

from .test_board_widgets import Placed, place

pytestmark = [pytest.mark.services, pytest.mark.django_db]

ENTITIES = ["sensor.living_room_temperature", "switch.coffee_maker",
            "input_boolean.porch_light", "scene.movie"]  # fmt: skip


@pytest.fixture
def home(people, homeassistant) -> Placed:
    return place(people, "homeassistant", homeassistant, "entities",
                 {"token": homeassistant.token}, entities=ENTITIES)  # fmt: skip


def html_of(client, spot: Placed) -> str:
    response = client.get(spot.data_url())
    assert response.status_code == 200
    return response.content.decode()


def test_the_entities_widget_shows_states_by_area_and_switches_for_interact(home, people):
    html = html_of(client_for(people.member), home)
    assert "Living room" in html and "Living room temperature" in html
    assert f"{home.daemon.state('sensor.living_room_temperature')} °C" in html
    assert "Porch light" in html and "Coffee maker" in html
    assert home.action_url("toggle") in html and home.action_url("run") in html
    assert 'role="switch"' in html
    assert "cannot be reached" not in html


def test_a_use_only_viewer_sees_the_states_without_switches(home, people):
    html = html_of(client_for(people.outsider), home)
    assert "Coffee maker" in html and "Living room temperature" in html
    assert home.action_url("toggle") not in html and home.action_url("run") not in html
    assert 'role="switch"' not in html


def test_an_interact_user_toggles_the_real_switch_and_sees_it_at_once(home, people):
    daemon = home.daemon
    client = client_for(people.member)
    html_of(client, home)  # the answer is now remembered
    before = daemon.state("switch.coffee_maker")
    wanted = "off" if before == "on" else "on"
    response = client.post(
        home.action_url("toggle"), {"id": "switch.coffee_maker"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert daemon.wait_for_state("switch.coffee_maker", wanted)
    entry = AuditEntry.objects.get(action="integration.action")
    assert entry.actor == people.member and entry.details["target"] == "switch.coffee_maker"
    # The widget the action answers with was fetched afresh, not the remembered answer.
    switch = re.search(r'aria-checked="(true|false)"[^>]*value="switch.coffee_maker"',
                       response.content.decode())  # fmt: skip
    assert switch is not None and switch.group(1) == ("true" if wanted == "on" else "false")
    client.post(home.action_url("toggle"), {"id": "switch.coffee_maker"}, HTTP_HX_REQUEST="true")
    assert daemon.wait_for_state("switch.coffee_maker", before)


def test_an_interact_user_runs_a_scene(home, people):
    home.daemon.call("input_boolean", "turn_off", "input_boolean.movie_mode")
    response = client_for(people.member).post(
        home.action_url("run"), {"id": "scene.movie"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert home.daemon.wait_for_state("input_boolean.movie_mode", "on")


def test_a_use_only_viewers_switches_are_refused_and_change_nothing(home, people):
    daemon = home.daemon
    client = client_for(people.outsider)
    home.daemon.call("input_boolean", "turn_off", "input_boolean.movie_mode")
    before = {e: daemon.state(e) for e in ("switch.coffee_maker", "input_boolean.movie_mode")}
    for action, entity in (("toggle", "switch.coffee_maker"), ("run", "scene.movie")):
        response = client.post(home.action_url(action), {"id": entity}, HTTP_HX_REQUEST="true")
        assert response.status_code == 403
    time.sleep(1)  # long enough for a switch to show, had one been sent
    assert {e: daemon.state(e) for e in before} == before
    assert not AuditEntry.objects.filter(action="integration.action").exists()


def test_a_toggle_of_a_sensor_is_a_bad_request(home, people):
    response = client_for(people.member).post(
        home.action_url("toggle"), {"id": "sensor.living_room_temperature"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400


def test_a_stopped_home_assistant_shows_in_the_widget_and_the_page_still_answers(home, people):
    client = client_for(people.member)
    assert "Coffee maker" in html_of(client, home)
    home.daemon.stop()
    try:
        home.wait_out_the_cache()
        html = html_of(client, home)
        assert "Home Assistant cannot be reached" in html
        assert "Coffee maker" in html  # the last answer, marked as old
        assert client.get(home.board.get_absolute_url()).status_code == 200
    finally:
        home.daemon.start()


# --- Prometheus ------------------------------------------------------------------------------


@pytest.fixture
def stat(people, prometheus) -> Placed:
    return place(people, "prometheus", prometheus, "stat", {},
                 query="lab_temperature_celsius", unit="°C", decimals=1, warn=20.0,
                 critical=30.0, direction="above")  # fmt: skip


def points_last_hour(daemon, promql: str) -> int:
    """How many points the graph widget's range query (the last hour, 60 steps) finds now."""
    end = time.time()
    query = urllib.parse.urlencode({"query": promql, "start": end - 3600, "end": end, "step": 60})
    found = http("GET", f"{daemon.url}/api/v1/query_range?{query}").json()["data"]["result"]
    return len(found[0]["values"]) if found else 0


@pytest.fixture
def graph(people, prometheus) -> Placed:
    # The widget asks for one point a minute: a Prometheus started less than a minute ago has
    # one (drawn as a dot, see test_kind_cards.py). A line needs two, so wait for the second.
    deadline = time.monotonic() + 90
    while points_last_hour(prometheus, "lab_temperature_celsius") < 2:
        assert time.monotonic() < deadline, "prometheus has not scraped for a minute yet"
        time.sleep(1)
    return place(people, "prometheus", prometheus, "graph", {},
                 query="lab_temperature_celsius", unit="°C", decimals=1, range="1h")  # fmt: skip


def test_the_stat_widget_shows_the_real_value_coloured_by_its_thresholds(stat, people, exporter):
    html = html_of(client_for(people.outsider), stat)
    assert "21.5 °C" in html
    assert "iw-level-warn" in html  # 21.5 is at or above the warning (20), below critical (30)
    assert "cannot be reached" not in html


def test_viewers_never_send_promql_the_stored_query_runs(stat, people):
    client = client_for(people.outsider)
    response = client.get(stat.data_url(), {"query": "lab_disk_used_ratio"})
    assert "21.5 °C" in response.content.decode()
    assert "0.4" not in response.content.decode()


def test_the_graph_widget_draws_an_svg_sparkline_on_the_server(graph, people):
    html = html_of(client_for(people.member), graph)
    points = re.search(r'<polyline class="iw-spark-line" points="([^"]+)"', html)
    assert points is not None
    pairs = [tuple(map(float, p.split(","))) for p in points.group(1).split()]
    assert pairs and all(0 <= x <= 200 and 0 <= y <= 50 for x, y in pairs)
    assert "21.5 °C" in html  # the last value
    assert "<script" not in html


def test_a_stopped_prometheus_shows_in_the_widget_and_the_page_still_answers(stat, people):
    client = client_for(people.member)
    assert "21.5 °C" in html_of(client, stat)
    stat.daemon.stop()
    try:
        stat.wait_out_the_cache()
        html = html_of(client, stat)
        assert "Prometheus cannot be reached" in html
        assert client.get(stat.board.get_absolute_url()).status_code == 200
    finally:
        stat.daemon.start()


def test_the_kinds_actions_are_only_for_interact():
    assert {a.level for a in get_kind("homeassistant").actions.values()} == {"interact"}
