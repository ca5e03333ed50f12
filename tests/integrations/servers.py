"""homeportal server processes (gunicorn) sharing the test run's database and cache."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.services.process import START_TIMEOUT

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_servers(count: int = 2, threads: int = 30):
    """`with app_servers(2) as urls:` base addresses of `count` gunicorn processes."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.integrations.server_settings",
        "TEST_DATABASE_NAME": str(connection.settings_dict["NAME"]),
        "TEST_CACHE_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", ""),
        "LOG_LEVEL": "warning",
    }
    processes, urls = [], []
    try:
        for _ in range(count):
            port = free_port()
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "homeportal.wsgi:application",
                 "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", str(threads),
                 "--log-level", "warning"],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
            ))  # fmt: skip
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes, strict=True):
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the server at {url} stopped")
                try:
                    with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server at {url} did not start")
                time.sleep(0.2)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
