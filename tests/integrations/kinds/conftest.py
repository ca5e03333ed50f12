"""Real daemons for the kinds' tests: each starts once per test session, on loopback, with
three small local torrents already complete (see tests/services/daemons.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services.daemons import (
    Aria2,
    Deluge,
    Exporter,
    Glances,
    NZBGet,
    Prometheus,
    QBittorrent,
    TorrentClient,
    Transmission,
    sample_torrents,
)
from tests.services.homeassistant import HomeAssistant, ensure_virtualenv

USERNAME = "homeportal"
PASSWORD = "s3cret-daemon-password"
TOKEN = "s3cret-aria2-token"


def _started(daemon_class, **kwargs):
    reason = daemon_class.missing()
    if reason:
        pytest.skip(reason)
    daemon = daemon_class(**kwargs)
    daemon.start()
    return daemon


def _seeding(client: TorrentClient) -> TorrentClient:
    client.samples = sample_torrents(client.files)
    for torrent in client.samples:
        client.add_torrent(torrent)
    hashes = {client.download_id(torrent) for torrent in client.samples}
    if not client.wait_for(lambda c: all(c.seeding(h) for h in hashes), timeout=60):
        raise RuntimeError(f"{client.name}: the sample torrents did not start seeding")
    return client


@pytest.fixture(scope="session")
def transmission() -> Iterator[Transmission]:
    daemon = _started(Transmission, username=USERNAME, password=PASSWORD)
    try:
        yield _seeding(daemon)
    finally:
        daemon.close()


@pytest.fixture(scope="session")
def qbittorrent() -> Iterator[QBittorrent]:
    daemon = _started(QBittorrent, username=USERNAME, password=PASSWORD)
    try:
        yield _seeding(daemon)
    finally:
        daemon.close()


@pytest.fixture(scope="session")
def deluge() -> Iterator[Deluge]:
    daemon = _started(Deluge, password=PASSWORD)
    try:
        yield _seeding(daemon)
    finally:
        daemon.close()


@pytest.fixture(scope="session")
def aria2() -> Iterator[Aria2]:
    daemon = _started(Aria2, token=TOKEN)
    try:
        yield _seeding(daemon)
    finally:
        daemon.close()


@pytest.fixture(scope="session")
def nzbget() -> Iterator[NZBGet]:
    """NZBGet with two NZBs in its queue, one paused; they are never fetched."""
    daemon = _started(NZBGet, username=USERNAME, password=PASSWORD)
    try:
        daemon.samples = {  # type: ignore[attr-defined]
            "Holiday video": daemon.add_nzb("Holiday video", 3_000_000),
            "Linux ISO": daemon.add_nzb("Linux ISO", 1_000_000, paused=True),
        }
        yield daemon
    finally:
        daemon.close()


@pytest.fixture(scope="session")
def glances() -> Iterator[Glances]:
    daemon = _started(Glances)
    try:
        yield daemon
    finally:
        daemon.close()


@pytest.fixture(scope="session")
def glances_with_password() -> Iterator[Glances]:
    daemon = _started(Glances, username=USERNAME, password=PASSWORD)
    try:
        yield daemon
    finally:
        daemon.close()


@pytest.fixture(scope="session")
def exporter() -> Iterator[Exporter]:
    """The small exporter Prometheus scrapes: `lab_temperature_celsius` and friends."""
    served = Exporter()
    served.values.update({"lab_temperature_celsius": 21.5, "lab_disk_used_ratio": 0.42})
    try:
        yield served
    finally:
        served.close()


@pytest.fixture(scope="session")
def prometheus(exporter) -> Iterator[Prometheus]:
    daemon = _started(Prometheus, exporter=exporter)
    try:
        if not daemon.wait_for_sample("lab_temperature_celsius"):
            raise RuntimeError("prometheus never scraped the exporter")
        yield daemon
    finally:
        daemon.close()


@pytest.fixture(scope="session")
def prometheus_with_password() -> Iterator[Prometheus]:
    daemon = _started(Prometheus, username=USERNAME)
    try:
        yield daemon
    finally:
        daemon.close()


@pytest.fixture(scope="session")
def homeassistant() -> Iterator[HomeAssistant]:
    """One Home Assistant for the session (its start takes several seconds)."""
    hass = ensure_virtualenv()
    if not hass:
        pytest.skip("Home Assistant needs Python 3.13 (on PATH or through pyenv)")
    daemon = HomeAssistant(hass)
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.close()


_integration_ids = itertools.count(1000)


@pytest.fixture
def integration_id() -> int:
    """A fresh integration id: no session state carried over from another test."""
    return next(_integration_ids)


def pytest_collection_modifyitems(config, items):
    """Every test here talks to a real daemon: `-m "not daemons"` leaves them out (the second,
    PostgreSQL pass of .ci/run, where the daemons would only repeat what the first showed)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.daemons)
