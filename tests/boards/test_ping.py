"""App status pings against a real HTTP server on loopback."""

import socket
import time

import pytest

from boards import ping
from tests.boards.factories import add_item, add_section, make_board
from tests.boards.local_http import Handler, http_server


@pytest.fixture
def server():
    with http_server() as url:
        yield url


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_answers_are_up_errors_and_silence_are_down(server):
    assert ping.ping(server + "/ok") == ping.UP
    assert ping.ping(server + "/login") == ping.UP  # the app answers; it wants a login
    assert ping.ping(server + "/redirect") == ping.UP  # not followed
    assert ping.ping(server + "/broken") == ping.DOWN
    assert ping.ping(f"http://127.0.0.1:{closed_port()}/") == ping.DOWN
    assert ping.ping(server + "/slow", timeout=0.3) == ping.DOWN
    assert "/elsewhere" not in Handler.hits


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "file:///etc/passwd", "javascript:1", ""])
def test_only_http_addresses_are_pinged(url):
    assert ping.ping(url) == ping.UNKNOWN
    assert ping.status(url) == ping.UNKNOWN


def test_status_is_remembered(server):
    assert ping.status(server + "/ok") == ping.UP
    assert ping.status(server + "/ok") == ping.UP
    assert Handler.hits == ["/ok"]
    assert ping.cached_statuses([server + "/ok", server + "/broken"]) == {server + "/ok": "up"}


@pytest.mark.django_db
def test_board_page_shows_the_remembered_status_and_polls_for_it(server, people, login):
    board = make_board("lab", people.owner)
    section = add_section(board)
    app = add_item(section, "app", ping=True, ping_url=server + "/ok")
    client = login(people.owner)
    body = client.get("/boards/lab/").content.decode()
    assert "status-unknown" in body and 'hx-trigger="load, every 60s"' in body
    assert Handler.hits == []  # the page itself never waits for a ping
    live = client.get(f"/boards/lab/items/{app.pk}/data/")
    assert live.status_code == 200 and "status-up" in live.content.decode()
    assert "<html" not in live.content.decode()
    body = client.get("/boards/lab/").content.decode()
    assert "status-up" in body and 'hx-trigger="every 60s"' in body
    assert Handler.hits == ["/ok"]


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://0.0.0.0/",
            "http://224.0.0.1/", "http://[::ffff:169.254.169.254]/", "http://[::ffff:0.0.0.0]/",
            "http://2852039166/", "http://0xa9fea9fe/"],
)  # fmt: skip
def test_link_local_and_multicast_addresses_are_never_pinged(url, monkeypatch):
    def no_connection(*args, **kwargs):
        raise AssertionError("a refused address was contacted")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    assert ping.ping(url) == ping.UNKNOWN


def test_a_hanging_name_server_counts_as_down(monkeypatch):
    import threading

    release = threading.Event()

    def hang(*args, **kwargs):
        release.wait(5)
        raise OSError("gave up")

    monkeypatch.setattr(socket, "getaddrinfo", hang)
    try:
        assert ping.ping("http://app.home.arpa/", timeout=0.2) == ping.DOWN
    finally:
        release.set()


def test_a_slow_header_target_is_held_to_the_ping_deadline():
    from tests.outbound_servers import trickling_server

    with trickling_server(interval=0.1) as url:
        started = time.monotonic()
        assert ping.ping(url + "/", timeout=0.5) == ping.DOWN
        # Every byte comes in time for a per-read timeout; the total deadline ends it.
        assert time.monotonic() - started < 5
