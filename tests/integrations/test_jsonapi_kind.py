"""The JSON API kind against a real web service on loopback answering JSON (its whole
protocol is one GET): the connection test, the values picked with JSONPath, the widget."""

from __future__ import annotations

import json

import pytest

from homeportal import shared_fetch
from integrations.data import cache_key
from integrations.kinds import ConnectionProblem, Context, get_kind
from integrations.kinds.jsonapi import JsonApiOptions, parse_fields
from integrations.models import Integration
from tests.conftest import client_for
from tests.integrations.file_service import FileService
from tests.integrations.placed import place

KEY = "K3Y-json-api-5d1e"
ANSWER = {
    "status": "ok",
    "queries": {"today": 48213, "blocked": 5120, "ratio": 10.62},
    "clients": [{"name": "laptop", "online": True}, {"name": "phone", "online": False}],
    "version": {"core": "v5.18"},
}
FIELDS = """Queries today | $.queries.today |
Blocked | $.queries.blocked | queries
Ratio | $.queries.ratio | %
Online | $.clients[?(@.online == true)].name
Core | $.version.core
Missing | $.nowhere.at.all"""
OPTIONS = {"path": "/api/stats?period=day", "header": "X-Api-Key", "paths": FIELDS}


@pytest.fixture
def service():
    with FileService() as service:
        service.routes["/api/stats?period=day"] = (
            200, "application/json", json.dumps(ANSWER).encode()
        )  # fmt: skip
        service.routes["/page"] = (200, "text/html", b"<html>not json</html>")
        service.key_header = ("X-Api-Key", KEY)
        yield service


def ctx(service, secrets=None, **options) -> Context:
    return Context(url=service.url, secrets={"api_key": KEY} if secrets is None else secrets,
                   options={**OPTIONS, **options}, integration_id=1)  # fmt: skip


def test_the_connection_test_counts_the_fields_it_finds(service):
    assert get_kind("jsonapi").test_connection(ctx(service)) == "JSON API: 5 of 6 fields found"
    assert service.requests == ["/api/stats?period=day"]


def test_the_values_are_picked_from_the_real_answer(service):
    values = get_kind("jsonapi").queries["values"].fetch(ctx(service), {})["values"]
    assert values == [
        {"label": "Queries today", "value": 48213, "unit": "", "found": True},
        {"label": "Blocked", "value": 5120, "unit": "queries", "found": True},
        {"label": "Ratio", "value": 10.62, "unit": "%", "found": True},
        {"label": "Online", "value": "laptop", "unit": "", "found": True},
        {"label": "Core", "value": "v5.18", "unit": "", "found": True},
        {"label": "Missing", "value": None, "unit": "", "found": False},
    ]


@pytest.mark.parametrize("secrets", [{}, {"api_key": "not-the-Key-42"}])
def test_a_missing_or_wrong_key_is_an_authentication_problem(service, secrets):
    with pytest.raises(ConnectionProblem) as problem:
        get_kind("jsonapi").test_connection(ctx(service, secrets))
    assert problem.value.reason == ConnectionProblem.AUTHENTICATION
    assert "not-the-Key-42" not in problem.value.message


def test_the_key_goes_in_the_header_the_options_name(service):
    service.key_header = ("Authorization", f"Bearer {KEY}")
    secrets = {"api_key": f"Bearer {KEY}"}
    assert get_kind("jsonapi").test_connection(ctx(service, secrets, header="Authorization"))
    with pytest.raises(ConnectionProblem):
        get_kind("jsonapi").test_connection(ctx(service, secrets))  # sent as X-Api-Key


@pytest.mark.parametrize(("path", "words"), [("/page", "not JSON"), ("/gone", "HTTP 404")])
def test_an_answer_that_is_not_the_apis_is_unexpected(service, path, words):
    with pytest.raises(ConnectionProblem) as problem:
        get_kind("jsonapi").test_connection(ctx(service, path=path))
    assert problem.value.reason == ConnectionProblem.UNEXPECTED
    assert words in problem.value.message


