"""The outbound door against real HTTP servers on loopback."""

import json
import socket
import time

import pytest

from homeportal import outbound
from tests.outbound_servers import QuietHandler, serve, trickling_server


class Handler(QuietHandler):
    seen: list[tuple[str, str, dict]] = []

    def do_GET(self):
        Handler.seen.append((self.command, self.path, dict(self.headers)))
        route = self.path.split("?", 1)[0]
        if route == "/json":
            self.answer(200, b'{"ok": true}', {"Content-Type": "application/json"})
        elif route == "/cookies":
            self.send_response(200)
            self.send_header("Set-Cookie", "SID=abc; Path=/")
            self.send_header("Set-Cookie", "other=1")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif route == "/big":
            self.answer(200, b"x" * 5000)
        elif route == "/big-undeclared":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"x" * 5000)
            self.close_connection = True
        elif self.path.startswith("/redirect?to="):
            self.answer(302, headers={"Location": self.path.split("=", 1)[1]})
        else:
            self.answer(200, b"hello")

    do_HEAD = do_GET

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        Handler.seen.append((self.command, self.path, dict(self.headers)))
        self.answer(200, self.rfile.read(length), {"Content-Type": "application/json"})


@pytest.fixture
def server():
    Handler.seen = []
    with serve(Handler) as url:
        yield url


def test_get_answers_status_headers_body_and_json(server):
    response = outbound.request("GET", server + "/json", params={"a": "1 2"})
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"ok": True}
    assert response.url == server + "/json?a=1+2"
    assert Handler.seen[0][1] == "/json?a=1+2"


def test_post_sends_json_and_basic_auth(server):
    response = outbound.request("POST", server + "/rpc", json={"x": 1}, auth=("ann", "pw"))
    assert json.loads(response.text) == {"x": 1}
    headers = Handler.seen[0][2]
    assert headers["Authorization"] == "Basic YW5uOnB3"
    assert headers["Content-Type"] == "application/json"


def test_every_set_cookie_is_kept(server):
    response = outbound.request("GET", server + "/cookies")
    assert response.headers.getlist("Set-Cookie") == ["SID=abc; Path=/", "other=1"]
    assert response.cookies == {"SID": "abc", "other": "1"}


def test_bad_json_is_a_value_error(server):
    with pytest.raises(ValueError):
        outbound.request("GET", server + "/plain").json()


@pytest.mark.parametrize(
    "url",
    [
        "http://[::ffff:169.254.169.254]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[::ffff:0.0.0.0]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/",  # 169.254.169.254 as one decimal number
        "http://0xa9fea9fe/",  # ... in hexadecimal
        "http://0xA9.0xFE.0xA9.0xFE/",
        "http://0251.0376.0251.0376/",  # ... in octal
        "http://169.254.43518/",
        "http://0.0.0.0/",
        "http://0/",
        "http://[::]/",
        "http://[fe80::1]/",
        "http://[fd00:ec2::254]/",
        "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the metadata address
        "http://[2002:a9fe:a9fe::1]/",  # 6to4 of it
        "http://224.0.0.1/",
        "http://[ff02::1]/",
        "http://255.255.255.255/",
        "http://100.100.100.200/",
    ],
)
def test_refused_addresses_are_never_contacted(url, monkeypatch):
    def no_connection(*args, **kwargs):
        raise AssertionError("a refused address was contacted")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    with pytest.raises(outbound.Refused) as refused:
        outbound.request("GET", url)
    assert refused.value.reason == "refused"


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "::1", "10.1.2.3", "192.168.1.10", "172.16.0.5", "fd12::1",
                "100.64.1.1", "93.184.216.34"],
)  # fmt: skip
def test_loopback_private_and_public_addresses_are_allowed(address):
    assert outbound.allowed(address)


def test_the_loopback_spellings_still_reach_loopback(server):
    port = server.rsplit(":", 1)[1]
    assert outbound.request("GET", f"http://2130706433:{port}/").body == b"hello"  # 127.0.0.1
    assert outbound.request("GET", f"http://0x7f.1:{port}/").body == b"hello"


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "file:///etc/passwd", "javascript:1", "",
                                 "http:///x", "http://user:pw@127.0.0.1/", "http://127.0.0.1:99999/",
                                 "http://999.1.1.1.1/"])  # fmt: skip
def test_bad_addresses_are_bad_urls(url):
    with pytest.raises(outbound.BadURL):
        outbound.request("GET", url)


