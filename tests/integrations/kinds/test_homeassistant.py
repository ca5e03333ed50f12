"""Home Assistant kind against a real Home Assistant 2025.4 (``-m services``; see
tests/services/homeassistant.py): states, areas, toggles and scenes change the real thing."""

from __future__ import annotations

import pytest

from integrations.kinds import ConnectionProblem, Context, InvalidParams, get_kind
from tests.services.nginx import HeaderEchoServer

pytestmark = pytest.mark.services

KIND = get_kind("homeassistant")
CHOSEN = [
    "sensor.living_room_temperature",
    "switch.coffee_maker",
    "input_boolean.porch_light",
    "input_number.thermostat",
    "script.good_night",
    "scene.movie",
]


def context(daemon, token=None) -> Context:
    secrets = {"token": daemon.token if token is None else token}
    return Context(url=daemon.url, secrets=secrets, options={}, integration_id=11)


def entities(daemon, ids=CHOSEN) -> dict:
    return KIND.queries["entities"].fetch(context(daemon), {"entities": list(ids)})


def by_id(answer: dict) -> dict:
    return {e["id"]: (area["name"], e) for area in answer["areas"] for e in area["entities"]}


def test_connection_names_the_version_and_the_place(homeassistant):
    assert KIND.test_connection(context(homeassistant)) == "Home Assistant 2025.4.4 (Lab)"


@pytest.mark.parametrize("token", ["", "not-a-token", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln"])
def test_a_wrong_token_fails_as_authentication(homeassistant, token):
    with pytest.raises(ConnectionProblem) as problem:
        KIND.test_connection(context(homeassistant, token))
    assert problem.value.reason == ConnectionProblem.AUTHENTICATION
    with pytest.raises(ConnectionProblem) as problem:
        KIND.queries["entities"].fetch(context(homeassistant, token), {"entities": CHOSEN})
    assert problem.value.reason == ConnectionProblem.AUTHENTICATION


def test_entities_show_names_states_units_and_areas(homeassistant):
    answer = entities(homeassistant)
    found = by_id(answer)
    assert set(found) == set(CHOSEN)
    area, sensor = found["sensor.living_room_temperature"]
    assert area == "Living room"
    assert sensor["name"] == "Living room temperature"
    assert sensor["state"] == homeassistant.state("input_number.thermostat")
    assert sensor["unit"] == "°C" and not sensor["toggle"] and not sensor["run"]
    assert found["switch.coffee_maker"][0] == "Living room"
    assert found["switch.coffee_maker"][1]["toggle"]
    assert found["input_boolean.porch_light"][0] == ""  # no area: grouped last
    assert found["script.good_night"][1]["run"] and found["scene.movie"][1]["run"]
    assert [area["name"] for area in answer["areas"]] == ["Living room", ""]
    assert answer["missing"] == []


def test_unknown_and_malformed_entities(homeassistant):
    answer = entities(homeassistant, ["light.nowhere", "Not An Id", "input_boolean.coffee"])
    assert answer["missing"] == ["light.nowhere"]
    assert list(by_id(answer)) == ["input_boolean.coffee"]
    assert entities(homeassistant, []) == {"areas": [], "missing": []}


def test_toggle_switches_the_real_entity(homeassistant):
    ctx = context(homeassistant)
    before = homeassistant.state("switch.coffee_maker")
    wanted = "off" if before == "on" else "on"
    KIND.actions["toggle"].run(ctx, {"id": "switch.coffee_maker"})
    assert homeassistant.wait_for_state("switch.coffee_maker", wanted)
    assert homeassistant.state("input_boolean.coffee") == wanted
    KIND.actions["toggle"].run(ctx, {"id": "switch.coffee_maker"})
    assert homeassistant.wait_for_state("switch.coffee_maker", before)


def test_run_starts_a_script_and_a_scene(homeassistant):
    ctx = context(homeassistant)
    homeassistant.call("input_boolean", "turn_on", "input_boolean.porch_light")
    KIND.actions["run"].run(ctx, {"id": "script.good_night"})
    assert homeassistant.wait_for_state("input_boolean.porch_light", "off")
    homeassistant.call("input_boolean", "turn_off", "input_boolean.movie_mode")
    KIND.actions["run"].run(ctx, {"id": "scene.movie"})
    assert homeassistant.wait_for_state("input_boolean.movie_mode", "on")


@pytest.mark.parametrize(
    ("action", "entity"),
    [
        ("toggle", "sensor.living_room_temperature"),
        ("toggle", "input_number.thermostat"),
        ("toggle", "script.good_night"),
        ("run", "switch.coffee_maker"),
        ("toggle", "switch/../../api/config"),
        ("run", ""),
    ],
)
def test_actions_refuse_other_domains_and_malformed_ids(homeassistant, action, entity):
    with pytest.raises(InvalidParams):
        KIND.actions[action].run(context(homeassistant), {"id": entity})


def test_a_stopped_home_assistant_is_unreachable_and_answers_again(homeassistant):
    homeassistant.stop()
    try:
        for call in (
            lambda: KIND.test_connection(context(homeassistant)),
            lambda: entities(homeassistant),
        ):
            with pytest.raises(ConnectionProblem) as problem:
                call()
            assert problem.value.reason == ConnectionProblem.UNREACHABLE
    finally:
        homeassistant.start()
    assert KIND.test_connection(context(homeassistant)).startswith("Home Assistant")


def test_an_address_that_is_not_home_assistant_is_an_unexpected_answer():
    with HeaderEchoServer() as other, pytest.raises(ConnectionProblem) as problem:
        KIND.test_connection(Context(url=other.url, secrets={"token": "t"}, options={}))
    assert problem.value.reason == ConnectionProblem.UNEXPECTED


def test_the_kind_declares_toggle_and_run_for_interact():
    assert {name: a.level for name, a in KIND.actions.items()} == {
        "toggle": "interact",
        "run": "interact",
    }
    assert KIND.secret_sets == ((KIND.secret_sets[0][0],),)
    assert KIND.secret_sets[0][0].name == "token"
