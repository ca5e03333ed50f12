"""Group and account changes through the API (scope users:manage): create, rename and delete
groups and set their permissions; delete a user, hand out a password-reset link, hand over
ownership. The same rules as the pages (owner, safety and delegation), refusals recorded, bad
input answered with a clear 4xx that changes nothing, every change audited with the token."""

import json
from urllib.parse import urlsplit

import pytest
from django.test import Client

from accounts.models import User
from apitokens.models import ApiToken
from boards.models import Board
from groups.models import Group, Membership
from invites.models import PasswordResetLink
from invites.tokens import hash_token
from sessions_admin.models import AuditEntry
from tests.apitokens.conftest import bearer

pytestmark = pytest.mark.django_db


def error_of(response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]["message"]


def post(client, path: str, data=None):
    body = data if isinstance(data, bytes) else json.dumps(data if data is not None else {})
    return client.post(path, body, content_type="application/json")


def groups_state() -> list:
    return sorted(Group.objects.values_list("pk", "name", "permissions", "position"))


@pytest.fixture
def manager(people, token_for):
    return bearer(token_for(people.user_manager, "users:manage", name="Directory sync"))


@pytest.fixture
def owner(people, token_for):
    return bearer(token_for(people.owner, "users:manage", name="Owner's script"))


def last_audit(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("pk")


# --- Groups --------------------------------------------------------------------------------


def test_creating_a_group(people, manager):
    response = post(manager, "/api/v1/groups/new", {"name": "garden", "permissions": []})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "garden" and body["permissions"] == [] and body["members"] == 0
    group = Group.objects.get(name="garden")
    entry = last_audit("group.created")
    assert entry.actor == people.user_manager and entry.details["via_api"] == "Directory sync"
    assert entry.target_id == str(group.pk)


def test_a_user_manager_cannot_create_a_group_with_admin_or_what_they_lack(people, manager):
    before = groups_state()
    for permissions in (["admin"], ["board-create"]):
        body = {"name": "sneaky", "permissions": permissions}
        error_of(post(manager, "/api/v1/groups/new", body), 403, "refused")
    assert groups_state() == before
    assert AuditEntry.objects.filter(action="admin.refused").count() == 2


def test_an_admin_creates_a_group_with_any_permission(people, owner):
    response = post(owner, "/api/v1/groups/new", {"name": "boardies", "permissions": ["admin"]})
    assert response.status_code == 200, response.content
    assert Group.objects.get(name="boardies").permissions == ["admin"]


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        {},
        {"name": 5},
        {"name": "family"},  # taken
        {"name": "FAMILY"},  # taken, in another case
        {"name": "everyone"},  # reserved
        {"name": "a b"},
        {"name": "garden", "permissions": "admin"},
        {"name": "garden", "permissions": ["fly"]},
        {"name": "garden", "members": ["mia"]},
    ],
)
def test_creating_a_group_refuses_bad_input(people, owner, body):
    before = groups_state()
    response = post(owner, "/api/v1/groups/new", body)
    assert response.status_code in (400, 422)
    error_of(response, response.status_code)
    assert groups_state() == before
    assert not AuditEntry.objects.filter(action="group.created").exists()


def test_renaming_a_group(people, manager):
    response = post(manager, f"/api/v1/groups/{people.family.pk}/rename", {"name": "household"})
    assert response.status_code == 200, response.content
    people.family.refresh_from_db()
    assert people.family.name == "household" and response.json()["name"] == "household"
    entry = last_audit("group.renamed")
    assert entry.details["before"] == "family" and entry.details["via_api"] == "Directory sync"


