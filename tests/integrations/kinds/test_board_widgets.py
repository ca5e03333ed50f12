"""The kinds' widgets on a board, against the real daemons: what viewers see, who may act,
and what a stopped daemon looks like (``-m services``)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import pytest
from django.urls import reverse

from boards.models import Item
from integrations.kinds import get_kind
from integrations.models import Integration, IntegrationAccess
from sessions_admin.models import AuditEntry
from tests.boards.factories import add_section, grant, make_board
from tests.conftest import client_for
from tests.services.daemons import Daemon, TorrentClient, make_torrent

from .conftest import PASSWORD, TOKEN, USERNAME

pytestmark = [pytest.mark.services, pytest.mark.django_db]

SECRETS = {
    "transmission": {"username": USERNAME, "password": PASSWORD},
    "qbittorrent": {"username": USERNAME, "password": PASSWORD},
    "deluge": {"password": PASSWORD},
    "aria2": {"token": TOKEN},
    "glances": {},
}


@dataclass
class Placed:
    slug: str
    daemon: Daemon
    integration: Integration
    board: object
    item: Item

    def data_url(self) -> str:
        return reverse("boards:item_data", args=[self.board.name, self.item.pk])

    def action_url(self, action: str) -> str:
        return reverse("boards:item_action", args=[self.board.name, self.item.pk, action])

    def wait_out_the_cache(self) -> None:
        """Let the remembered answer grow stale, as it does between two polls."""
        time.sleep(get_kind(self.slug).queries[self.widget_query].ttl + 0.5)

    @property
    def widget_query(self) -> str:
        kind = get_kind(self.slug)
        return next(iter(kind.widgets.values()))


def place(people, slug: str, daemon: Daemon, widget: str, secrets=None, **options) -> Placed:
    """A board of the owner's with one widget of `slug`'s integration (with `options` beside
    the integration). The member may view the board and `interact` with the integration; the
    outsider may view the board and only `use` the integration."""
    integration = Integration.objects.create(
        name=f"{get_kind(slug).name} box", kind=slug, url=daemon.url, owner=people.owner
    )
    integration.set_secrets(SECRETS[slug] if secrets is None else secrets)
    IntegrationAccess.objects.create(integration=integration, user=people.member, level="interact")
    IntegrationAccess.objects.create(integration=integration, user=people.outsider, level="use")
    board = make_board(f"{slug}-board", people.owner)
    grant(board, "view", user=people.member)
    grant(board, "view", user=people.outsider)
    section = add_section(board)
    item = Item.objects.create(
        board=board,
        section=section,
        kind=widget,
        options={"title": "", "integration": integration.pk, **options},
        x=0,
        y=0,
        w=4,
        h=3,
        nx=0,
        ny=0,
        nw=4,
        nh=3,
    )
    return Placed(slug, daemon, integration, board, item)


@pytest.fixture(params=["transmission", "qbittorrent", "deluge", "aria2"])
def downloads(request, people) -> Placed:
    return place(people, request.param, request.getfixturevalue(request.param), "downloads")


@pytest.fixture
def system(people, glances) -> Placed:
    return place(people, "glances", glances, "system")


def fresh_torrent(daemon: TorrentClient, name: str):
    torrent = make_torrent(daemon.files, name, {"a.bin": os.urandom(20_000)})
    daemon.add_torrent(torrent)
    assert daemon.wait_for(lambda d: d.seeding(daemon.download_id(torrent)), timeout=30)
    return torrent


def test_the_downloads_widget_shows_the_daemons_torrents(downloads, people):
    page = client_for(people.member).get(downloads.board.get_absolute_url())
    assert page.status_code == 200
    assert downloads.data_url().encode() in page.content  # a placeholder that loads the data
    response = client_for(people.member).get(downloads.data_url())
    assert response.status_code == 200
    html = response.content.decode()
    for torrent in downloads.daemon.samples:
        assert torrent.name in html
    assert "seeding" in html
    assert "cannot be reached" not in html
    # The member may interact: the buttons are there, with the confirmation for remove.
    assert downloads.action_url("pause") in html
    assert get_kind(downloads.slug).actions["remove"].confirm in html


def test_a_use_only_viewer_sees_the_torrents_without_buttons(downloads, people):
    html = client_for(people.outsider).get(downloads.data_url()).content.decode()
    assert downloads.daemon.samples[0].name in html
    assert downloads.action_url("pause") not in html
    assert downloads.action_url("remove") not in html


def test_an_interact_user_pauses_and_resumes_a_torrent_from_the_board(downloads, people):
    daemon = downloads.daemon
    torrent = fresh_torrent(daemon, f"Board pause {downloads.slug}")
    download = daemon.download_id(torrent)
    client = client_for(people.member)
    response = client.post(
        downloads.action_url("pause"), {"id": daemon.download_id(torrent)}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert daemon.wait_for(lambda d: d.paused(daemon.download_id(torrent)))
    entry = AuditEntry.objects.get(action="integration.action")
    assert entry.actor == people.member
    assert entry.details["action"] == "pause" and entry.details["target"] == download
    response = client.post(
        downloads.action_url("resume"), {"id": daemon.download_id(torrent)}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert daemon.wait_for(lambda d: not d.paused(daemon.download_id(torrent)))


def test_a_use_only_viewers_actions_are_refused_and_change_nothing(downloads, people):
    daemon = downloads.daemon
    torrent = fresh_torrent(daemon, f"Board refused {downloads.slug}")
    client = client_for(people.outsider)
    before = daemon.states()
    for action, params in (
        ("pause", {"id": daemon.download_id(torrent)}),
        ("pause_all", {}),
        ("remove", {"id": daemon.download_id(torrent)}),
    ):
        response = client.post(downloads.action_url(action), params, HTTP_HX_REQUEST="true")
        assert response.status_code == 403
    time.sleep(1.5)  # long enough for a pause or removal to show, had one been sent
    assert daemon.states() == before
    assert not AuditEntry.objects.filter(action="integration.action").exists()


def test_a_stopped_daemon_shows_in_the_widget_and_the_page_still_answers(downloads, people):
    client = client_for(people.member)
    assert downloads.daemon.samples[0].name in client.get(downloads.data_url()).content.decode()
    downloads.daemon.stop()
    try:
        downloads.wait_out_the_cache()
        html = client.get(downloads.data_url()).content.decode()
        assert "cannot be reached" in html
        assert get_kind(downloads.slug).name in html
        assert downloads.daemon.samples[0].name in html  # the last answer, marked as old
        page = client.get(downloads.board.get_absolute_url())
        assert page.status_code == 200
    finally:
        downloads.daemon.start()


def test_the_system_widget_shows_this_machines_figures(system, people):
    html = client_for(people.member).get(system.data_url()).content.decode()
    assert "CPU" in html and "Memory" in html
    assert f"({os.cpu_count()} cores)" in html or f"({os.cpu_count()} core)" in html
    assert 'title="/"' in html  # the root file system's bar
    assert "cannot be reached" not in html


def test_a_stopped_glances_shows_in_the_widget_and_the_page_still_answers(system, people):
    client = client_for(people.member)
    assert "Memory" in client.get(system.data_url()).content.decode()
    system.daemon.stop()
    try:
        system.wait_out_the_cache()
        html = client.get(system.data_url()).content.decode()
        assert "Glances cannot be reached" in html
        assert client.get(system.board.get_absolute_url()).status_code == 200
    finally:
        system.daemon.start()
