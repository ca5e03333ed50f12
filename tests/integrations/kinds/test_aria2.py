"""aria2 kind against a real ``aria2c --enable-rpc`` 1.36 seeding local torrents (``-m services``).

aria2 names downloads by GID, not by info hash: the contract asks the daemon for the GID of
each torrent (`Aria2.download_id`).
"""

from __future__ import annotations

import pytest

from integrations.kinds import ConnectionProblem, Context, InvalidParams, get_kind
from tests.services.daemons import Aria2

from .conftest import TOKEN, _started
from .downloads_contract import DownloadsKindContract

pytestmark = pytest.mark.services


class TestAria2(DownloadsKindContract):
    @pytest.fixture
    def daemon(self, aria2):
        return aria2

    @pytest.fixture
    def kind(self):
        return get_kind("aria2")

    @pytest.fixture
    def good_secrets(self):
        return {"token": TOKEN}

    # aria2 has a token, not a password: the contract's wrong password is a wrong token here.
    def test_connection_with_a_wrong_password_fails_as_authentication(
        self, daemon, kind, integration_id
    ):
        wrong = self.context(daemon, {"token": "not-the-Token-42"}, integration_id)
        with pytest.raises(ConnectionProblem) as problem:
            kind.test_connection(wrong)
        assert problem.value.reason == ConnectionProblem.AUTHENTICATION
        assert "token" in problem.value.message and "not-the-Token-42" not in problem.value.message

    def test_data_with_a_wrong_password_fails_as_authentication(self, daemon, kind, integration_id):
        with pytest.raises(ConnectionProblem) as problem:
            self.fetch(kind, self.context(daemon, {"token": "not-the-Token-42"}, integration_id))
        assert problem.value.reason == ConnectionProblem.AUTHENTICATION

    def test_without_the_token_a_daemon_that_wants_one_says_authentication(
        self, daemon, kind, integration_id
    ):
        with pytest.raises(ConnectionProblem) as problem:
            kind.test_connection(self.context(daemon, {}, integration_id))
        assert problem.value.reason == ConnectionProblem.AUTHENTICATION

    def test_the_connection_test_names_the_version(
        self, daemon, kind, good_secrets, integration_id
    ):
        answer = kind.test_connection(self.context(daemon, good_secrets, integration_id))
        assert answer == f"aria2 {daemon.call('getVersion')['version']}"

    def test_a_download_added_paused_shows_paused_and_resumes(
        self, daemon, kind, good_secrets, integration_id
    ):
        # An HTTP download from a closed port, added paused: it never fetches anything.
        gid = daemon.add_uri("http://127.0.0.1:1/nothing.iso", pause="true")
        ctx = self.context(daemon, good_secrets, integration_id)
        try:
            item = {i["id"]: i for i in self.fetch(kind, ctx)["items"]}[gid]
            assert item["state"] == "paused" and item["name"] == "nothing.iso"
            self.act(kind, ctx, "resume", id=gid)
            assert daemon.wait_for(lambda d: d.states().get(gid) != "paused")
        finally:
            self.act(kind, ctx, "remove", id=gid)
        assert daemon.wait_for(lambda d: gid not in d.states())

    @pytest.mark.parametrize("bad", ["0123456789abcdef0", "0123456789abcdeg", "all", ""])
    def test_a_gid_must_be_sixteen_hexadecimal_characters(self, kind, bad):
        ctx = Context(url="http://127.0.0.1:1", secrets={}, options={})
        with pytest.raises(InvalidParams):
            kind.actions["pause"].run(ctx, {"id": bad})


@pytest.fixture(scope="module")
def open_aria2():
    daemon = _started(Aria2)
    try:
        yield daemon
    finally:
        daemon.close()


def test_a_daemon_without_a_token_works_with_no_secrets(open_aria2):
    kind = get_kind("aria2")
    assert () in kind.secret_sets
    ctx = Context(url=open_aria2.url, secrets={}, options={}, integration_id=1)
    assert kind.test_connection(ctx).startswith("aria2 1.")
    data = kind.queries["downloads"].fetch(ctx, {})
    assert data["items"] == [] and data["counts"]["total"] == 0
