"""What every `downloads` kind must do against its real daemon.

A test module subclasses `DownloadsKindContract` and gives the fixtures `daemon` (a started
`TorrentClient` with its sample torrents seeding), `kind` and `good_secrets`. Every state
change is checked through the daemon's own API, not through the kind.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from integrations.kinds import ConnectionProblem, Context, IntegrationKind
from tests.services.daemons import TorrentClient, make_torrent
from tests.services.nginx import HeaderEchoServer

STATES = {"downloading", "seeding", "paused", "queued", "checking", "done", "error"}
ITEM_KEYS = {"id", "name", "progress", "size", "down_speed", "up_speed", "eta", "state", "error"}


def assert_downloads_shape(data: Any) -> None:
    assert set(data) == {"down_speed", "up_speed", "counts", "items"}
    assert isinstance(data["down_speed"], int) and data["down_speed"] >= 0
    assert isinstance(data["up_speed"], int) and data["up_speed"] >= 0
    assert set(data["counts"]) == {"active", "paused", "done", "total"}
    assert all(isinstance(n, int) for n in data["counts"].values())
    assert data["counts"]["total"] == len(data["items"])
    for item in data["items"]:
        assert set(item) == ITEM_KEYS
        assert isinstance(item["id"], str) and isinstance(item["name"], str)
        assert isinstance(item["progress"], float) and 0 <= item["progress"] <= 1
        assert all(isinstance(item[k], int) for k in ("size", "down_speed", "up_speed"))
        assert item["eta"] is None or isinstance(item["eta"], int)
        assert item["state"] in STATES
        assert isinstance(item["error"], str)
        assert item["error"] == "" or item["state"] == "error"


class DownloadsKindContract:
    # What a TLS handshake against the daemon's plain HTTP port ends in.
    reason_for_https_to_http = ConnectionProblem.TLS

    def context(self, daemon: TorrentClient, secrets, integration_id: int) -> Context:
        return Context(url=daemon.url, secrets=secrets, options={}, integration_id=integration_id)

    def fetch(self, kind: IntegrationKind, ctx: Context) -> dict[str, Any]:
        query = kind.queries[kind.widgets["downloads"]]
        return query.fetch(ctx, {})

    def act(self, kind: IntegrationKind, ctx: Context, action: str, **params: str) -> None:
        kind.actions[action].run(ctx, params)

    def fresh_torrent(self, daemon: TorrentClient, name: str):
        """A torrent of its own for a test that changes state, seeding before it starts."""
        torrent = make_torrent(daemon.files, name, {"a.bin": os.urandom(20_000)})
        daemon.add_torrent(torrent)
        assert daemon.wait_for(lambda d: d.seeding(daemon.download_id(torrent)), timeout=30)
        return torrent

    # --- the connection test -------------------------------------------------------------

    def test_connection_passes_with_good_secrets(self, daemon, kind, good_secrets, integration_id):
        answer = kind.test_connection(self.context(daemon, good_secrets, integration_id))
        assert kind.name in answer

    def test_connection_with_a_wrong_password_fails_as_authentication(
        self, daemon, kind, good_secrets, integration_id
    ):
        wrong = {**good_secrets, "password": "not-the-Password-42"}
        with pytest.raises(ConnectionProblem) as problem:
            kind.test_connection(self.context(daemon, wrong, integration_id))
        assert problem.value.reason == ConnectionProblem.AUTHENTICATION
        assert "not-the-Password-42" not in problem.value.message

    def test_data_with_a_wrong_password_fails_as_authentication(
        self, daemon, kind, good_secrets, integration_id
    ):
        wrong = {**good_secrets, "password": "not-the-Password-42"}
        with pytest.raises(ConnectionProblem) as problem:
            self.fetch(kind, self.context(daemon, wrong, integration_id))
        assert problem.value.reason == ConnectionProblem.AUTHENTICATION

    def test_connection_to_a_stopped_daemon_is_unreachable_and_recovers_after_restart(
        self, daemon, kind, good_secrets, integration_id
    ):
        ctx = self.context(daemon, good_secrets, integration_id)
        before = self.fetch(kind, ctx)  # a session is open and kept
        daemon.stop()
        try:
            with pytest.raises(ConnectionProblem) as problem:
                kind.test_connection(ctx)
            assert problem.value.reason == ConnectionProblem.UNREACHABLE
            with pytest.raises(ConnectionProblem) as problem:
                self.fetch(kind, ctx)
            assert problem.value.reason == ConnectionProblem.UNREACHABLE
        finally:
            daemon.start()
        # The restarted daemon forgot the kept session: the kind opens a new one by itself.
        after = self.fetch(kind, ctx)
        assert {i["id"] for i in after["items"]} == {i["id"] for i in before["items"]}

    def test_an_address_that_is_not_the_service_is_an_unexpected_answer(
        self, kind, good_secrets, integration_id
    ):
        with HeaderEchoServer() as other, pytest.raises(ConnectionProblem) as problem:
            kind.test_connection(self.context(other, good_secrets, integration_id))
        assert problem.value.reason == ConnectionProblem.UNEXPECTED

    def test_https_to_a_plain_http_daemon_is_a_tls_problem(
        self, daemon, kind, good_secrets, integration_id
    ):
        ctx = Context(
            url=daemon.url.replace("http://", "https://"),
            secrets=good_secrets,
            options={},
            integration_id=integration_id,
            timeout=2,
        )
        with pytest.raises(ConnectionProblem) as problem:
            kind.test_connection(ctx)
        assert problem.value.reason == self.reason_for_https_to_http

    # --- the data --------------------------------------------------------------------------

    def test_downloads_answers_the_daemons_torrents_in_the_documented_shape(
        self, daemon, kind, good_secrets, integration_id
    ):
        data = self.fetch(kind, self.context(daemon, good_secrets, integration_id))
        assert_downloads_shape(data)
        by_id = {item["id"]: item for item in data["items"]}
        for torrent in daemon.samples:
            item = by_id[daemon.download_id(torrent)]
            assert item["name"] == torrent.name
            assert item["size"] == torrent.size
            assert item["progress"] == 1.0
            assert item["eta"] is None
        daemon_states = daemon.states()
        assert set(by_id) == set(daemon_states)
        assert data["counts"]["total"] == len(daemon_states)
        assert data["counts"]["done"] >= len(daemon.samples)
        names = [item["name"].lower() for item in data["items"]]
        assert names == sorted(names)

    # --- the actions -----------------------------------------------------------------------

    def test_pause_and_resume_change_the_daemons_state(
        self, daemon, kind, good_secrets, integration_id
    ):
        torrent = self.fresh_torrent(daemon, "Pause me")
        ctx = self.context(daemon, good_secrets, integration_id)
        self.act(kind, ctx, "pause", id=daemon.download_id(torrent))
        assert daemon.wait_for(lambda d: d.paused(daemon.download_id(torrent)))
        item = {i["id"]: i for i in self.fetch(kind, ctx)["items"]}[daemon.download_id(torrent)]
        assert item["state"] == "paused"
        others = [daemon.download_id(t) for t in daemon.samples]
        assert not any(daemon.paused(h) for h in others)  # only that one
        self.act(kind, ctx, "resume", id=daemon.download_id(torrent))
        assert daemon.wait_for(lambda d: not d.paused(daemon.download_id(torrent)))
        item = {i["id"]: i for i in self.fetch(kind, ctx)["items"]}[daemon.download_id(torrent)]
        assert item["state"] in ("seeding", "checking", "queued")

    def test_pause_all_and_resume_all_change_every_torrent(
        self, daemon, kind, good_secrets, integration_id
    ):
        ctx = self.context(daemon, good_secrets, integration_id)
        hashes = list(daemon.states())
        self.act(kind, ctx, "pause_all")
        try:
            assert daemon.wait_for(lambda d: all(d.paused(h) for h in hashes))
            data = self.fetch(kind, ctx)
            assert data["counts"]["paused"] == len(hashes)
            assert data["counts"]["active"] == 0
        finally:
            self.act(kind, ctx, "resume_all")
        assert daemon.wait_for(lambda d: not any(d.paused(h) for h in hashes))

    def test_remove_takes_the_torrent_off_and_keeps_its_files(
        self, daemon, kind, good_secrets, integration_id
    ):
        torrent = self.fresh_torrent(daemon, "Remove me")
        ctx = self.context(daemon, good_secrets, integration_id)
        assert kind.actions["remove"].confirm
        self.act(kind, ctx, "remove", id=daemon.download_id(torrent))
        assert daemon.wait_for(lambda d: daemon.download_id(torrent) not in d.states())
        assert (daemon.files / "Remove me" / "a.bin").stat().st_size == 20_000
        ids = {i["id"] for i in self.fetch(kind, ctx)["items"]}
        assert daemon.download_id(torrent) not in ids
        assert {daemon.download_id(t) for t in daemon.samples} <= ids

    @pytest.mark.parametrize("bad", ["", "all", "../x", "12345", "g" * 40, "a" * 40 + ",b"])
    def test_an_id_that_is_not_an_info_hash_is_refused_before_the_daemon_is_asked(
        self, daemon, kind, good_secrets, integration_id, bad
    ):
        ctx = self.context(daemon, good_secrets, integration_id)
        before = daemon.states()
        for action in ("pause", "resume", "remove"):
            with pytest.raises(ValueError):
                self.act(kind, ctx, action, id=bad)
        assert daemon.states() == before

    def test_actions_need_interact_and_remove_asks_first(self, kind):
        assert set(kind.actions) == {"pause", "resume", "pause_all", "resume_all", "remove"}
        assert all(action.level == "interact" for action in kind.actions.values())
        assert kind.actions["pause"].params == ("id",)
        assert kind.actions["remove"].confirm.endswith("Its files stay on disk.")
