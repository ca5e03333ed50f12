"""Browser tests of boards: Debian's Chromium driven by Playwright, against live_server.

Playwright's sync API runs an event loop in the test thread, which makes Django refuse
synchronous ORM calls there; the calls these tests make are synchronous and safe, so the check
is turned off for the run that includes them.
"""

import os
import shutil
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = {
    "executable_path": CHROMIUM,
    "args": [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--disable-dev-shm-usage",
    ],
}


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, live_server):
    # Asking for the live server here starts it before Chromium, so Chromium is closed (and
    # its keep-alive connections with it) before the server stops.
    return {**browser_type_launch_args, **LAUNCH_ARGS}


@pytest.fixture(scope="session")
def base_url():
    """pytest-base-url's fixture trips over pytest 9's fixture finalisers; tests pass full URLs
    built from `live_server.url`, so no base URL is needed."""
    return None


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """The live server, started once the test database exists, handling one request at a time.

    With SQLite's in-memory test database the server then shares the tests' connection
    (instead of each request thread opening, and leaking, its own), and one connection must
    not serve two threads at once: Chromium's parallel requests (style sheets, scripts, htmx)
    would otherwise interleave on it and, now and then, lose a session.
    """
    httpd = live_server.thread.httpd
    application = httpd.get_app()
    lock = threading.Lock()

    def one_at_a_time(environ, start_response):
        with lock:
            return application(environ, start_response)

    httpd.set_app(one_at_a_time)
    return live_server


@pytest.fixture
def board_artifacts() -> Path:
    """Screenshots a person can look at: test-artifacts/boards/ at the project's root."""
    folder = Path(__file__).resolve().parents[3] / "test-artifacts" / "boards"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def log_in_browser(live_server):
    """`log_in_browser(context, user)`: the browser context gets a session for `user`."""

    def log_in(context, user) -> None:
        client = Client()
        client.force_login(user, backend="accounts.backends.CredentialsBackend")
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )

    return log_in


@pytest.fixture(autouse=True)
def _everyone_group(request):
    """Transactional tests empty every table afterwards, the `everyone` row (made by a data
    migration) included: put it back for the next test."""
    if "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    from groups.models import Group

    Group.objects.get_or_create(is_everyone=True, defaults={"name": "everyone", "position": 0})
