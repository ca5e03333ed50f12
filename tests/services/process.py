"""One server process in the foreground, from a temp folder, on 127.0.0.1 and a free port:
the start, wait and stop that the nginx and Caddy helpers (tests/services/nginx.py,
tests/services/gateway.py) share.

``start()`` makes the folder, writes the configuration for a free port (``write_config``),
runs ``command()`` with its output appended to ``error.log`` in the folder, and waits until
the port accepts connections; when the port was taken meanwhile it tries another (three times
in all). ``stop()`` ends the process and removes the folder; it is safe to call twice and runs
at exit if the test did not.
"""

from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

ATTEMPTS = 3
# How long a server the tests start may take to answer, for every helper here. Generous on
# purpose: CI runs two passes side by side on two cores while Home Assistant installs in the
# background, and a start stalled that long was seen (the OpenID provider, alive but silent for
# more than 20 s and deaf to SIGTERM for 5). Waiting costs nothing when the server answers;
# one that exits at start is reported at once.
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LoopbackServer:
    """Subclasses write the configuration and name the command."""

    start_timeout = START_TIMEOUT

    def __init__(self) -> None:
        self.port = 0
        self.prefix: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return type(self).__name__.lower()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        if self._proc is not None:
            return
        self.prefix = Path(tempfile.mkdtemp(prefix=f"hp-{self.name}-"))
        atexit.register(self.stop)
        for _attempt in range(ATTEMPTS):
            self.port = free_port()
            self.write_config()
            if self._spawn():
                return
            if "address already in use" not in self.log().lower():
                break
        log = self.log()
        self.stop()
        raise RuntimeError(f"{self.name} did not start:\n{log}")

    def stop(self) -> None:
        """End the process and remove its folder (safe to call twice)."""
        atexit.unregister(self.stop)
        self._end()
        if self.prefix is not None:
            shutil.rmtree(self.prefix, ignore_errors=True)
            self.prefix = None
        self.port = 0

    def log(self) -> str:
        """The error log so far (the server's own and its output)."""
        path = self.prefix / "error.log" if self.prefix else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    # Subclasses:
    def write_config(self) -> None:
        """Write the configuration into `prefix` for the current `port`."""
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str] | None:
        """The process's environment (None: this one's)."""
        return None

    def _spawn(self) -> bool:
        """Run the command; whether its port accepts connections before the timeout."""
        assert self.prefix is not None
        with open(self.prefix / "error.log", "ab") as log:
            self._proc = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                env=self.environment(), cwd=self.prefix,
            )  # fmt: skip
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._proc = None
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                time.sleep(0.02)
            else:
                return True
        self._end()  # alive but not listening: not left behind by the next attempt
        return False

    def _end(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