def test_json_without_any_of_the_fields_is_unexpected(service):
    with pytest.raises(ConnectionProblem) as problem:
        get_kind("jsonapi").test_connection(ctx(service, paths="Nothing | $.absent"))
    assert problem.value.reason == ConnectionProblem.UNEXPECTED


def test_a_stopped_service_is_unreachable(service):
    service.stop()
    with pytest.raises(ConnectionProblem) as problem:
        get_kind("jsonapi").test_connection(ctx(service))
    assert problem.value.reason == ConnectionProblem.UNREACHABLE


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ("Label only", "Line 1"),
        ("A | $.a\nB | $..[[ | x", "Line 2"),
        ("A | $.a | u | extra", "Line 1"),
        ("\n".join(f"F{i} | $.f{i}" for i in range(21)), "At most 20"),
        ("  \n ", "required"),
    ],
)
def test_the_options_form_refuses_fields_it_cannot_read(fields, error):
    form = JsonApiOptions(data={"opt-path": "/x", "opt-header": "X-Api-Key", "opt-paths": fields},
                          prefix="opt")  # fmt: skip
    assert not form.is_valid()
    assert error in str(form.errors["paths"])


@pytest.mark.parametrize("header", ["X Api Key", "X-Key:", "é", "a" * 65])
def test_the_options_form_refuses_a_header_name_that_is_not_one(header):
    form = JsonApiOptions(data={"opt-path": "/x", "opt-header": header, "opt-paths": "A | $.a"},
                          prefix="opt")  # fmt: skip
    assert not form.is_valid() and "header" in form.errors


def test_parse_fields_keeps_label_expression_and_unit():
    assert [(f.label, f.path, f.unit) for f in parse_fields("Temp | $.main.temp | °C")] == [
        ("Temp", "$.main.temp", "°C")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("layout", ["table", "tiles"])
def test_the_values_widget_shows_the_services_values_to_viewers(service, people, layout):
    placed = place(people, "jsonapi", service.url, "values", {"api_key": KEY}, options=OPTIONS,
                   widget_options={"layout": layout})  # fmt: skip
    for viewer in (people.member, people.outsider):
        html = client_for(viewer).get(placed.data_url()).content.decode()
        assert "48213" in html and "5120 queries" in html and "10.62 %" in html
        assert "v5.18" in html and "Queries today" in html
        assert ("iw-tiles" in html) == (layout == "tiles")
        assert KEY not in html and "/api/stats" not in html  # never the configuration
    assert client_for(None).get(placed.data_url()).status_code == 302  # anonymous: log in first


@pytest.mark.django_db
def test_a_stopped_service_shows_in_the_values_widget(service, people):
    placed = place(people, "jsonapi", service.url, "values", {"api_key": KEY}, options=OPTIONS)
    client = client_for(people.member)
    assert "48213" in client.get(placed.data_url()).content.decode()
    service.stop()
    shared_fetch.forget(cache_key(placed.integration, "values", None))  # old at once
    html = client.get(placed.data_url()).content.decode()
    assert "cannot be reached" in html
    assert client.get(placed.board.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_the_settings_page_tests_and_saves_the_options(service, people):
    client = client_for(people.admin)
    form = {"name": "Stats", "url": service.url, "verify_tls": "on", "secret_api_key": KEY,
            "opt-path": OPTIONS["path"], "opt-header": "X-Api-Key",
            "opt-paths": FIELDS}  # fmt: skip
    tested = client.post("/settings/integrations/new/?kind=jsonapi", {**form, "test": "1"})
    assert "JSON API: 5 of 6 fields found" in tested.content.decode()
    assert client.post("/settings/integrations/new/?kind=jsonapi", form).status_code == 302
    integration = Integration.objects.get(name="Stats")
    assert integration.options == {"path": OPTIONS["path"], "header": "X-Api-Key", "paths": FIELDS}
    bad = client.post("/settings/integrations/new/?kind=jsonapi", {**form, "opt-paths": "A"})
    assert bad.status_code == 400 and "Line 1" in bad.content.decode()
