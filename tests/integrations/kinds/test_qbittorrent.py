"""qBittorrent kind against a real qbittorrent-nox 4.5 (``-m services``)."""

from __future__ import annotations

import pytest

from integrations.kinds import ConnectionProblem, get_kind
from integrations.kinds._http import recall, remember

from .conftest import PASSWORD, USERNAME
from .downloads_contract import DownloadsKindContract

pytestmark = pytest.mark.services


class TestQBittorrent(DownloadsKindContract):
    # qBittorrent waits several seconds for more after a TLS ClientHello before closing: a
    # call with a shorter deadline runs out of time first, which is "unreachable".
    reason_for_https_to_http = ConnectionProblem.UNREACHABLE

    @pytest.fixture
    def daemon(self, qbittorrent):
        return qbittorrent

    @pytest.fixture
    def kind(self):
        return get_kind("qbittorrent")

    @pytest.fixture
    def good_secrets(self):
        return {"username": USERNAME, "password": PASSWORD}

    def test_a_wrong_username_fails_as_authentication(self, daemon, kind, integration_id):
        ctx = self.context(daemon, {"username": "nobody", "password": PASSWORD}, integration_id)
        with pytest.raises(ConnectionProblem) as problem:
            kind.test_connection(ctx)
        assert problem.value.reason == ConnectionProblem.AUTHENTICATION

    def test_the_connection_test_names_the_version(
        self, daemon, kind, good_secrets, integration_id
    ):
        answer = kind.test_connection(self.context(daemon, good_secrets, integration_id))
        assert answer.startswith("qBittorrent 4.5.")
        assert "Web API 2." in answer

    def test_an_expired_session_logs_in_again(self, daemon, kind, good_secrets, integration_id):
        ctx = self.context(daemon, good_secrets, integration_id)
        self.fetch(kind, ctx)
        kept = recall(ctx, "qbittorrent", "sid")
        assert kept and kept != "-"
        remember(ctx, "qbittorrent", "sid", "expired-session-cookie")
        assert self.fetch(kind, ctx)["counts"]["total"] >= 3
        assert recall(ctx, "qbittorrent", "sid") not in ("expired-session-cookie", kept)

    def test_new_secrets_never_reuse_the_old_session(
        self, daemon, kind, good_secrets, integration_id
    ):
        ctx = self.context(daemon, good_secrets, integration_id)
        self.fetch(kind, ctx)  # a session opened with the right password is kept
        wrong = self.context(daemon, {**good_secrets, "password": "changed-wrong"}, integration_id)
        with pytest.raises(ConnectionProblem) as problem:
            self.fetch(kind, wrong)
        assert problem.value.reason == ConnectionProblem.AUTHENTICATION

    def test_failed_logins_do_not_ban_the_test_address(
        self, daemon, kind, good_secrets, integration_id
    ):
        # The daemon runs with the ban off: six failures in a row, then a good login works.
        # (A real qBittorrent bans after five by default; the kind then says so.)
        for attempt in range(6):
            ctx = self.context(daemon, {**good_secrets, "password": f"bad-{attempt}"}, 1)
            with pytest.raises(ConnectionProblem):
                kind.test_connection(ctx)
        assert kind.test_connection(self.context(daemon, good_secrets, integration_id))

    def test_on_version_5_the_kind_stops_and_starts_instead(
        self, daemon, kind, good_secrets, integration_id
    ):
        # Debian ships 4.5 only: make the kind believe the daemon is 5.0. The 4.5 daemon has no
        # /torrents/stop and answers 404, which shows the kind asked for it.
        torrent = self.fresh_torrent(daemon, "Version five")
        ctx = self.context(daemon, good_secrets, integration_id)
        self.fetch(kind, ctx)  # logs in
        remember(ctx, "qbittorrent", "version", "v5.0.0")
        with pytest.raises(ConnectionProblem) as problem:
            self.act(kind, ctx, "pause", id=torrent.info_hash)
        assert "/api/v2/torrents/stop" in problem.value.message
        assert not daemon.paused(torrent.info_hash)
