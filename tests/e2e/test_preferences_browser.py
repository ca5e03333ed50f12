"""The preferences page in Chromium: the first day of the week chosen there orders the date
pickers' weeks (the audit log's filters); screenshots of the page on a desktop and a phone,
light and dark."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, url: str, username: str) -> None:
    page.goto(url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def choose_week_start(page, url: str, day: str) -> None:
    page.goto(url + "/preferences/")
    page.get_by_label("First day of the week").select_option(label=day)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("First day of the week")).to_have_value(
        {"Sunday": "0", "Monday": "1", "Saturday": "6"}[day]
    )


def calendar_columns(page, url: str) -> list[str]:
    page.goto(url + "/settings/audit/")
    page.get_by_label("From").locator("..").get_by_role("button", name="Calendar").click()
    calendar = page.get_by_role("dialog", name="Calendar")
    expect(calendar).to_be_visible()
    return calendar.locator("th").evaluate_all("cells => cells.map(c => c.abbr)")


def test_the_first_day_of_the_week_orders_the_date_pickers(page, live_server, people, artifacts):
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server.url, "adam")
    choose_week_start(page, live_server.url, "Saturday")
    assert User.objects.get(username="adam").week_start == "6"
    page.screenshot(path=artifacts / "preferences.png", full_page=True)
    columns = calendar_columns(page, live_server.url)
    assert columns[:2] == ["Saturday", "Sunday"] and len(columns) == 7

    # The keyboard picks a day: the date lands in the field as the server reads it.
    calendar = page.get_by_role("dialog", name="Calendar")
    focused = calendar.locator("button:focus")
    start = focused.get_attribute("data-date")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    picked = calendar.locator("button:focus").get_attribute("data-date")
    assert picked > start
    page.screenshot(path=artifacts / "audit-date-picker.png")
    page.keyboard.press("Enter")
    expect(calendar).to_be_hidden()
    expect(page.get_by_label("From")).to_have_value(picked)
    expect(page.get_by_label("From")).to_be_focused()

    choose_week_start(page, live_server.url, "Monday")
    assert calendar_columns(page, live_server.url)[0] == "Monday"


def test_the_preferences_page_on_a_phone_in_the_dark(page, live_server, people, artifacts):
    User.objects.filter(pk=people.member.pk).update(color_scheme="dark")
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url, "mia")
    page.goto(live_server.url + "/preferences/")
    expect(page.get_by_label("First day of the week")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=artifacts / "preferences-phone-dark.png", full_page=True)
