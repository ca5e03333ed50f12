"""The kinds' widgets in Debian's Chromium, fed by the real daemons: desktop and phone, light
and dark, saved under test-artifacts/integrations/ for a person to look at
(``-m "services and browser"``), and a click on pause and resume."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.boards.browser.conftest import (  # noqa: F401  (the boards' browser fixtures)
    CHROMIUM,
    _everyone_group,
    base_url,
    browser_type_launch_args,
    live_server,
    log_in_browser,
)
from tests.services.daemons import TorrentClient, make_torrent

from .test_board_widgets import place

pytestmark = [
    pytest.mark.services,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not os.environ.get("CI"),
        reason="Chromium is not installed (apt-get install chromium)",
    ),
]

SCREENS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
WIDGETS = {"transmission": "downloads", "qbittorrent": "downloads", "deluge": "downloads"}
WIDGETS["glances"] = "system"


@pytest.fixture
def artifacts() -> Path:
    folder = Path(__file__).resolve().parents[3] / "test-artifacts" / "integrations"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def half_done(daemon: TorrentClient) -> None:
    """A torrent with part of its files on disk: it shows as downloading, part way."""
    name = "Half a film"
    if any(t.get("name") == name for t in daemon.torrents().values()):
        return  # added by an earlier test of this session
    torrent = make_torrent(
        daemon.files, name, {"part-1.mkv": os.urandom(48_000), "part-2.mkv": os.urandom(80_000)}
    )
    (daemon.files / name / "part-2.mkv").unlink()
    daemon.add_torrent(torrent)
    downloading = {"download", "downloading", "stalledDL", "Downloading"}
    assert daemon.wait_for(lambda d: d.states().get(torrent.info_hash) in downloading, 30)


@pytest.mark.parametrize("slug", list(WIDGETS))
def test_each_widget_on_desktop_and_phone_in_light_and_dark(
    slug,
    request,
    page,
    live_server,  # noqa: F811
    people,
    log_in_browser,  # noqa: F811
    artifacts,
):
    daemon = request.getfixturevalue(slug)
    if isinstance(daemon, TorrentClient):
        half_done(daemon)
    placed = place(people, slug, daemon, WIDGETS[slug])
    widget = page.locator(f"#item-{placed.item.pk}")
    for scheme in ("light", "dark"):
        people.member.color_scheme = scheme
        people.member.save(update_fields=["color_scheme"])
        log_in_browser(page.context, people.member)
        for screen, size in SCREENS.items():
            page.set_viewport_size(size)
            page.goto(live_server.url + placed.board.get_absolute_url())
            expect(widget.locator(".iw-ok")).to_be_visible(timeout=15_000)
            if WIDGETS[slug] == "downloads":
                expect(widget.locator(".iw-torrent")).to_have_count(
                    len(daemon.states()), timeout=10_000
                )
                expect(widget.get_by_text("Half a film")).to_be_visible()
            else:
                expect(widget.get_by_text("Memory")).to_be_visible()
            widget.screenshot(path=artifacts / f"{slug}-{screen}-{scheme}.png")


def test_an_interact_user_pauses_and_resumes_by_clicking(
    page,
    live_server,  # noqa: F811
    people,
    log_in_browser,  # noqa: F811
    transmission,
    artifacts,
):
    placed = place(people, "transmission", transmission, "downloads")
    torrent = transmission.samples[0]
    log_in_browser(page.context, people.member)
    page.set_viewport_size(SCREENS["desktop"])
    page.goto(live_server.url + placed.board.get_absolute_url())
    widget = page.locator(f"#item-{placed.item.pk}")
    row = widget.locator(".iw-torrent", has_text=torrent.name)
    row.get_by_role("button", name=f"Pause: {torrent.name}").click()
    # The daemon applies a stop asynchronously: the widget shows it at once or at its next
    # poll (every 5 s).
    expect(row.get_by_text("paused", exact=True)).to_be_visible(timeout=15_000)
    assert transmission.wait_for(lambda d: d.paused(torrent.info_hash))
    widget.screenshot(path=artifacts / "transmission-after-pause.png")
    row.get_by_role("button", name=f"Resume: {torrent.name}").click()
    expect(row.get_by_text("seeding", exact=True)).to_be_visible(timeout=15_000)
    assert transmission.wait_for(lambda d: not d.paused(torrent.info_hash))
