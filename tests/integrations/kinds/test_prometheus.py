"""Prometheus kind against a real ``prometheus`` 2.42 scraping itself and a small exporter of
this process (``-m services``): the values the exporter serves come back through PromQL."""

from __future__ import annotations

import pytest

from integrations.kinds import ConnectionProblem, Context, get_kind
from tests.services.nginx import HeaderEchoServer

from .conftest import PASSWORD, USERNAME

pytestmark = pytest.mark.services

KIND = get_kind("prometheus")


def context(daemon, secrets=None) -> Context:
    return Context(url=daemon.url, secrets=secrets or {}, options={}, integration_id=9)


def stat(daemon, query: str, secrets=None) -> dict:
    return KIND.queries["stat"].fetch(context(daemon, secrets), {"query": query})


def graph(daemon, query: str, span: str = "1h") -> dict:
    return KIND.queries["graph"].fetch(context(daemon), {"query": query, "range": span})


def test_connection_names_the_version(prometheus):
    assert KIND.test_connection(context(prometheus)).startswith("Prometheus 2.42")


def test_connection_with_basic_auth_passes_with_the_password_and_fails_without(
    prometheus_with_password,
):
    good = {"username": USERNAME, "password": PASSWORD}
    assert KIND.test_connection(context(prometheus_with_password, good)).startswith("Prometheus")
    for secrets in ({}, {"username": USERNAME, "password": "wrong"}, {"token": "nope"}):
        with pytest.raises(ConnectionProblem) as problem:
            KIND.test_connection(context(prometheus_with_password, secrets))
        assert problem.value.reason == ConnectionProblem.AUTHENTICATION
    assert stat(prometheus_with_password, "1 + 1", good)["value"] == 2.0


def test_stat_reads_the_exporters_value(prometheus, exporter):
    answer = stat(prometheus, "lab_temperature_celsius")
    assert answer["value"] == exporter.values["lab_temperature_celsius"]
    assert answer["series"] == 1
    assert answer["label"].startswith("lab_temperature_celsius{")


def test_stat_follows_a_change_of_the_real_value(prometheus, exporter):
    exporter.values["lab_changing"] = 3.0
    assert prometheus.wait_for_sample("lab_changing == 3")
    assert stat(prometheus, "lab_changing")["value"] == 3.0
    exporter.values["lab_changing"] = 7.25
    assert prometheus.wait_for_sample("lab_changing == 7.25")
    assert stat(prometheus, "lab_changing * 2")["value"] == 14.5


def test_stat_of_a_scalar_and_of_nothing(prometheus):
    assert stat(prometheus, "scalar(lab_disk_used_ratio) * 100")["value"] == 42.0
    empty = stat(prometheus, 'up{job="no-such-job"}')
    assert empty == {"value": None, "label": "", "series": 0}


def test_a_bad_query_says_what_prometheus_said(prometheus):
    with pytest.raises(ConnectionProblem) as problem:
        stat(prometheus, "sum(")
    assert problem.value.reason == ConnectionProblem.UNEXPECTED
    assert "parse error" in problem.value.message
    with pytest.raises(ConnectionProblem) as problem:
        stat(prometheus, "up[5m]")
    assert "matrix" in problem.value.message


def test_graph_answers_points_over_the_range(prometheus, exporter):
    answer = graph(prometheus, "lab_temperature_celsius")
    assert answer["end"] - answer["start"] == 3600
    assert answer["points"], "no point: the range query did not reach the scraped samples"
    assert all(answer["start"] <= t <= answer["end"] for t, _v in answer["points"])
    assert answer["points"][-1][1] == exporter.values["lab_temperature_celsius"]
    assert graph(prometheus, "lab_temperature_celsius", "7d")["end"] - answer["start"] >= 3600
    assert graph(prometheus, 'up{job="no-such-job"}')["points"] == []


def test_a_stopped_prometheus_is_unreachable_and_answers_again_after_restart(prometheus):
    prometheus.stop()
    try:
        for call in (
            lambda: KIND.test_connection(context(prometheus)),
            lambda: stat(prometheus, "up"),
        ):
            with pytest.raises(ConnectionProblem) as problem:
                call()
            assert problem.value.reason == ConnectionProblem.UNREACHABLE
    finally:
        prometheus.start()
    assert KIND.test_connection(context(prometheus)).startswith("Prometheus")


def test_an_address_that_is_not_prometheus_is_an_unexpected_answer():
    with HeaderEchoServer() as other, pytest.raises(ConnectionProblem) as problem:
        KIND.test_connection(context(other))
    assert problem.value.reason == ConnectionProblem.UNEXPECTED


def test_the_kind_has_no_actions_and_feeds_stat_and_graph():
    assert KIND.actions == {}
    assert KIND.widgets == {"stat": "stat", "graph": "graph"}
    assert () in KIND.secret_sets
