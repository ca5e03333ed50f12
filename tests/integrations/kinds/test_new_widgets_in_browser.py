"""The aria2, NZBGet, calendar and JSON API widgets in Debian's Chromium, fed by the real
daemons and a real local web service: desktop and phone, light and dark, saved under
test-artifacts/integrations/ for a person to look at (``-m "services and browser"``)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.boards.browser.conftest import (  # noqa: F401  (the boards' browser fixtures)
    CHROMIUM,
    _everyone_group,
    base_url,
    browser_type_launch_args,
    live_server,
    log_in_browser,
)
from tests.integrations.file_service import FileService
from tests.integrations.placed import place
from tests.integrations.test_calendar_kind import PRIVATE, ics
from tests.integrations.test_jsonapi_kind import ANSWER, KEY, OPTIONS

from .conftest import PASSWORD, TOKEN, USERNAME

pytestmark = [
    pytest.mark.services,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not os.environ.get("CI"),
        reason="Chromium is not installed (apt-get install chromium)",
    ),
]

SCREENS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def artifacts() -> Path:
    folder = Path(__file__).resolve().parents[3] / "test-artifacts" / "integrations"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def web_service():
    with FileService() as service:
        service.routes[PRIVATE] = (200, "text/calendar", ics())
        service.routes[OPTIONS["path"]] = (200, "application/json", json.dumps(ANSWER).encode())
        yield service


def placed_widget(name, request, people, web_service):
    if name == "aria2":
        return place(people, "aria2", request.getfixturevalue("aria2").url, "downloads",
                     {"token": TOKEN}), "Debian notes"  # fmt: skip
    if name == "nzbget":
        nzbget = request.getfixturevalue("nzbget")
        secrets = {"username": USERNAME, "password": PASSWORD}
        return place(people, "nzbget", nzbget.url, "downloads", secrets), "Holiday video"
    if name == "calendar":
        return place(people, "calendar", web_service.url, "calendar",
                     {"ics_url": web_service.url + PRIVATE},
                     widget_options={"days": 7}), "Bin day"  # fmt: skip
    layout = "tiles" if name == "jsonapi-tiles" else "table"
    return place(people, "jsonapi", web_service.url, "values", {"api_key": KEY}, options=OPTIONS,
                 widget_options={"layout": layout}), "Queries today"  # fmt: skip


@pytest.mark.parametrize("name", ["aria2", "nzbget", "calendar", "jsonapi-table", "jsonapi-tiles"])
def test_each_new_widget_on_desktop_and_phone_in_light_and_dark(
    name,
    request,
    page,
    live_server,  # noqa: F811
    people,
    log_in_browser,  # noqa: F811
    artifacts,
    web_service,
):
    placed, shown = placed_widget(name, request, people, web_service)
    people.member.time_zone = "Europe/Paris"
    widget = page.locator(f"#item-{placed.item.pk}")
    for scheme in ("light", "dark"):
        people.member.color_scheme = scheme
        people.member.save(update_fields=["color_scheme", "time_zone"])
        log_in_browser(page.context, people.member)
        for screen, size in SCREENS.items():
            page.set_viewport_size(size)
            page.goto(live_server.url + placed.board.get_absolute_url())
            expect(widget.locator(".iw-ok")).to_be_visible(timeout=15_000)
            expect(widget.get_by_text(shown).first).to_be_visible()
            widget.screenshot(path=artifacts / f"{name}-{screen}-{scheme}.png")
