"""Helpers for the administration pages' browser tests: Debian's Chromium driven by
Playwright, screenshots under test-artifacts/."""

from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import PASSWORD

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def server(live_server):
    """pytest-django's live server (the tests using it are transactional)."""
    return live_server


@pytest.fixture
def chromium(browser):
    """The test run's one Chromium (pytest-playwright's `browser`, launched with our arguments
    by tests/conftest.py): two Playwright instances cannot share the test thread."""
    yield browser
    # While Playwright's loop runs, the test's own queries go through connections of their
    # own: close them here, or PostgreSQL cannot drop the test database.
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