def test_renaming_follows_the_rules(people, manager, owner):
    before = groups_state()
    # A user manager never changes a group that grants admin; nobody renames everyone.
    error_of(post(manager, f"/api/v1/groups/{people.admins.pk}/rename", {"name": "x-admins"}),
             403, "refused")  # fmt: skip
    error_of(post(owner, f"/api/v1/groups/{people.everyone.pk}/rename", {"name": "all"}),
             403, "refused")  # fmt: skip
    # Bad input and unknown groups.
    error_of(post(owner, f"/api/v1/groups/{people.family.pk}/rename", {"name": "admins"}), 422)
    error_of(post(owner, f"/api/v1/groups/{people.family.pk}/rename", {"name": ""}), 422)
    error_of(post(owner, f"/api/v1/groups/{people.family.pk}/rename", {}), 422)
    error_of(post(owner, f"/api/v1/groups/{people.family.pk}/rename", b"nope"), 400)
    error_of(post(owner, "/api/v1/groups/999999/rename", {"name": "house"}), 404, "not_found")
    assert groups_state() == before


def test_setting_a_group_s_permissions(people, owner):
    response = post(
        owner, f"/api/v1/groups/{people.family.pk}/permissions",
        {"permissions": ["board-full-all"]},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    # The answer shows what the permission implies.
    assert set(response.json()["permissions"]) >= {"board-full-all", "board-view-all"}
    people.family.refresh_from_db()
    assert people.family.permissions == ["board-full-all"]
    entry = last_audit("group.permissions_changed")
    assert entry.details["after"] == ["board-full-all"] and entry.details["via_api"]


def test_the_everyone_group_s_permissions_can_be_set(people, owner):
    response = post(
        owner, f"/api/v1/groups/{people.everyone.pk}/permissions", {"permissions": ["board-create"]}
    )
    assert response.status_code == 200, response.content
    assert Group.objects.everyone().permissions == ["board-create"]


def test_permissions_follow_the_delegation_rules(people, manager, owner):
    before = groups_state()
    family = f"/api/v1/groups/{people.family.pk}/permissions"
    # A user manager grants only what they hold, never admin, never on an admin group.
    error_of(post(manager, family, {"permissions": ["admin"]}), 403, "refused")
    error_of(post(manager, family, {"permissions": ["board-create"]}), 403, "refused")
    error_of(post(manager, f"/api/v1/groups/{people.admins.pk}/permissions",
                  {"permissions": []}), 403, "refused")  # fmt: skip
    # Nobody takes the last admins' rights away.
    error_of(post(owner, f"/api/v1/groups/{people.admins.pk}/permissions",
                  {"permissions": []}), 403, "refused")  # fmt: skip
    assert groups_state() == before
    # What they hold they may grant.
    response = post(manager, family, {"permissions": ["user-manage"]})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "body", [{}, {"permissions": "admin"}, {"permissions": [1]}, {"permissions": None}, b"{"]
)
def test_permissions_refuse_bad_input(people, owner, body):
    before = groups_state()
    response = post(owner, f"/api/v1/groups/{people.family.pk}/permissions", body)
    assert response.status_code in (400, 422)
    error_of(response, response.status_code)
    assert groups_state() == before


def test_a_read_token_cannot_change_groups(people, token_for):
    client = bearer(token_for(people.owner, "users:read", "boards:write"))
    before = groups_state()
    for path, body in (
        ("/api/v1/groups/new", {"name": "garden"}),
        (f"/api/v1/groups/{people.family.pk}/rename", {"name": "house"}),
        (f"/api/v1/groups/{people.family.pk}/permissions", {"permissions": []}),
        (f"/api/v1/groups/{people.family.pk}/delete", {}),
    ):
        error_of(post(client, path, body), 403, "insufficient_scope")
    assert groups_state() == before


def test_a_member_s_manage_token_cannot_change_groups(people, token_for):
    client = bearer(token_for(people.member, "users:manage"))
    before = groups_state()
    error_of(post(client, "/api/v1/groups/new", {"name": "garden"}), 403, "forbidden")
    error_of(post(client, f"/api/v1/groups/{people.family.pk}/delete"), 403, "forbidden")
    assert groups_state() == before


def test_deleting_a_group(people, manager):
    response = post(manager, f"/api/v1/groups/{people.family.pk}/delete")
    assert response.status_code == 200 and response.json() == {"deleted": "family"}
    assert not Group.objects.filter(name="family").exists()
    assert not Membership.objects.filter(user=people.member).exists()
    entry = last_audit("group.deleted")
    assert entry.details["group"] == "family" and entry.details["via_api"] == "Directory sync"


