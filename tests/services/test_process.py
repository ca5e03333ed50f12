"""The start, wait and stop shared by the nginx and Caddy helpers (tests/services/process.py),
with small Python commands in their place."""

from __future__ import annotations

import socket
import sys
import urllib.request

import pytest

from .process import LoopbackServer

pytestmark = pytest.mark.services


class Script(LoopbackServer):
    """`python -c code`, with the port in the configuration file it writes."""

    def __init__(self, code: str, start_timeout: float = 10.0) -> None:
        super().__init__()
        self.code = code
        self.start_timeout = start_timeout
        self.configs: list[int] = []

    def write_config(self) -> None:
        assert self.prefix is not None
        (self.prefix / "port").write_text(str(self.port))
        self.configs.append(self.port)

    def command(self) -> list[str]:
        return [sys.executable, "-c", self.code]


SERVE = (
    "import http.server, pathlib\n"
    "port = int(pathlib.Path('port').read_text())\n"
    "http.server.ThreadingHTTPServer(('127.0.0.1', port), http.server.SimpleHTTPRequestHandler)"
    ".serve_forever()\n"
)


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] == "Z"  # ended, not yet reaped by its parent
    except FileNotFoundError:
        return True


def test_a_server_starts_answers_and_stops_with_its_folder():
    with Script(SERVE) as server:
        assert server.prefix is not None and server.prefix.is_dir()
        prefix, port = server.prefix, server.port
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/port") as answer:
            assert answer.read().decode() == str(port)  # run from its folder
    assert server.port == 0 and server.prefix is None and not prefix.exists()
    server.stop()  # twice is fine
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()


def test_a_server_that_exits_at_start_is_reported_with_its_output():
    server = Script("import sys; print('bad configuration', file=sys.stderr); sys.exit(1)")
    with pytest.raises(RuntimeError, match="script did not start:\nbad configuration"):
        server.start()
    assert server.configs and len(server.configs) == 1  # no port clash: no second attempt
    assert server.prefix is None


def test_a_port_clash_is_tried_again_on_another_port():
    code = (
        "import pathlib, sys\n"
        "tries = pathlib.Path('tries')\n"
        "if not tries.exists():\n"
        "    tries.write_text('1')\n"
        "    sys.exit('bind() failed (98: Address already in use)')\n" + SERVE
    )
    with Script(code) as server:
        assert len(server.configs) == 2 and server.port == server.configs[-1]


def test_a_server_that_never_listens_is_ended_not_left_behind(tmp_path):
    pids = tmp_path / "pids"
    code = (
        "import os, sys, time\n"
        f"with open({str(pids)!r}, 'a') as f: f.write(f'{{os.getpid()}}\\n')\n"
        "print('Address already in use', file=sys.stderr, flush=True)\n"
        "time.sleep(60)\n"
    )
    server = Script(code, start_timeout=0.5)
    with pytest.raises(RuntimeError, match="did not start"):
        server.start()
    started = [int(pid) for pid in pids.read_text().split()]
    assert len(started) == 3  # one a port, each ended before the next
    assert all(gone(pid) for pid in started)
