"""Helpers for the administration pages' browser tests: Debian's Chromium driven by
Playwright, screenshots under test-artifacts/."""

import shutil
from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-dev-shm-usage",
]  # fmt: skip


@pytest.fixture
def server(django_db_setup, live_server):
    """pytest-django's live server, created after the test database: its session-scoped
    fixture otherwise starts before the database exists and, with SQLite in memory, each
    request thread then opens its own connection (never closed: ResourceWarning)."""
    from django.db import connection

    if connection.vendor == "sqlite" and not live_server.thread.connections_override:
        pytest.fail("the live server started before the test database; request `server` first")
    return live_server


@pytest.fixture
def chromium(monkeypatch):
    """A headless Chromium; skipped when Chromium or Playwright is missing."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # itself are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # While Playwright's loop runs, the test's own queries go through connections of
            # their own: close them here, or PostgreSQL cannot drop the test database.
            connections.close_all()


def log_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
