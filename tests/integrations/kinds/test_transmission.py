"""Transmission kind against a real transmission-daemon 3.00 (``-m services``)."""

from __future__ import annotations

import pytest

from integrations.kinds import ConnectionProblem, Context, get_kind
from integrations.kinds._http import recall, remember
from tests.services.daemons import Transmission

from .conftest import PASSWORD, USERNAME, _started
from .downloads_contract import DownloadsKindContract

pytestmark = pytest.mark.services


class TestTransmission(DownloadsKindContract):
    @pytest.fixture
    def daemon(self, transmission):
        return transmission

    @pytest.fixture
    def kind(self):
        return get_kind("transmission")

    @pytest.fixture
    def good_secrets(self):
        return {"username": USERNAME, "password": PASSWORD}

    def test_without_secrets_a_daemon_that_wants_a_login_says_authentication(
        self, daemon, kind, integration_id
    ):
        with pytest.raises(ConnectionProblem) as problem:
            kind.test_connection(self.context(daemon, {}, integration_id))
        assert problem.value.reason == ConnectionProblem.AUTHENTICATION

    def test_the_session_id_is_kept_per_integration_and_renewed_when_stale(
        self, daemon, kind, good_secrets, integration_id
    ):
        ctx = self.context(daemon, good_secrets, integration_id)
        kind.test_connection(ctx)
        kept = recall(ctx, "transmission", "session-id")
        assert kept
        other = self.context(daemon, good_secrets, integration_id + 1)
        assert recall(other, "transmission", "session-id") == ""
        remember(ctx, "transmission", "session-id", "stale-session-id")
        assert self.fetch(kind, ctx)["counts"]["total"] >= 3
        assert recall(ctx, "transmission", "session-id") == kept


@pytest.fixture(scope="module")
def open_transmission():
    daemon = _started(Transmission)
    try:
        yield daemon
    finally:
        daemon.close()


def test_a_daemon_without_login_works_with_no_secrets(open_transmission):
    kind = get_kind("transmission")
    assert () in kind.secret_sets
    ctx = Context(url=open_transmission.url, secrets={}, options={}, integration_id=1)
    assert kind.test_connection(ctx).startswith("Transmission 3.")
    data = kind.queries["downloads"].fetch(ctx, {})
    assert data["items"] == [] and data["counts"]["total"] == 0
