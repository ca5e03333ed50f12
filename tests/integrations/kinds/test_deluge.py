"""Deluge kind against a real deluged + deluge-web 2.0 (``-m services``)."""

from __future__ import annotations

import time

import pytest

from integrations.kinds import ConnectionProblem, get_kind
from integrations.kinds._http import recall, remember

from .conftest import PASSWORD
from .downloads_contract import DownloadsKindContract

pytestmark = pytest.mark.services


class TestDeluge(DownloadsKindContract):
    # deluge-web (Twisted) waits for more after a TLS ClientHello instead of answering or
    # closing: the call runs out of time, which is "unreachable".
    reason_for_https_to_http = ConnectionProblem.UNREACHABLE

    @pytest.fixture
    def daemon(self, deluge):
        return deluge

    @pytest.fixture
    def kind(self):
        return get_kind("deluge")

    @pytest.fixture
    def good_secrets(self):
        return {"password": PASSWORD}

    def test_the_connection_test_names_the_daemons_version(
        self, daemon, kind, good_secrets, integration_id
    ):
        answer = kind.test_connection(self.context(daemon, good_secrets, integration_id))
        assert answer == "Deluge 2.0.3"

    def test_an_expired_session_logs_in_again(self, daemon, kind, good_secrets, integration_id):
        ctx = self.context(daemon, good_secrets, integration_id)
        self.fetch(kind, ctx)
        assert recall(ctx, "deluge", "session")
        remember(ctx, "deluge", "session", "0" * 32)
        assert self.fetch(kind, ctx)["counts"]["total"] >= 3
        assert recall(ctx, "deluge", "session") != "0" * 32

    def test_deluge_web_without_its_daemon_is_unreachable(
        self, daemon, kind, good_secrets, integration_id
    ):
        ctx = self.context(daemon, good_secrets, integration_id)
        deluged = daemon._procs[0]
        deluged.terminate()
        deluged.wait(timeout=10)
        try:
            with pytest.raises(ConnectionProblem) as problem:
                self.fetch(kind, ctx)
            assert problem.value.reason == ConnectionProblem.UNREACHABLE
            assert "deluged" in problem.value.message
        finally:
            daemon.stop()
            daemon.start()
        assert self.fetch(kind, ctx)["counts"]["total"] >= 3

    def test_a_pause_right_after_a_resume_is_not_lost(
        self, daemon, kind, good_secrets, integration_id
    ):
        # deluged decides from the state it cached at its last update, which still says
        # "paused" just after a resume: the kind makes it look again before pausing.
        torrent = self.fresh_torrent(daemon, "Pause twice")
        ctx = self.context(daemon, good_secrets, integration_id)
        self.act(kind, ctx, "pause", id=torrent.info_hash)
        assert daemon.wait_for(lambda d: d.paused(torrent.info_hash))
        self.act(kind, ctx, "resume", id=torrent.info_hash)
        self.act(kind, ctx, "pause", id=torrent.info_hash)
        time.sleep(2)  # the time a resume that won would take to show
        assert daemon.paused(torrent.info_hash)
