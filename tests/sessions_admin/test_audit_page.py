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
    assert page.index("user.updated") < page.index("group.created")
    found = client.get("/settings/audit/?q=group.").content.decode()
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
