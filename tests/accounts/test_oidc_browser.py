"""Single sign-on in a real browser: Chromium goes through homeportal's login page, the
OpenID provider's login form and back, then logs out at both (RP-initiated logout), under
homeportal's real Content-Security-Policy. Screenshots land in test-artifacts/."""

import os
import secrets
from pathlib import Path

import pytest
from django.db import connections
from django.utils.csp import CSP

from homeportal.auth_settings import origin
from tests.accounts.conftest import enable
from tests.services.browser import chromium_available
from tests.services.oidc_provider import ALICE, OidcClient, OidcProvider, node_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="Chromium and playwright are needed"),
    pytest.mark.skipif(not node_available(), reason="node and npm are needed"),
]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def fresh_context(browser):
    """A context of its own (no cookies from other tests) in the run's one Chromium:
    pytest-playwright's `browser`, as every browser test uses, since a second Playwright
    instance cannot start in the test thread while the first one's loop runs there."""
    context = browser.new_context()
    yield context
    context.close()
    # The test's own queries went through connections of Playwright's loop: closed here, or
    # PostgreSQL cannot drop the test database.
    connections.close_all()


@pytest.fixture
def sso(settings, live_server, owner, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    client = OidcClient(
        "homeportal-browser",
        secrets.token_urlsafe(24),
        (f"{live_server.url}/accounts/oidc/callback/",),
        (f"{live_server.url}/accounts/login/",),
        token_endpoint_auth_method="client_secret_basic",
    )
    with OidcProvider([client]) as provider:
        enable(settings, "credentials", "oidc")
        settings.AUTH_OIDC_ISSUER = provider.issuer
        settings.AUTH_OIDC_CLIENT_ID = client.client_id
        settings.AUTH_OIDC_CLIENT_SECRET = client.client_secret
        settings.AUTH_OIDC_CLIENT_NAME = "Test SSO"
        # As homeportal/auth_settings.py does for AUTH_OIDC_ISSUER: logout's redirect to the
        # provider is a form's navigation, which CSP form-action governs.
        settings.SECURE_CSP = {
            **settings.SECURE_CSP, "form-action": [CSP.SELF, origin(provider.issuer)],
        }  # fmt: skip
        yield provider


def test_oidc_sign_in_and_out_in_chromium(sso, live_server, fresh_context):
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    page = fresh_context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/accounts/login/?next=/"
    page.screenshot(path=ARTIFACTS / "oidc-1-login-page.png")
    page.get_by_role("button", name="Sign in with Test SSO").click()

    page.wait_for_url(f"{sso.issuer}/interaction/**")
    page.fill("#username", ALICE.username)
    page.fill("#password", ALICE.password)
    page.screenshot(path=ARTIFACTS / "oidc-2-provider.png")
    page.click("button[type=submit]")

    page.wait_for_url(f"{live_server.url}/")
    heading = page.locator("h1").inner_text()
    page.screenshot(path=ARTIFACTS / "oidc-3-home.png")

    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    page.screenshot(path=ARTIFACTS / "oidc-4-logged-out.png")
    page.goto(f"{live_server.url}/")
    back_at_login = page.url

    # The provider's session ended too: signing in asks for the password again.
    page.get_by_role("button", name="Sign in with Test SSO").click()
    page.wait_for_url(f"{sso.issuer}/interaction/**")
    asks_again = page.locator("#password").is_visible()

    assert heading == f"Hello, {ALICE.name}"
    assert back_at_login == f"{live_server.url}/accounts/login/?next=/"
    assert asks_again
    assert not [e for e in errors if "Content Security Policy" in e], errors
    for name in ("oidc-1-login-page.png", "oidc-3-home.png"):
        assert (ARTIFACTS / name).stat().st_size > 1000
    assert os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] == "true"


@pytest.fixture
def split_sso(settings, live_server, owner, monkeypatch):
    """A provider whose authorization and end-session endpoints are on 127.0.0.2, another
    origin than its issuer (as AWS Cognito's are); the site's policy is what
    homeportal/auth_settings.py builds from AUTH_OIDC_ISSUER alone."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    client = OidcClient(
        "homeportal-split",
        secrets.token_urlsafe(24),
        (f"{live_server.url}/accounts/oidc/callback/",),
        (f"{live_server.url}/accounts/login/",),
        token_endpoint_auth_method="client_secret_basic",
    )
    with OidcProvider([client], front_host="127.0.0.2") as provider:
        enable(settings, "credentials", "oidc")
        settings.AUTH_OIDC_ISSUER = provider.issuer
        settings.AUTH_OIDC_CLIENT_ID = client.client_id
        settings.AUTH_OIDC_CLIENT_SECRET = client.client_secret
        settings.AUTH_OIDC_CLIENT_NAME = "Split SSO"
        settings.SECURE_CSP = {
            **settings.SECURE_CSP, "form-action": [CSP.SELF, origin(provider.issuer)],
        }  # fmt: skip
        yield provider


def test_oidc_sign_in_and_out_navigate_to_endpoints_on_another_origin(
    split_sso, live_server, fresh_context
):
    front = split_sso.front_origin
    assert front and origin(front) != origin(split_sso.issuer)
    errors: list[str] = []
    page = fresh_context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Split SSO").click()

    page.wait_for_url(f"{front}/interaction/**", timeout=10000)
    page.fill("#username", ALICE.username)
    page.fill("#password", ALICE.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/", timeout=10000)
    heading = page.locator("h1").inner_text()

    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/", timeout=10000)
    page.screenshot(path=ARTIFACTS / "oidc-split-logged-out.png")

    # The provider's session ended too: signing in asks for the password again.
    page.get_by_role("button", name="Sign in with Split SSO").click()
    page.wait_for_url(f"{front}/interaction/**", timeout=10000)
    asks_again = page.locator("#password").is_visible()

    assert heading == f"Hello, {ALICE.name}"
    assert asks_again
    assert not [e for e in errors if "Content Security Policy" in e], errors
