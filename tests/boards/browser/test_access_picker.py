"""The access tab's user and group picker in Chromium: with htmx and the keyboard only, and as
plain forms with JavaScript turned off; levels changed in the table."""

import pytest
from playwright.sync_api import expect

from boards.models import BoardAccess
from tests.boards.factories import make_board

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pick_a_user_with_the_keyboard_then_change_the_level_in_place(
    page, live_server, people, log_in_browser, board_artifacts
):
    make_board("lab", people.owner)
    log_in_browser(page.context, people.owner)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/boards/lab/access/")
    page.get_by_label("Find a user or group").press_sequentially("ott")
    choice = page.locator("#principal-results").get_by_role("radio")
    expect(choice).to_have_count(1)
    assert page.url == live_server.url + "/boards/lab/access/"  # htmx, no reload
    page.keyboard.press("Tab")  # past Find
    page.keyboard.press("Tab")
    expect(choice).to_be_focused()
    expect(choice).to_be_checked()  # the only match
    page.screenshot(path=board_artifacts / "access-picker.png")
    page.keyboard.press("Tab")
    page.keyboard.press("End")  # the level select: Full
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Access saved.")).to_be_visible()
    row = BoardAccess.objects.get(board__name="lab", user=people.outsider)
    assert row.level == "full"

    level = page.get_by_label("Level of Otto Outsider")
    expect(page.locator(".level-form [data-change-button]")).to_be_hidden()
    level.select_option("view")
    expect(page.get_by_text("Access saved.")).to_be_visible()
    expect(page.get_by_label("Level of Otto Outsider")).to_have_value("view")
    assert BoardAccess.objects.get(pk=row.pk).level == "view"


def test_the_picker_works_as_plain_forms_without_javascript(
    browser, live_server, people, log_in_browser
):
    make_board("lab", people.owner)
    context = browser.new_context(java_script_enabled=False)
    log_in_browser(context, people.owner)
    page = context.new_page()
    page.goto(live_server.url + "/boards/lab/access/")
    page.get_by_label("Find a user or group").fill("family")
    page.get_by_role("button", name="Find").click()
    expect(page).to_have_url(live_server.url + "/boards/lab/access/?principal_q=family")
    page.locator("#principal-results").get_by_role("radio").check()
    page.get_by_label("Level", exact=True).select_option("modify")
    page.get_by_role("button", name="Save access").click()
    expect(page.get_by_text("Access saved.")).to_be_visible()
    assert BoardAccess.objects.get(board__name="lab", group=people.family).level == "modify"
    page.get_by_label("Level of family").select_option("view")
    page.get_by_role("button", name="Change").click()
    expect(page.get_by_text("Access saved.")).to_be_visible()
    assert BoardAccess.objects.get(board__name="lab", group=people.family).level == "view"
    context.close()