def test_deleting_follows_the_rules(people, manager, owner):
    before = groups_state()
    error_of(post(manager, f"/api/v1/groups/{people.admins.pk}/delete"), 403, "refused")
    error_of(post(owner, f"/api/v1/groups/{people.everyone.pk}/delete"), 403, "refused")
    error_of(post(owner, "/api/v1/groups/999999/delete"), 404)
    error_of(post(owner, f"/api/v1/groups/{people.family.pk}/delete", {"force": True}), 422)
    assert groups_state() == before


# --- Deleting users ------------------------------------------------------------------------


def test_deleting_a_user(people, manager):
    response = post(manager, "/api/v1/users/mia/delete")
    assert response.status_code == 200 and response.json() == {"deleted": "mia"}
    assert not User.objects.filter(username="mia").exists()
    entry = last_audit("user.deleted")
    assert entry.details["user"] == "mia" and entry.details["owned"] == "keep"
    assert entry.details["via_api"] == "Directory sync" and entry.actor == people.user_manager


def test_deleting_a_user_gives_what_they_own_to_an_heir(people, owner):
    Board.objects.create(name="mias", title="Mia's", owner=people.member)
    response = post(owner, "/api/v1/users/mia/delete", {"owned": "transfer", "heir": "otto"})
    assert response.status_code == 200, response.content
    assert Board.objects.get(name="mias").owner == people.outsider
    assert last_audit("user.deleted").details["heir"] == "otto"


def test_a_user_manager_leaves_what_a_deleted_user_owned_ownerless(people, manager):
    """Only admins give away or delete what a deleted user owned."""
    Board.objects.create(name="mias", title="Mia's", owner=people.member)
    for owned in ("transfer", "delete"):
        body = {"owned": owned, "heir": "otto"}
        error_of(post(manager, "/api/v1/users/mia/delete", body), 403, "refused")
    assert User.objects.filter(username="mia").exists()
    assert Board.objects.get(name="mias").owner == people.member


def test_deleting_users_follows_the_rules(people, manager, owner, token_for):
    # A user manager never deletes an admin; nobody deletes the owner or themselves.
    error_of(post(manager, "/api/v1/users/adam/delete"), 403, "refused")
    error_of(post(bearer(token_for(people.admin, "users:manage")), "/api/v1/users/olivia/delete"),
             403, "refused")  # fmt: skip
    error_of(post(owner, "/api/v1/users/olivia/delete"), 403, "refused")
    error_of(post(manager, "/api/v1/users/uma/delete"), 403, "refused")
    assert User.objects.count() == 5
    assert AuditEntry.objects.filter(action="admin.refused").count() == 4


@pytest.mark.parametrize(
    "body",
    [
        b"[",
        {"owned": "burn"},
        {"owned": 1},
        {"owned": "transfer"},  # to nobody
        {"owned": "transfer", "heir": "nobody"},
        {"owned": "transfer", "heir": "mia"},  # themselves
        {"confirm": False},
    ],
)
def test_deleting_a_user_refuses_bad_input(people, owner, body):
    response = post(owner, "/api/v1/users/mia/delete", body)
    assert response.status_code in (400, 422)
    error_of(response, response.status_code)
    assert User.objects.filter(username="mia").exists()
    assert not AuditEntry.objects.filter(action="user.deleted").exists()


def test_deleting_an_unknown_user(people, owner):
    error_of(post(owner, "/api/v1/users/nobody/delete"), 404, "not_found")


def test_a_deleted_holder_s_token_is_gone(people, owner, token_for):
    token = token_for(people.member, "boards:read")
    assert post(owner, "/api/v1/users/mia/delete").status_code == 200
    assert not ApiToken.objects.filter(user_id=people.member.pk).exists()
    assert bearer(token).get("/api/v1/me").status_code == 401


