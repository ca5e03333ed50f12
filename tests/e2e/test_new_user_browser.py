"""The New user dialog in a real browser: the fields a one-time link makes irrelevant are
disabled, the result is the new user's own page, and the link logs the new user in."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "a-long-and-uncommon-passphrase-7"


def test_new_user_through_a_link_from_dialog_to_first_login(
    browser, live_server, people, artifacts
):
    admin = browser.new_context(viewport={"width": 1280, "height": 800})
    page = admin.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("adam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server.url + "/settings/users/")
    page.get_by_role("link", name="New user").click()
    dialog = page.locator("dialog#modal")
    expect(dialog).to_be_visible()
    password = dialog.get_by_label("New password", exact=True)
    expect(password).to_be_enabled()
    dialog.get_by_label("Username").fill("nina")
    dialog.get_by_label("Let them set it on first login, through a one-time link").check()
    expect(password).to_be_disabled()
    expect(dialog.get_by_label("New password again")).to_be_disabled()
    expect(dialog.get_by_text("nothing to fill in here")).to_be_visible()
    page.screenshot(path=artifacts / "new-user-link-mode.png")
    dialog.get_by_label("Set a password now").check()
    expect(password).to_be_enabled()
    dialog.get_by_label("Let them set it on first login, through a one-time link").check()
    dialog.get_by_role("button", name="Create user").click()

    expect(page).to_have_url(live_server.url + "/settings/users/nina/")
    expect(page.get_by_role("heading", name="Link to choose a password, for nina")).to_be_visible()
    page.screenshot(path=artifacts / "new-user-link-shown.png", full_page=True)
    link = page.locator("#reset-url").input_value()
    page.goto(live_server.url + "/settings/users/")
    expect(page.get_by_role("link", name="nina", exact=True)).to_be_visible()

    newcomer = browser.new_context().new_page()
    newcomer.goto(link)
    newcomer.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    newcomer.get_by_label("New password again").fill(NEW_PASSWORD)
    newcomer.get_by_role("button", name="Set the password").click()
    expect(newcomer).to_have_url(live_server.url + "/")
    expect(newcomer.get_by_text("Welcome, nina!")).to_be_visible()
    assert User.objects.get(username="nina").check_password(NEW_PASSWORD)
