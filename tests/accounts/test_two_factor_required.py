"""Required two-factor login: a group flag (on `everyone`: every password user), merged by the
resolver like permissions, enforced by the server on every request until 2FA is set up."""

import time
from io import StringIO

import pyotp
import pytest
from django.core.management import call_command
from django.test import Client

from accounts import two_factor
from accounts.models import TwoFactor, User
from groups.models import Group
from groups.resolver import grants_for
from sessions_admin.models import AuditEntry
from tests.accounts.test_two_factor import enable, password_step

pytestmark = pytest.mark.django_db

SETUP = "/accounts/2fa/"


def require(client: Client, group: Group, on: bool = True):
    data = {"require_two_factor": "on"} if on else {}
    return client.post(f"/settings/groups/{group.pk}/two-factor/", data)


def logged_in(username: str = "mia") -> Client:
    client = Client()
    response = password_step(client, username)
    assert response.status_code == 302, response.content
    return client


def set_up_through_the_pages(client: Client, user) -> None:
    client.post("/accounts/2fa/setup/", {"action": "start"})
    pending = TwoFactor.objects.get(user=user, confirmed=False)
    code = pyotp.TOTP(two_factor.secret(pending)).now()
    assert (
        client.post("/accounts/2fa/setup/", {"action": "confirm", "code": code}).status_code == 200
    )


def test_required_on_everyone_leads_every_password_user_to_the_set_up(people, login):
    assert require(login(people.admin), people.everyone).status_code == 302
    client = logged_in("mia")
    for path in ("/", "/preferences/", "/settings/sessions/", "/boards/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == SETUP, path
    page = client.get(SETUP)
    assert page.status_code == 200
    assert "Two-factor login is required for your account" in page.content.decode()
    set_up_through_the_pages(client, people.member)
    assert client.get("/").status_code == 200  # done: everything opens again


def test_a_group_flag_requires_it_of_its_members_only(people, login):
    require(login(people.owner), people.family)
    assert grants_for(User.objects.get(pk=people.member.pk)).two_factor_required
    assert not grants_for(User.objects.get(pk=people.outsider.pk)).two_factor_required
    assert logged_in("mia").get("/")["Location"] == SETUP
    assert logged_in("otto").get("/").status_code == 200
    require(login(people.owner), people.family, on=False)
    assert logged_in("mia").get("/").status_code == 200


def test_an_open_session_is_held_at_its_next_request(people, login):
    member = login(people.member)
    assert member.get("/").status_code == 200
    require(login(people.admin), people.family)
    assert member.get("/")["Location"] == SETUP


def test_changes_are_refused_until_set_up_and_htmx_gets_hx_redirect(people, login):
    require(login(people.admin), people.everyone)
    client = login(people.member)
    response = client.post("/preferences/", {"color_scheme": "dark"})
    assert response.status_code == 302 and response["Location"] == SETUP
    assert User.objects.get(pk=people.member.pk).color_scheme == "auto"
    htmx = client.get("/", headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and htmx["HX-Redirect"] == SETUP
    assert client.post("/accounts/logout/").status_code == 302  # logging out stays possible


def test_the_forced_password_change_comes_first_then_the_set_up(people, login):
    User.objects.filter(pk=people.member.pk).update(must_change_password=True)
    require(login(people.admin), people.everyone)
    client = login(people.member)
    assert client.get("/")["Location"] == "/accounts/password/"
    assert client.get("/accounts/password/").status_code == 200
    assert client.get(SETUP).status_code == 302  # the password first


def test_single_sign_on_users_are_not_held(people, login):
    require(login(people.admin), people.everyone)
    sso = User.objects.create_user("sam", provider="oidc")
    assert login(sso).get("/").status_code == 200


def test_required_two_factor_cannot_be_turned_off(people, login):
    totp, _codes = enable(people.member)
    require(login(people.admin), people.family)
    client = logged_in_with_second_factor(totp)
    page = client.get(SETUP).content.decode()
    assert "cannot be turned off" in page and "Turn off two-factor login" not in page
    from tests.conftest import PASSWORD

    response = client.post(
        "/accounts/2fa/disable/", {"password": PASSWORD, "code": totp.at(time.time() + 30)}
    )
    assert response.status_code == 302
    assert two_factor.is_enabled(people.member)


def logged_in_with_second_factor(totp, username: str = "mia") -> Client:
    client = Client()
    password_step(client, username)
    assert client.post("/accounts/2fa/verify/", {"code": totp.now()}).status_code == 302
    return client


def test_only_admins_decide_who_must_use_two_factor(people, login):
    response = require(login(people.user_manager), people.family)
    assert response.status_code == 403
    assert not Group.objects.get(pk=people.family.pk).require_two_factor
    page = login(people.user_manager).get(f"/settings/groups/{people.family.pk}/")
    assert "Only admins decide who must use two-factor login" in page.content.decode()
    require(login(people.admin), people.family)
    assert Group.objects.get(pk=people.family.pk).require_two_factor
    entry = AuditEntry.objects.get(action="group.two_factor_required")
    assert entry.actor == people.admin and entry.target_repr == "family"
    log = login(people.owner).get("/settings/audit/").content.decode()
    assert "required two-factor login of the group" in log


def test_the_users_list_shows_who_has_two_factor(people, login):
    enable(people.member)
    page = login(people.admin).get("/settings/users/").content.decode()
    rows = {name: page.split(f'href="/settings/users/{name}/"')[1].split("</td>")[0]
            for name in ("mia", "otto")}  # fmt: skip
    assert ">2FA<" in rows["mia"]
    assert ">2FA<" not in rows["otto"]
    assert "2FA on" in login(people.admin).get("/settings/users/mia/").content.decode()
    require(login(people.admin), people.managers)
    uma = login(people.admin).get("/settings/users/uma/").content.decode()
    assert "2FA required, not set up yet" in uma


def test_reset_password_can_still_turn_it_off_and_it_is_asked_again_at_next_login(people, login):
    enable(people.member)
    require(login(people.admin), people.everyone)
    out = StringIO()
    call_command(
        "reset_password", "--username", "mia", "--disable-2fa", "--no-force-change",
        stdin=StringIO("another-long-passphrase-7\nanother-long-passphrase-7\n"), stdout=out,
    )  # fmt: skip
    assert "Two-factor login of “mia” is off" in out.getvalue()
    assert not two_factor.is_enabled(people.member)
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "mia", "password": "another-long-passphrase-7"}
    )
    assert response.status_code == 302 and response["Location"] != "/accounts/2fa/verify/"
    assert client.get("/")["Location"] == SETUP


def test_the_set_up_check_is_only_asked_of_users_the_requirement_concerns(people, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    enable(people.member)
    require(login(people.admin), people.family)

    def two_factor_queries(user) -> int:
        client = login(user)
        with CaptureQueriesContext(connection) as context:
            assert client.get("/").status_code == 200
        return sum("accounts_twofactor" in q["sql"] for q in context.captured_queries)

    assert two_factor_queries(people.outsider) == 0
    assert two_factor_queries(people.member) == 1
