"""Impersonation: an admin acts as a non-admin for at most an hour, with a banner and a way
back, recorded in the audit log, and nobody escalates through it."""

import time

import pytest

from accounts.models import User
from groups.models import Membership
from sessions_admin import audit
from sessions_admin.impersonation import MAX_SECONDS, SESSION_KEY
from sessions_admin.models import AuditEntry, UserSession

pytestmark = pytest.mark.django_db
START = "/settings/sessions/impersonate/{}/"
STOP = "/settings/sessions/impersonation/end/"
NEW_PASSWORD = "a-long-and-uncommon-passphrase-7"


@pytest.fixture
def acting(people, login):
    """Adam (an admin) acting as Mia (a member)."""
    client = login(people.admin)
    response = client.post(START.format("mia"))
    assert response.status_code == 302 and response["Location"] == "/"
    return client


def set_until(client, until: float) -> None:
    session = client.session
    state = session[SESSION_KEY]
    state["until"] = until
    session[SESSION_KEY] = state
    session.save()


def test_acting_as_a_user_shows_their_pages_with_a_banner(people, acting):
    page = acting.get("/").content.decode()
    assert "Hello, Mia Member" in page
    assert "You (adam) are acting as <strong>mia</strong> until" in page
    assert 'action="/settings/sessions/impersonation/end/"' in page
    assert ">Settings</a>" not in page  # the nav offers no administration meanwhile


def test_it_lasts_at_most_one_hour(people, acting):
    state = acting.session[SESSION_KEY]
    assert MAX_SECONDS == 3600
    assert 3599 <= state["until"] - state["started"] <= 3600
    assert state["until"] <= time.time() + 3600


def test_the_admin_keeps_their_own_session(people, acting):
    # The session row belongs to the admin: revoking the admin's sessions ends it.
    assert UserSession.objects.filter(user=people.admin).count() == 1
    assert not UserSession.objects.filter(user=people.member).exists()


def test_it_ends_by_itself_after_the_hour(people, acting):
    set_until(acting, time.time() - 1)
    page = acting.get("/").content.decode()
    assert "Hello, Adam Admin" in page and "acting as" not in page.split("<main")[0]
    assert SESSION_KEY not in acting.session
    entry = AuditEntry.objects.get(action="impersonation.ended")
    assert entry.actor == people.admin and entry.details["reason"] == "expired"


def test_return_to_own_account(people, acting):
    response = acting.post(STOP)
    assert response.status_code == 302 and response["Location"] == "/settings/users/mia/"
    assert "Hello, Adam Admin" in acting.get("/").content.decode()
    started = AuditEntry.objects.get(action="impersonation.started")
    ended = AuditEntry.objects.get(action="impersonation.ended")
    assert (started.actor, started.target_repr) == (people.admin, "mia")
    assert (ended.actor, ended.details["reason"]) == (people.admin, "returned")
    assert "impersonated_by" not in ended.details


@pytest.mark.parametrize(
    "path",
    [
        "/settings/users/",
        "/settings/users/mia/",
        "/settings/groups/",
        "/settings/invites/",
        "/settings/audit/",
        "/accounts/password/",
    ],
)
def test_no_administration_or_account_page_while_acting(people, acting, path):
    response = acting.get(path)
    assert response.status_code == 403
    assert "You are acting as mia" in response.content.decode()


def test_cannot_change_the_impersonated_users_password(people, acting):
    response = acting.post(
        "/accounts/password/",
        {"old_password": "x", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 403
    assert not User.objects.get(pk=people.member.pk).check_password(NEW_PASSWORD)


def test_cannot_impersonate_again_while_acting(people, acting):
    response = acting.post(START.format("otto"))
    assert response.status_code == 403
    assert acting.session[SESSION_KEY]["user"] == people.member.pk
    assert AuditEntry.objects.filter(action="impersonation.started").count() == 1


def test_acting_as_a_user_manager_gives_no_user_management(people, login):
    client = login(people.admin)
    assert client.post(START.format("uma")).status_code == 302
    assert client.get("/settings/users/").status_code == 403
    response = client.post("/settings/users/mia/active/", {"active": "0"})
    assert response.status_code == 403
    assert User.objects.get(pk=people.member.pk).is_active


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("olivia", "The owner can never be impersonated."),
        ("adam", "You cannot act as yourself."),
    ],
)
def test_admins_and_the_owner_are_never_impersonated(people, login, target, reason):
    response = login(people.admin).post(START.format(target))
    assert response.status_code == 403 and reason in response.content.decode()
    response = login(people.owner).post(START.format("adam"))
    assert response.status_code == 403
    assert "Admins can never be impersonated." in response.content.decode()
    assert not AuditEntry.objects.filter(action="impersonation.started").exists()


def test_disabled_users_are_never_impersonated(people, login):
    people.member.is_active = False
    people.member.save()
    response = login(people.admin).post(START.format("mia"))
    assert response.status_code == 403


def test_it_ends_when_the_user_becomes_an_admin(people, acting):
    Membership.objects.create(user=people.member, group=people.admins)
    assert "Hello, Adam Admin" in acting.get("/").content.decode()
    assert AuditEntry.objects.get(action="impersonation.ended").details["reason"] == (
        "Admins can never be impersonated."
    )


def test_it_ends_when_the_user_is_disabled(people, acting):
    User.objects.filter(pk=people.member.pk).update(is_active=False)
    assert "Hello, Adam Admin" in acting.get("/").content.decode()


def test_it_ends_when_the_admin_loses_admin(people, acting):
    Membership.objects.filter(user=people.admin).delete()
    assert "Hello, Adam Admin" in acting.get("/").content.decode()
    assert SESSION_KEY not in acting.session


def test_logging_out_ends_it_with_the_admins_session(people, acting):
    acting.post("/accounts/logout/")
    assert not UserSession.objects.filter(user=people.admin).exists()
    assert acting.get("/").status_code == 302


def test_only_admins_start_it(people, login):
    for persona in ("user_manager", "member", "outsider"):
        assert login(people.get(persona)).post(START.format("mia")).status_code == 403


def test_audit_entries_written_while_acting_name_the_admin(people):
    token = audit.impersonator.set(people.admin)
    try:
        entry = audit.record("board.renamed", actor=people.member)
    finally:
        audit.impersonator.reset(token)
    assert entry.actor == people.member and entry.details["impersonated_by"] == "adam"
    assert "impersonated_by" not in audit.record("board.renamed", actor=people.member).details