# --- Password-reset links ------------------------------------------------------------------


def test_a_reset_link_is_shown_once_and_works(people, manager):
    response = post(manager, "/api/v1/users/mia/reset-link", {"lifetime": "1h"})
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["user"] == "mia" and body["expires_at"]
    link = PasswordResetLink.objects.get(user=people.member)
    token = body["reset_link"].rstrip("/").rsplit("/", 1)[-1]
    assert link.token_hash == hash_token(token) and token not in link.token_hash
    assert (link.expires_at - link.created).total_seconds() == 3600
    page = Client().get(urlsplit(body["reset_link"]).path)
    assert page.status_code == 200
    entry = last_audit("user.reset_link_created")
    assert entry.details["via_api"] == "Directory sync" and entry.actor == people.user_manager
    assert token not in json.dumps(entry.details)


def test_a_new_reset_link_ends_the_previous_one(people, owner):
    post(owner, "/api/v1/users/mia/reset-link")
    post(owner, "/api/v1/users/mia/reset-link")
    links = PasswordResetLink.objects.filter(user=people.member)
    assert links.count() == 2 and links.filter(revoked_at__isnull=True).count() == 1


def test_reset_links_follow_the_rules(people, manager, owner, token_for):
    # A user manager never acts on an admin; nobody but the owner on the owner.
    error_of(post(manager, "/api/v1/users/adam/reset-link"), 403, "refused")
    admin = bearer(token_for(people.admin, "users:manage"))
    error_of(post(admin, "/api/v1/users/olivia/reset-link"), 403, "refused")
    # A disabled account gets no link.
    people.outsider.is_active = False
    people.outsider.save()
    error_of(post(owner, "/api/v1/users/otto/reset-link"), 403, "refused")
    # A user manager hands no link for someone holding more than they do.
    Membership.objects.create(user=people.member, group=Group.objects.create(
        name="creators", permissions=["board-create"], position=9))  # fmt: skip
    error_of(post(manager, "/api/v1/users/mia/reset-link"), 403, "refused")
    assert not PasswordResetLink.objects.exists()


@pytest.mark.parametrize("body", [b"{", {"lifetime": "1y"}, {"lifetime": 1}, {"days": 1}])
def test_reset_links_refuse_bad_input(people, owner, body):
    response = post(owner, "/api/v1/users/mia/reset-link", body)
    assert response.status_code in (400, 422)
    error_of(response, response.status_code)
    assert not PasswordResetLink.objects.exists()
    error_of(post(owner, "/api/v1/users/nobody/reset-link"), 404)


# --- Ownership -----------------------------------------------------------------------------


def test_the_owner_hands_ownership_to_an_admin(people, owner):
    response = post(owner, "/api/v1/users/adam/ownership")
    assert response.status_code == 200, response.content
    assert response.json()["is_owner"] is True
    people.admin.refresh_from_db()
    people.owner.refresh_from_db()
    assert people.admin.is_owner and not people.owner.is_owner
    entry = last_audit("user.ownership_transferred")
    assert entry.details["via_api"] == "Owner's script"


def test_ownership_follows_the_rules(people, owner, manager, token_for):
    admin = bearer(token_for(people.admin, "users:manage"))
    error_of(post(admin, "/api/v1/users/adam/ownership"), 403, "refused")  # not the owner
    error_of(post(manager, "/api/v1/users/adam/ownership"), 403, "forbidden")  # not admin
    error_of(post(owner, "/api/v1/users/mia/ownership"), 403, "refused")  # not an admin
    error_of(post(owner, "/api/v1/users/olivia/ownership"), 403, "refused")  # already
    error_of(post(owner, "/api/v1/users/nobody/ownership"), 404)
    error_of(post(owner, "/api/v1/users/adam/ownership", {"force": True}), 422)
    error_of(post(bearer(token_for(people.owner, "users:read")), "/api/v1/users/adam/ownership"),
             403, "insufficient_scope")  # fmt: skip
    assert list(User.objects.filter(is_owner=True)) == [people.owner]
