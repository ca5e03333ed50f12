"""Playwright with Debian's Chromium (``playwright install`` cannot download here).

With pytest-playwright, override its launch arguments in a conftest.py::

    from tests.services.browser import LAUNCH_ARGS, chromium_available

    @pytest.fixture(scope="session")
    def browser_type_launch_args(browser_type_launch_args):
        return {**browser_type_launch_args, **LAUNCH_ARGS}

    pytestmark = pytest.mark.skipif(not chromium_available(), reason="no Chromium")

    def test_home(page, live_server):  # pytest-playwright's ``page`` fixture
        page.goto(live_server.url)

Every browser test uses that one ``browser`` (or its ``page``): a second Playwright instance
cannot start in the test thread while the first one's event loop runs there, so a test that
started its own would fail or pass depending on the tests run before it.

Browser tests that touch the ORM need ``DJANGO_ALLOW_ASYNC_UNSAFE=true``: Playwright's sync
API runs an event loop in the test thread.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

CHROMIUM = "/usr/bin/chromium"

ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
)

LAUNCH_ARGS: dict[str, Any] = {
    "executable_path": CHROMIUM,
    "headless": True,
    "args": list(ARGS),
}


def chromium_available() -> bool:
    """True when Debian's Chromium and the playwright package are both installed."""
    return (
        os.path.isfile(CHROMIUM)
        and os.access(CHROMIUM, os.X_OK)
        and importlib.util.find_spec("playwright") is not None
    )
