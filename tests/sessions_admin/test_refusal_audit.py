"""Refused administrative actions are in the audit log (who, what, on what, why), and a loop
of refusals cannot flood it."""

import pytest

from sessions_admin.audit import REFUSAL_BUDGET
from sessions_admin.models import AuditEntry
from tests.conftest import make_group, make_user

pytestmark = pytest.mark.django_db


def refusals():
    return AuditEntry.objects.filter(action="admin.refused")


def test_refused_admin_action_is_recorded_with_who_what_target_and_why(people, login):
    response = login(people.admin).post("/settings/users/olivia/active/", {"active": "0"})
    assert response.status_code == 403
    entry = refusals().get()
    assert entry.actor == people.admin
    assert entry.details["action"] == "users:set_active"
    assert entry.target_repr == "user olivia"
    assert entry.details["reason"] == "The owner cannot be disabled."
    assert entry.ip == "127.0.0.1"


def test_refused_placement_by_a_user_manager_is_recorded(people, login):
    viewers = make_group("viewers", "board-view-all")
    login(people.user_manager).post(f"/settings/groups/{viewers.pk}/members/add/",
                                    {"username": "uma"})  # fmt: skip
    entry = refusals().get()
    assert entry.actor == people.user_manager and entry.target_repr == "group viewers"
    assert "groups whose permissions you hold yourself" in entry.details["reason"]


def test_a_member_posting_to_an_administration_page_is_recorded(people, login):
    response = login(people.member).post("/settings/users/new/", {"username": "nina"})
    assert response.status_code == 403
    entry = refusals().get()
    assert entry.actor == people.member and entry.details["action"] == "users:create"


def test_looking_at_an_administration_page_one_cannot_open_is_not_an_action(people, login):
    assert login(people.member).get("/settings/users/").status_code == 403
    assert not refusals().exists()


def test_a_refusal_loop_does_not_flood_the_audit_log(people, login):
    client = login(people.admin)
    for _ in range(50):
        assert client.post("/settings/users/olivia/active/", {"active": "0"}).status_code == 403
    entry = refusals().get()
    assert entry.details["repeats"] == 49


def test_many_distinct_refusals_are_summarised_past_a_budget(people, login):
    targets = [make_user(f"locked{i:02d}", people.admins) for i in range(REFUSAL_BUDGET + 10)]
    client = login(people.user_manager)
    for target in targets:
        response = client.post(f"/settings/users/{target.username}/active/", {"active": "0"})
        assert response.status_code == 403
    assert refusals().count() == REFUSAL_BUDGET
    summary = AuditEntry.objects.get(action="admin.refusals_suppressed")
    assert summary.actor == people.user_manager
    assert summary.details["repeats"] == 9
    assert summary.details["last_reason"] == "Only admins can change admins."
