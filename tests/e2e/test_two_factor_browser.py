"""Turning on two-factor login in a real browser, then logging in with a code."""

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_set_up_two_factor_and_log_in_with_a_code(page, live_server, people, artifacts):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server.url + "/accounts/2fa/")
    page.get_by_role("button", name="Set up two-factor login").click()
    expect(page.locator("figure.qr svg")).to_be_visible()
    page.screenshot(path=artifacts / "two-factor-setup.png", full_page=True)
    secret = page.locator("figure.qr code").inner_text()
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code").fill(totp.now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator("ul.codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"\w{4}-\w{4}-\w{4}", c) for c in codes)

    page.get_by_text("Mia Member", exact=True).click()
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server.url + "/accounts/2fa/verify/")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(live_server.url + "/")
