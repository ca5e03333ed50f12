"""The settings pages in a real browser: they work without JavaScript, and screenshots show
what a person sees."""

import pytest
from playwright.sync_api import expect

from boards.models import BoardAccess
from tests.boards.factories import fill_board, grant, make_board

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_settings_pages_without_javascript(
    browser, live_server, people, log_in_browser, board_artifacts
):
    board = make_board("family", people.owner, title="Family", accent_color="#b45309")
    fill_board(board, 6)
    grant(board, "view", group=people.family)
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1100, "height": 900}
    )
    page = context.new_page()
    log_in_browser(context, people.owner)

    page.goto(live_server.url + "/boards/family/access/")
    # Without JavaScript the picker is a plain search form, then a list of matches to pick.
    page.get_by_label("Find a user or group").fill("otto")
    page.get_by_role("button", name="Find").click()
    page.locator("#principal-results").get_by_role("radio", name="otto").check()
    page.get_by_label("Level", exact=True).select_option("modify")
    page.get_by_role("button", name="Save access").click()
    expect(page.get_by_role("status").or_(page.locator(".messages"))).to_contain_text(
        "Access saved"
    )
    assert BoardAccess.objects.get(board=board, user=people.outsider).level == "modify"
    page.screenshot(path=board_artifacts / "access-tab.png", full_page=True)

    page.goto(live_server.url + "/boards/family/settings/")
    page.get_by_label("Accent color").fill("not a color")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field.has-error")).to_contain_text("six hexadecimal digits")
    page.screenshot(path=board_artifacts / "look-error.png", full_page=True)

    page.goto(live_server.url + "/boards/family/")
    expect(page.locator(".board-item")).to_have_count(6)  # viewing needs no script
    page.screenshot(path=board_artifacts / "board-without-javascript.png", full_page=True)
    context.close()


def test_widget_options_dialog(page, live_server, people, log_in_browser, board_artifacts):
    board = make_board("family", people.owner, title="Family")
    fill_board(board, 3)
    log_in_browser(page.context, people.owner)
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(live_server.url + "/boards/family/edit/")
    page.locator(".editor-item.widget-bookmarks [data-options]").click()
    dialog = page.locator("#widget-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#id_opt-links")).to_have_value(
        "Django | https://www.djangoproject.com/\nhtmx | https://htmx.org/"
    )
    dialog.locator("#id_opt-links").fill("Broken | javascript:alert(1)")
    dialog.get_by_role("button", name="Apply").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Line 1")
    page.screenshot(path=board_artifacts / "options-dialog-error.png")
    dialog.locator("#id_opt-links").fill("Wiki | https://wiki.example.org")
    dialog.get_by_role("button", name="Apply").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".editor-item.widget-bookmarks")).to_contain_text("Wiki")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#editor-status")).to_have_text("Saved.")
    page.goto(live_server.url + "/boards/family/")
    expect(page.get_by_role("link", name="Wiki")).to_have_attribute(
        "href", "https://wiki.example.org"
    )
