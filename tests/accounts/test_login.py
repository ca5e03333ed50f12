"""Password login: success, failures, throttling, lock-out expiry, timing-safety, disabled users,
mixed-case usernames, open redirects, remember me, logout."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from accounts import throttle
from sessions_admin.models import LoginRecord, UserSession
from tests.conftest import PASSWORD
from tests.hashers import CountingHasher

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def post_login(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def test_login_page_renders_for_anonymous(people):
    response = Client().get(LOGIN)
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_correct_password_logs_in_and_records_the_session(people):
    client = Client()
    response = post_login(client, "mia")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    session = UserSession.objects.get(user=people.member)
    assert session.provider == "credentials"
    assert session.ip == "127.0.0.1"
    assert LoginRecord.objects.filter(user=people.member, success=True).count() == 1


def test_wrong_password_is_refused_with_one_message(people):
    client = Client()
    wrong = post_login(client, "mia", "wrong-password-123")
    unknown = post_login(client, "nobody-here", "wrong-password-123")
    assert wrong.status_code == unknown.status_code == 400
    assert b"Wrong username or password." in wrong.content
    assert b"Wrong username or password." in unknown.content
    assert client.get("/").status_code == 302
    assert LoginRecord.objects.filter(success=False).count() == 2


def test_mixed_case_username_logs_in(people):
    client = Client()
    assert post_login(client, "  MiA ").status_code == 302
    assert client.get("/").wsgi_request.user == people.member


def test_disabled_user_is_refused(people):
    people.member.is_active = False
    people.member.save()
    response = post_login(Client(), "mia")
    assert response.status_code == 400
    assert b"Wrong username or password." in response.content


def test_disabled_user_loses_an_open_session(people, login):
    client = login(people.member)
    assert client.get("/").status_code == 200
    people.member.is_active = False
    people.member.save()
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("case", ["known", "unknown", "other-provider", "disabled"])
def test_every_failure_costs_exactly_one_hash(people, case):
    """Timing safety: an unknown user costs the same hashing as a wrong password."""
    username = {"known": "mia", "unknown": "ghost", "other-provider": "otto", "disabled": "uma"}[
        case
    ]
    if case == "other-provider":
        people.outsider.provider = "ldap"
        people.outsider.save()
    if case == "disabled":
        people.user_manager.is_active = False
        people.user_manager.save()
    CountingHasher.calls = 0
    post_login(Client(), username, "wrong-password-123")
    assert CountingHasher.calls == 1


def test_account_is_locked_after_repeated_failures_and_unlocks_after_the_window(people, settings):
    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 3
    settings.AUTH_THROTTLE_LOCKOUT = 60
    client = Client()
    for _ in range(3):
        assert post_login(client, "mia", "wrong-password-123").status_code == 400
    locked = post_login(client, "mia")  # even the right password waits
    assert locked.status_code == 400
    assert b"Too many failed attempts. Try again in 1 minute." in locked.content
    assert client.get("/").status_code == 302
    # Another account from the same address is not locked by this account's failures.
    assert post_login(Client(), "otto").status_code == 302
    # Once the lock-out has passed the right password works again.
    real_time = time.time
    try:
        time.time = lambda: real_time() + 61
        assert throttle.locked_for("127.0.0.1", "mia") == 0
    finally:
        time.time = real_time


def test_lock_expires_in_the_cache(people, settings):
    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 2
    settings.AUTH_THROTTLE_LOCKOUT = 1
    for _ in range(2):
        post_login(Client(), "mia", "wrong-password-123")
    assert throttle.locked_for("127.0.0.1", "mia") > 0
    time.sleep(1.1)
    assert post_login(Client(), "mia").status_code == 302


def test_client_address_is_locked_across_accounts(people, settings):
    settings.AUTH_THROTTLE_IP_ATTEMPTS = 4
    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 100
    client = Client(REMOTE_ADDR="10.9.9.9")
    for name in ("a-one", "a-two", "a-three", "a-four"):
        post_login(client, name, "wrong-password-123")
    response = post_login(client, "mia")
    assert b"Too many failed attempts" in response.content
    assert post_login(Client(REMOTE_ADDR="10.9.9.10"), "mia").status_code == 302


def test_success_clears_the_account_counter(people, settings):
    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 3
    client = Client()
    post_login(client, "mia", "wrong-password-123")
    post_login(client, "mia", "wrong-password-123")
    assert post_login(Client(), "mia").status_code == 302
    post_login(client, "mia", "wrong-password-123")
    post_login(client, "mia", "wrong-password-123")
    assert post_login(Client(), "mia").status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "///evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "\\\\evil.example",
        "/\\evil.example",
    ],
)
def test_open_redirects_are_refused(people, target):
    response = post_login(Client(), "mia", next=target)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_local_next_is_followed(people):
    response = post_login(Client(), "mia", next="/accounts/password/?x=1")
    assert response["Location"] == "/accounts/password/?x=1"


def test_login_page_redirects_logged_in_users(people, login):
    assert login(people.member).get(LOGIN).status_code == 302


def test_remember_me_sets_a_persistent_cookie(people, settings):
    client = Client()
    post_login(client, "mia", remember="on")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.AUTH_SESSION_EXPIRY_TIME
    assert UserSession.objects.get(user=people.member).remember


def test_without_remember_me_the_cookie_ends_with_the_browser(people, settings):
    client = Client()
    post_login(client, "mia")
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""


def test_idle_session_without_remember_me_ends(people, settings):
    from sessions_admin import engine

    client = Client()
    post_login(client, "mia")
    session = client.session
    session[engine.SEEN] = time.time() - settings.AUTH_SESSION_IDLE_TIME - 5
    session.save()
    assert client.get("/").status_code == 302


def test_session_key_is_stored_hashed(people, settings):
    client = Client()
    post_login(client, "mia")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert not UserSession.objects.filter(session_key=key).exists()
    assert UserSession.objects.filter(user=people.member).count() == 1


def test_logout_needs_post_and_ends_the_session(people):
    client = Client()
    post_login(client, "mia")
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302
    assert not UserSession.objects.filter(user=people.member).exists()


def test_logout_redirects_to_the_configured_url(people, settings, login):
    settings.AUTH_LOGOUT_REDIRECT_URL = "https://auth.example.org/logout"
    response = login(people.member).post("/accounts/logout/")
    assert response["Location"] == "https://auth.example.org/logout"


def test_login_form_requires_csrf(people):
    client = Client(enforce_csrf_checks=True)
    response = post_login(client, "mia")
    assert response.status_code == 403


def test_htmx_request_to_a_protected_page_gets_hx_redirect(people):
    response = Client().get("/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_throttle_counts_are_shared_by_every_process(people, settings, monkeypatch, tmp_path):
    """Failures counted by one server process lock the account for another one."""
    from tests.groups.test_resolver import _second_client

    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 3
    process_a, process_b = _second_client(tmp_path)
    monkeypatch.setattr(throttle, "cache", process_a)
    for _ in range(3):
        throttle.register_failure("192.0.2.1", "mia")
    monkeypatch.setattr(throttle, "cache", process_b)
    assert throttle.locked_for("192.0.2.1", "mia") > 0
    assert throttle.locked_for("192.0.2.1", "otto") == 0


def test_after_a_wrong_password_the_password_field_has_the_focus(people, client):
    page = client.get("/accounts/login/").content.decode()
    assert 'name="username"' in page and page.index("autofocus") < page.index('name="password"')
    refused = client.post("/accounts/login/", {"username": "mia", "password": "wrong"})
    page = refused.content.decode()
    username = page[page.index('name="username"') - 200 : page.index('name="username"') + 200]
    assert "autofocus" not in username
    password = page[page.index('name="password"') : page.index('name="password"') + 200]
    assert "autofocus" in password


def test_every_form_that_replaces_a_password_says_new_password_again(people, login):
    from invites.models import PasswordResetLink

    page = login(people.member).get("/accounts/password/").content.decode()
    assert "New password again" in page and "confirmation" not in page
    _link, token = PasswordResetLink.create(people.member, actor=people.admin)
    reset = Client().get(reverse("invites:reset_password", args=[token])).content.decode()
    assert "New password again" in reset and "confirmation" not in reset
