"""NZBGet kind against a real ``nzbget -s`` 21 (``-m services``): its usenet queue, with a
news server at a closed port so that nothing is ever fetched."""

from __future__ import annotations

import pytest

from homeportal import shared_fetch
from integrations.data import cache_key
from integrations.kinds import ConnectionProblem, Context, InvalidParams, get_kind
from tests.conftest import client_for
from tests.integrations.placed import place
from tests.services.nginx import HeaderEchoServer

from .conftest import PASSWORD, USERNAME
from .downloads_contract import assert_downloads_shape

pytestmark = pytest.mark.services

GOOD = {"username": USERNAME, "password": PASSWORD}


def context(daemon, secrets=GOOD, integration_id: int = 1) -> Context:
    return Context(url=daemon.url, secrets=secrets, options={}, integration_id=integration_id)


def fetch(ctx: Context) -> dict:
    return get_kind("nzbget").queries["downloads"].fetch(ctx, {})


def act(ctx: Context, action: str, **params: str) -> None:
    get_kind("nzbget").actions[action].run(ctx, params)


def test_the_connection_test_names_the_version(nzbget):
    assert get_kind("nzbget").test_connection(context(nzbget)) == "NZBGet 21.0"


@pytest.mark.parametrize("secrets", [{"username": USERNAME, "password": "not-the-Password-42"},
                                     {"username": "someone", "password": PASSWORD}])  # fmt: skip
def test_wrong_credentials_fail_as_authentication(nzbget, secrets):
    for run in (get_kind("nzbget").test_connection, fetch):
        with pytest.raises(ConnectionProblem) as problem:
            run(context(nzbget, secrets))
        assert problem.value.reason == ConnectionProblem.AUTHENTICATION
        assert "not-the-Password-42" not in problem.value.message
    # NZBGet closes the connection after a 401: the next call still works.
    assert get_kind("nzbget").test_connection(context(nzbget)).startswith("NZBGet")


def test_an_address_that_is_not_nzbget_is_an_unexpected_answer():
    with HeaderEchoServer() as other, pytest.raises(ConnectionProblem) as problem:
        get_kind("nzbget").test_connection(context(other))
    assert problem.value.reason == ConnectionProblem.UNEXPECTED


def test_https_to_its_plain_port_is_unreachable(nzbget):
    """NZBGet drops a connection that does not speak HTTP, so no TLS handshake happens."""
    ctx = Context(url=nzbget.url.replace("http://", "https://"), secrets=GOOD, options={},
                  timeout=3)  # fmt: skip
    with pytest.raises(ConnectionProblem) as problem:
        get_kind("nzbget").test_connection(ctx)
    assert problem.value.reason == ConnectionProblem.UNREACHABLE
    assert problem.value.message.startswith("NZBGet ")


def test_the_queue_is_answered_in_the_downloads_shape(nzbget):
    data = fetch(context(nzbget))
    assert_downloads_shape(data)
    by_id = {item["id"]: item for item in data["items"]}
    assert set(by_id) == set(nzbget.states())
    video = by_id[str(nzbget.samples["Holiday video"])]
    assert video["name"] == "Holiday video"
    assert video["size"] == 3_000_000 and video["progress"] == 0.0
    assert video["state"] in ("downloading", "queued")
    iso = by_id[str(nzbget.samples["Linux ISO"])]
    assert iso["state"] == "paused" and iso["size"] == 1_000_000


def test_pause_and_resume_change_nzbgets_queue(nzbget):
    nzb = str(nzbget.add_nzb("Pause me"))
    ctx = context(nzbget)
    act(ctx, "pause", id=nzb)
    assert nzbget.wait_for(lambda d: d.paused(nzb))
    assert {i["id"]: i for i in fetch(ctx)["items"]}[nzb]["state"] == "paused"
    assert not nzbget.paused(str(nzbget.samples["Holiday video"]))  # only that one
    act(ctx, "resume", id=nzb)
    assert nzbget.wait_for(lambda d: not d.paused(nzb))
    assert {i["id"]: i for i in fetch(ctx)["items"]}[nzb]["state"] in ("queued", "downloading")