def test_redirects_are_not_followed_by_default(server):
    response = outbound.request("GET", server + "/redirect?to=/json")
    assert response.status == 302 and response.headers["Location"] == "/json"
    assert [path for _, path, _ in Handler.seen] == ["/redirect?to=/json"]


def test_followed_redirects_are_counted(server):
    response = outbound.request("GET", server + "/redirect?to=/json", follow_redirects=1)
    assert response.status == 200 and response.json() == {"ok": True}
    assert response.url == server + "/json"
    chained = server + "/redirect?to=/redirect?to=/json"
    assert outbound.request("GET", chained, follow_redirects=1).status == 302


def test_a_redirect_to_a_refused_address_is_refused(server, monkeypatch):
    target = "http://[::ffff:169.254.169.254]/latest/meta-data/"
    real = socket.create_connection
    contacted = []

    def connect(address, *args, **kwargs):
        contacted.append(address[0])
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", connect)
    with pytest.raises(outbound.Refused):
        outbound.request("GET", server + "/redirect?to=" + target, follow_redirects=3)
    assert contacted == ["127.0.0.1"]


def test_credentials_do_not_follow_a_redirect_to_another_origin(server):
    with serve(Handler) as other:
        outbound.request(
            "GET", server + "/redirect?to=" + other + "/json", auth=("ann", "pw"),
            headers={"Cookie": "SID=1"}, follow_redirects=1,
        )  # fmt: skip
    first, second = Handler.seen
    assert "Authorization" in first[2] and "Authorization" not in second[2]
    assert "Cookie" not in second[2]


def _resolving(monkeypatch, answers: dict[str, list[str]]):
    """The system resolver answering for test names (the one seam: no DNS server runs here)."""
    real = socket.getaddrinfo
    calls = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            calls.append(host)
            address = answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, port or 80))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


def test_a_name_resolving_to_a_refused_address_is_refused(monkeypatch):
    _resolving(monkeypatch, {"metadata.lab.test": ["169.254.169.254"],
                             "mapped.lab.test": ["::ffff:169.254.169.254"]})  # fmt: skip
    for url in ("http://metadata.lab.test/", "http://mapped.lab.test/"):
        with pytest.raises(outbound.Refused):
            outbound.request("GET", url)


def test_the_name_is_resolved_once_and_the_connection_pinned(server, monkeypatch):
    port = server.rsplit(":", 1)[1]
    # A rebinding name: the first answer is allowed, every later one is the metadata service.
    calls = _resolving(monkeypatch, {"nas.lab.test": ["127.0.0.1", "169.254.169.254"]})
    response = outbound.request("GET", f"http://nas.lab.test:{port}/json")
    assert response.json() == {"ok": True}
    assert calls == ["nas.lab.test"]
    assert Handler.seen[0][2]["Host"] == f"nas.lab.test:{port}"


def test_a_trickling_server_is_held_to_the_total_deadline():
    with trickling_server(interval=0.1) as url:
        started = time.monotonic()
        with pytest.raises(outbound.Timeout) as timeout:
            outbound.request("GET", url + "/", timeout=1.0)
        elapsed = time.monotonic() - started
    assert timeout.value.reason == "timeout"
    # Each byte arrives well within any per-read timeout; only a total deadline stops it.
    # The bound is generous (a busy machine), the trickle itself would never end.
    assert elapsed < 5


def test_a_closed_port_is_unreachable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(outbound.Unreachable) as unreachable:
        outbound.request("GET", f"http://127.0.0.1:{port}/")
    assert unreachable.value.reason == "unreachable"


@pytest.mark.parametrize("path", ["/big", "/big-undeclared"])
def test_answers_over_the_size_cap_are_refused(server, path):
    assert len(outbound.request("GET", server + path, max_bytes=5000).body) == 5000
    with pytest.raises(outbound.TooLarge) as too_large:
        outbound.request("GET", server + path, max_bytes=4999)
    assert too_large.value.reason == "too-large"


def test_tls_failures_are_tls_errors(server):
    port = server.rsplit(":", 1)[1]  # a plain-HTTP server spoken to in TLS
    with pytest.raises(outbound.TLSError) as tls:
        outbound.request("GET", f"https://127.0.0.1:{port}/")
    assert tls.value.reason == "tls"


def test_a_head_answer_declaring_a_large_body_is_not_too_large(server):
    assert outbound.request("HEAD", server + "/big", max_bytes=10).status == 200
