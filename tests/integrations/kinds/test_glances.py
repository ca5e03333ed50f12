"""Glances kind against a real ``glances -w`` 3.3 (``-m services``): this machine's own
CPU, memory, disks and uptime, read independently here and compared."""

from __future__ import annotations

import os
import shutil

import pytest

from integrations.kinds import ConnectionProblem, Context, get_kind
from integrations.kinds.glances import parse_uptime
from tests.services.nginx import HeaderEchoServer

from .conftest import PASSWORD, USERNAME

pytestmark = pytest.mark.services

KIND = get_kind("glances")


def context(daemon, secrets=None) -> Context:
    return Context(url=daemon.url, secrets=secrets or {}, options={}, integration_id=7)


def fetch(daemon, secrets=None):
    return KIND.queries[KIND.widgets["system"]].fetch(context(daemon, secrets), {})


def meminfo_total() -> int:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal")


def test_connection_passes_without_secrets_when_glances_asks_none(glances):
    assert KIND.test_connection(context(glances)).startswith("Glances (API v3) on ")


def test_connection_passes_with_the_right_password(glances_with_password):
    secrets = {"username": USERNAME, "password": PASSWORD}
    assert KIND.test_connection(context(glances_with_password, secrets))


@pytest.mark.parametrize(
    "secrets",
    [{}, {"username": USERNAME, "password": "wrong"}, {"username": "x", "password": PASSWORD}],
    ids=["none", "wrong-password", "wrong-username"],
)
def test_connection_with_wrong_or_missing_secrets_fails_as_authentication(
    glances_with_password, secrets
):
    with pytest.raises(ConnectionProblem) as problem:
        KIND.test_connection(context(glances_with_password, secrets))
    assert problem.value.reason == ConnectionProblem.AUTHENTICATION
    with pytest.raises(ConnectionProblem) as problem:
        fetch(glances_with_password, secrets)
    assert problem.value.reason == ConnectionProblem.AUTHENTICATION


def test_system_answers_this_machines_real_figures_in_the_documented_shape(glances):
    data = fetch(glances)
    assert set(data) == {"cpu", "cores", "load", "memory", "swap", "disks", "uptime", "sensors"}
    assert isinstance(data["cpu"], float) and 0 <= data["cpu"] <= 100
    assert data["cores"] == os.cpu_count()
    assert len(data["load"]) == 3 and all(isinstance(v, float) and v >= 0 for v in data["load"])
    memory = data["memory"]
    assert memory["total"] == meminfo_total()
    assert 0 < memory["used"] < memory["total"]
    assert isinstance(memory["percent"], float) and 0 < memory["percent"] < 100
    assert set(data["swap"]) == {"total", "used", "percent"}
    root = next(disk for disk in data["disks"] if disk["mount"] == "/")
    usage = shutil.disk_usage("/")
    assert root["total"] == usage.total
    assert abs(root["used"] - usage.used) < 512 * 1024 * 1024  # others write meanwhile
    assert 0 < root["percent"] <= 100
    assert all(set(d) == {"mount", "total", "used", "percent"} for d in data["disks"])
    with open("/proc/uptime") as uptime:
        seconds = float(uptime.read().split()[0])
    assert isinstance(data["uptime"], int) and abs(data["uptime"] - seconds) < 120
    for sensor in data["sensors"]:
        assert set(sensor) == {"label", "value", "unit"} and isinstance(sensor["value"], float)


def test_system_with_the_right_password(glances_with_password):
    data = fetch(glances_with_password, {"username": USERNAME, "password": PASSWORD})
    assert data["memory"]["total"] == meminfo_total()


def test_a_stopped_glances_is_unreachable_and_answers_again_after_restart(glances):
    glances.stop()
    try:
        for call in (lambda: KIND.test_connection(context(glances)), lambda: fetch(glances)):
            with pytest.raises(ConnectionProblem) as problem:
                call()
            assert problem.value.reason == ConnectionProblem.UNREACHABLE
    finally:
        glances.start()
    assert fetch(glances)["cores"] == os.cpu_count()


def test_an_address_that_is_not_glances_is_an_unexpected_answer():
    # An HTTP server answering every GET with 200 and JSON of its own.
    with HeaderEchoServer() as other, pytest.raises(ConnectionProblem) as problem:
        KIND.test_connection(context(other))
    assert problem.value.reason == ConnectionProblem.UNEXPECTED


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0:03:21", 201),
        ("4:05:06", 14706),
        ("1 day, 0:00:01", 86401),
        ("12 days, 23:59:59", 12 * 86400 + 86399),
        (3600, 3600),
        ("soon", None),
        (None, None),
    ],
)
def test_uptime_is_read_from_glances_words(text, seconds):
    assert parse_uptime(text) == seconds


def test_the_kind_declares_no_actions_and_feeds_the_system_widget():
    assert KIND.actions == {}
    assert KIND.widgets == {"system": "system"}
    assert () in KIND.secret_sets