def test_pause_all_holds_the_whole_queue_and_resume_all_releases_it(nzbget):
    ctx = context(nzbget)
    act(ctx, "pause_all")
    try:
        assert nzbget.download_paused()
        data = fetch(ctx)
        assert data["counts"]["paused"] == data["counts"]["total"] >= 2
        assert data["counts"]["active"] == 0
    finally:
        act(ctx, "resume_all")
    assert not nzbget.download_paused()
    states = {i["id"]: i["state"] for i in fetch(ctx)["items"]}
    assert states[str(nzbget.samples["Holiday video"])] != "paused"


def test_an_nzb_that_is_not_in_the_queue_is_an_unexpected_answer(nzbget):
    with pytest.raises(ConnectionProblem) as problem:
        act(context(nzbget), "pause", id="987654")
    assert problem.value.reason == ConnectionProblem.UNEXPECTED


@pytest.mark.parametrize("bad", ["", "0", "-1", "all", "1,2", "12a", "9" * 11])
def test_an_id_that_is_not_an_nzbid_is_refused_before_nzbget_is_asked(nzbget, bad):
    before = nzbget.states()
    for action in ("pause", "resume"):
        with pytest.raises(InvalidParams):
            act(context(nzbget), action, id=bad)
    assert nzbget.states() == before


def test_actions_need_interact_and_there_is_no_remove():
    kind = get_kind("nzbget")
    assert set(kind.actions) == {"pause", "resume", "pause_all", "resume_all"}
    assert all(action.level == "interact" for action in kind.actions.values())


def test_a_stopped_nzbget_is_unreachable_and_its_queue_is_back_after_a_restart(nzbget):
    ctx = context(nzbget)
    before = {i["id"] for i in fetch(ctx)["items"]}
    nzbget.stop()
    try:
        for run in (get_kind("nzbget").test_connection, fetch):
            with pytest.raises(ConnectionProblem) as problem:
                run(ctx)
            assert problem.value.reason == ConnectionProblem.UNREACHABLE
    finally:
        nzbget.start()
    assert {i["id"] for i in fetch(ctx)["items"]} == before


@pytest.mark.django_db
def test_on_a_board_interact_pauses_an_nzb_and_use_is_refused(nzbget, people):
    placed = place(people, "nzbget", nzbget.url, "downloads", GOOD)
    nzb = str(nzbget.add_nzb("Board pause"))
    html = client_for(people.outsider).get(placed.data_url()).content.decode()
    assert "Board pause" in html and "Holiday video" in html
    assert placed.action_url("pause") not in html  # use: no buttons
    refused = client_for(people.outsider).post(placed.action_url("pause"), {"id": nzb})
    assert refused.status_code == 403 and not nzbget.paused(nzb)
    member = client_for(people.member)
    assert placed.action_url("pause") in member.get(placed.data_url()).content.decode()
    answer = member.post(placed.action_url("pause"), {"id": nzb}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200 and nzbget.wait_for(lambda d: d.paused(nzb))
    member.post(placed.action_url("resume"), {"id": nzb}, HTTP_HX_REQUEST="true")
    assert nzbget.wait_for(lambda d: not d.paused(nzb))


@pytest.mark.django_db
def test_a_stopped_nzbget_shows_in_the_widget_and_the_page_still_answers(nzbget, people):
    placed = place(people, "nzbget", nzbget.url, "downloads", GOOD)
    client = client_for(people.member)
    assert "Holiday video" in client.get(placed.data_url()).content.decode()
    nzbget.stop()
    try:
        shared_fetch.forget(cache_key(placed.integration, "downloads", None))  # old at once
        html = client.get(placed.data_url()).content.decode()
        assert "NZBGet cannot be reached" in html and "Holiday video" in html
        assert client.get(placed.board.get_absolute_url()).status_code == 200
    finally:
        nzbget.start()
