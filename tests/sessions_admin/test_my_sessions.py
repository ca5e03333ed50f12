"""Users see their own sessions and login history, and end one, all others, or all."""

import pytest
from django.test import Client

from sessions_admin.models import AuditEntry, UserSession
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


def logged_in(username: str, agent: str, address: str = "127.0.0.1") -> Client:
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_lists_only_my_sessions_with_device_and_address(people):
    laptop = logged_in("mia", FIREFOX, "192.0.2.10")
    logged_in("mia", IPHONE, "192.0.2.20")
    logged_in("otto", FIREFOX, "192.0.2.99")
    page = laptop.get("/settings/sessions/").content.decode()
    assert "Firefox on Linux" in page and "Mobile Safari on iOS" in page
    assert "192.0.2.10" in page and "192.0.2.20" in page
    assert "192.0.2.99" not in page
    assert page.count("this session") == 1


def test_end_all_other_sessions(people):
    laptop, phone = logged_in("mia", FIREFOX), logged_in("mia", IPHONE)
    otto = logged_in("otto", FIREFOX)
    response = laptop.post("/settings/sessions/revoke/", {"scope": "others"})
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302
    assert otto.get("/").status_code == 200
    assert AuditEntry.objects.get(action="session.revoked").details == {
        "scope": "others",
        "count": 1,
    }


def test_end_one_session_by_its_id(people):
    laptop, phone = logged_in("mia", FIREFOX), logged_in("mia", IPHONE)
    phone_row = UserSession.objects.get(user=people.member, user_agent=IPHONE)
    laptop.post("/settings/sessions/revoke/", {"scope": "one", "session": phone_row.session_key})
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 200


def test_cannot_end_another_users_session(people):
    mine = logged_in("mia", FIREFOX)
    otto = logged_in("otto", FIREFOX)
    theirs = UserSession.objects.get(user=people.outsider)
    response = mine.post(
        "/settings/sessions/revoke/", {"scope": "one", "session": theirs.session_key}
    )
    assert response.status_code == 404
    assert otto.get("/").status_code == 200


def test_end_all_sessions_logs_me_out_too(people):
    laptop, phone = logged_in("mia", FIREFOX), logged_in("mia", IPHONE)
    response = laptop.post("/settings/sessions/revoke/", {"scope": "all"})
    assert response["Location"] == "/accounts/login/"
    assert laptop.get("/").status_code == 302 and phone.get("/").status_code == 302
    assert not UserSession.objects.filter(user=people.member).exists()


def test_malformed_revoke_changes_nothing(people):
    laptop, phone = logged_in("mia", FIREFOX), logged_in("mia", IPHONE)
    for data in ({"scope": "everything"}, {"scope": "one"}, {}):
        assert laptop.post("/settings/sessions/revoke/", data).status_code == 302
    assert phone.get("/").status_code == 200
    assert UserSession.objects.filter(user=people.member).count() == 2


def test_login_history_shows_failures(people):
    Client().post("/accounts/login/", {"username": "mia", "password": "wrong-password-1"})
    page = logged_in("mia", FIREFOX).get("/settings/sessions/").content.decode()
    assert "invalid credentials" in page and "success" in page
