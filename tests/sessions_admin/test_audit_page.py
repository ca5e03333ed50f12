"""The simple audit page: readable by `audit-view` holders, newest first, searchable."""

import pytest

from sessions_admin import audit
from tests.conftest import make_group, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(people):
    return make_user("aud", make_group("auditors", "audit-view"))


def test_audit_view_holders_read_the_log(people, login, auditor):
    login(people.admin).post(
        "/settings/users/mia/active/", {"active": "0"}, REMOTE_ADDR="192.0.2.7"
    )
    page = login(auditor).get("/settings/audit/").content.decode()
    assert "<code>user.disabled</code>" in page and "192.0.2.7" in page and ">adam" in page
    assert ">Audit log</a>" in page and ">Users</a>" not in page  # only the tabs they may open


def test_settings_entry_in_the_nav_leads_auditors_to_the_log(people, login, auditor):
    page = login(auditor).get("/").content.decode()
    assert '<a href="/settings/audit/">Settings</a>' in page
    assert "Settings</a>" not in login(people.member).get("/").content.decode()
    assert (
        '<a href="/settings/users/">Settings</a>'
        in login(people.user_manager).get("/").content.decode()
    )


def test_newest_first_and_searchable(people, login, auditor):
    audit.record("group.created", actor=people.admin, target=people.family)
    audit.record("user.updated", actor=people.owner, target=people.member)
    client = login(auditor)
    page = client.get("/settings/audit/").content.decode()
    listing = page.split('id="audit-list"')[1]  # the action filter lists them too, sorted
    assert listing.index("user.updated") < listing.index("group.created")
    found = client.get("/settings/audit/?q=group.").content.decode().split('id="audit-list"')[1]
    assert "group.created" in found and "user.updated" not in found
    by_actor = client.get("/settings/audit/?q=olivia", headers={"HX-Request": "true"})
    assert "user.updated" in by_actor.content.decode() and "<html" not in by_actor.content.decode()


def test_paginated(people, login, auditor):
    for i in range(60):
        audit.record("test.entry", actor=people.admin, details={"n": i})
    page = login(auditor).get("/settings/audit/").content.decode()
    assert "Page 1 of 2" in page


def test_entries_made_while_acting_show_the_admin(people, login, auditor):
    token = audit.impersonator.set(people.admin)
    try:
        audit.record("board.renamed", actor=people.member)
    finally:
        audit.impersonator.reset(token)
    assert "acted by adam" in login(auditor).get("/settings/audit/").content.decode()


def test_user_managers_and_members_cannot_read_it(people, login):
    assert login(people.user_manager).get("/settings/audit/").status_code == 403
    assert login(people.member).get("/settings/audit/").status_code == 403


def test_changes_read_as_sentences(people, login, auditor):
    login(people.owner).post(
        "/boards/new/", {"title": "Family", "name": "family-board", "is_public": ""}
    )
    audit.record("board.changed", actor=people.owner, details={"public": [False, True]})
    audit.record(
        "group.permissions_changed",
        actor=people.owner,
        target=people.family,
        details={"before": [], "after": ["board-create"]},
    )
    audit.record("user.created", actor=people.admin, details={"groups": ["family"],
                                                                "password_set": True})  # fmt: skip
    page = login(auditor).get("/settings/audit/").content.decode()
    assert "made it public" in page and "[False, True]" not in page
    assert "gave board-create" in page
    assert "created the account, in family" in page
    assert "password_set" not in page and "[hidden]" not in page


def test_a_join_through_an_invite_names_the_invite_and_its_creator(people, login, auditor):
    audit.record(
        "group.member_added",
        actor=people.member,
        target=people.family,
        details={"user": "mia", "invite_by": "adam"},
    )
    page = login(auditor).get("/settings/audit/").content.decode()
    assert "mia joined through an invite by adam" in page


def test_unknown_actions_still_read_plainly(people, login, auditor):
    audit.record("integration.action_run", actor=people.admin, details={"action": "pause_all"})
    page = login(auditor).get("/settings/audit/").content.decode()
    assert "integration: action run (action: pause_all)" in page


def test_filter_by_person_action_and_date(people, login, auditor):
    from datetime import timedelta

    from django.utils import timezone

    from sessions_admin.models import AuditEntry

    old = audit.record("user.disabled", actor=people.admin, target=people.member)
    AuditEntry.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=10))
    audit.record("user.enabled", actor=people.admin, target=people.member)
    audit.record("group.created", actor=people.owner, target=people.family)
    client = login(auditor)

    by_person = client.get("/settings/audit/", {"person": "mia"}).content.decode()
    assert "user.disabled" in by_person and "user.enabled" in by_person
    assert "group.created" not in by_person.split('id="audit-list"')[1]

    by_action = client.get("/settings/audit/", {"action": "user.enabled"}).content.decode()
    listing = by_action.split('id="audit-list"')[1]
    assert "user.enabled" in listing and "user.disabled" not in listing

    today = timezone.localdate().isoformat()
    recent = client.get("/settings/audit/", {"since": today}).content.decode()
    listing = recent.split('id="audit-list"')[1]
    assert "user.enabled" in listing and "user.disabled" not in listing


def test_a_backwards_date_range_is_refused_with_a_message(people, login, auditor):
    response = login(auditor).get(
        "/settings/audit/", {"since": "2026-05-02", "until": "2026-05-01"}
    )
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    bad = login(auditor).get("/settings/audit/", {"since": "yesterday-ish"})
    assert bad.status_code == 400


def test_csv_export_has_every_filtered_entry_and_defuses_formulas(people, login, auditor):
    import csv
    import io

    for i in range(60):  # more than one page
        audit.record("test.entry", actor=people.admin, details={"n": i})
    audit.record("board.created", actor=people.owner, details={"name": "x"})
    people.member.display_name = "=HYPERLINK(1)"
    audit.record("user.updated", actor=people.owner, target=people.member,
                 details={"changed": {"display_name": ["Mia", "=HYPERLINK(1)"]}})  # fmt: skip
    response = login(auditor).get("/settings/audit/export.csv", {"action": "test.entry"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "time (UTC)" and len(rows) == 61
    assert {row[4] for row in rows[1:]} == {"test.entry"}

    everything = login(auditor).get("/settings/audit/export.csv")
    text = b"".join(everything.streaming_content).decode()
    sentences = [row[7] for row in csv.reader(io.StringIO(text))]
    assert not any(s.startswith("=") for s in sentences)
    assert any("changed display name" in s for s in sentences)


def test_only_audit_view_holders_export(people, login):
    assert login(people.user_manager).get("/settings/audit/export.csv").status_code == 403
    assert login(people.member).get("/settings/audit/export.csv").status_code == 403


def test_sessions_and_users_use_one_word_for_password_logins(people, login):
    client = login(people.member)
    from sessions_admin.models import LoginRecord

    LoginRecord.objects.create(user=people.member, username="mia", success=True,
                               provider="credentials")  # fmt: skip
    page = client.get("/settings/sessions/").content.decode()
    assert "credentials" not in page
    assert "Password" in page
