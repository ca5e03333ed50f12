"""A person's first visit in a real browser: onboarding, logout, login."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_onboarding_logout_and_login(page, live_server, artifacts):
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/onboarding/")
    page.get_by_label("Username").fill("Olivia")
    page.get_by_label("Display name").fill("Olivia")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.screenshot(path=artifacts / "onboarding.png", full_page=True)
    page.get_by_role("button", name="Create the owner account").click()

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", name="Hello, Olivia")).to_be_visible()
    assert User.objects.get().is_owner

    page.get_by_text("Olivia", exact=True).click()  # the user menu
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(live_server.url + "/accounts/login/")

    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password.")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", name="Hello, Olivia")).to_be_visible()
    page.screenshot(path=artifacts / "home-after-login.png", full_page=True)


def test_no_console_errors_or_csp_violations_on_the_login_page(page, live_server, people):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server.url + "/")
    page.wait_for_load_state("networkidle")
    assert problems == []
