"""Delegation (DESIGN.md's user-manager role and owner rules), tried over HTTP as a user
manager would: links answer to their creator's current rights when used, people are placed
only in groups whose permissions the placer holds, the owner stays in their groups, and the
pages never name boards or integrations the person looking cannot view."""

import pytest

from accounts.models import User
from boards.models import Board, BoardAccess
from groups.models import Group, Membership
from integrations.models import Integration, IntegrationAccess
from invites.models import Invite
from sessions_admin.models import AuditEntry
from tests.accounts.links import shown_link
from tests.conftest import PASSWORD, make_group, make_user

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-long-and-uncommon-passphrase-7"


def reset_link(client, username: str) -> str:
    """A reset link made through the user page; its path."""
    response = client.post(f"/settings/users/{username}/reset-link/", {"lifetime": "1d"})
    return shown_link(client, response).removeprefix("http://testserver")


def invite_link(client, **data) -> str:
    response = client.post("/settings/invites/new/", {"expiry": "7d", "max_uses": "5", **data})
    assert response.status_code == 200, response.content.decode()[:500]
    return response.context["url"].removeprefix("http://testserver")


def set_password(client, path: str) -> int:
    data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    return client.post(path, data).status_code


def register(client, path: str, username: str = "nina") -> int:
    data = {"username": username, "display_name": "Nina", "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD}  # fmt: skip
    return client.post(path, data).status_code


def password_unchanged(user) -> bool:
    return User.objects.get(pk=user.pk).check_password(PASSWORD)


def is_member(user, group) -> bool:
    return Membership.objects.filter(user=user, group=group).exists()


# --- 1. Links answer to their creator's current rights -------------------------------------


def test_reset_link_dies_when_target_gains_admin(people, login, client):
    path = reset_link(login(people.user_manager), "mia")
    response = login(people.owner).post(
        f"/settings/groups/{people.admins.pk}/members/add/", {"username": "mia"}
    )
    assert response.status_code == 302 and is_member(people.member, people.admins)
    assert client.get(path).status_code == 404
    assert set_password(client, path) == 404
    assert password_unchanged(people.member)


def test_reset_link_dies_when_target_gains_a_permission_its_creator_lacks(people, login, client):
    viewers = make_group("viewers", "board-view-all")
    path = reset_link(login(people.user_manager), "mia")
    response = login(people.admin).post(
        f"/settings/groups/{viewers.pk}/members/add/", {"username": "mia"}
    )
    assert response.status_code == 302
    assert client.get(path).status_code == 404
    assert set_password(client, path) == 404
    assert password_unchanged(people.member)


def test_reset_link_stays_dead_after_target_loses_admin_again(people, login, client):
    path = reset_link(login(people.user_manager), "mia")
    owner = login(people.owner)
    owner.post(f"/settings/groups/{people.admins.pk}/members/add/", {"username": "mia"})
    response = owner.post(
        f"/settings/groups/{people.admins.pk}/members/remove/", {"user": people.member.pk}
    )
    assert response.status_code == 302 and not is_member(people.member, people.admins)
    assert set_password(client, path) == 404
    assert password_unchanged(people.member)
    entry = AuditEntry.objects.get(action="user.reset_link_ended")
    assert entry.actor == people.owner and entry.target_repr == "mia"


def test_reset_link_ends_when_a_group_of_its_target_gains_a_permission_its_creator_lacks(
    people, login, client
):
    path = reset_link(login(people.user_manager), "mia")
    admin = login(people.admin)
    family = f"/settings/groups/{people.family.pk}/permissions/"
    assert admin.post(family, {"permissions": ["board-view-all"]}).status_code == 302
    assert admin.post(family, {"permissions": []}).status_code == 302
    assert set_password(client, path) == 404
    assert password_unchanged(people.member)


def test_reset_link_dies_when_its_creator_is_disabled(people, login, client):
    path = reset_link(login(people.user_manager), "mia")
    response = login(people.admin).post("/settings/users/uma/active/", {"active": "0"})
    assert response.status_code == 302
    assert client.get(path).status_code == 404
    assert set_password(client, path) == 404
    assert password_unchanged(people.member)


def test_reset_link_dies_when_its_creator_is_deleted(people, login, client):
    path = reset_link(login(people.user_manager), "mia")
    response = login(people.admin).post(
        "/settings/users/uma/delete/", {"owned": "keep", "confirm": "on"}
    )
    assert response.status_code == 302
    assert set_password(client, path) == 404
    assert password_unchanged(people.member)


def test_reset_link_dies_when_its_creator_loses_user_manage(people, login, client):
    path = reset_link(login(people.user_manager), "mia")
    response = login(people.admin).post(
        f"/settings/groups/{people.managers.pk}/permissions/", {"permissions": []}
    )
    assert response.status_code == 302
    assert set_password(client, path) == 404
    assert password_unchanged(people.member)


def test_reset_link_still_works_while_its_creator_keeps_their_rights(people, login, client):
    path = reset_link(login(people.user_manager), "mia")
    assert set_password(client, path) == 302
    assert User.objects.get(pk=people.member.pk).check_password(NEW_PASSWORD)


def test_set_password_link_of_a_new_user_dies_when_they_gain_admin(people, login, client):
    manager = login(people.user_manager)
    response = manager.post("/settings/users/new/", {"username": "nina", "password_mode": "link"})
    path = shown_link(manager, response).removeprefix("http://testserver")
    nina = User.objects.get(username="nina")
    login(people.owner).post(
        f"/settings/groups/{people.admins.pk}/members/add/", {"username": "nina"}
    )
    assert is_member(nina, people.admins)
    assert set_password(client, path) == 404
    assert not User.objects.get(pk=nina.pk).has_usable_password()


def test_invite_dies_when_its_creator_is_disabled(people, login, client):
    path = invite_link(login(people.user_manager), default_groups=[people.family.pk])
    login(people.admin).post("/settings/users/uma/active/", {"active": "0"})
    assert client.get(path).status_code == 404
    assert register(client, path) == 404
    assert not User.objects.filter(username="nina").exists()


# --- 3. An invite does not outlive its creator's authority ---------------------------------


def test_invite_adds_nobody_to_a_group_its_creator_lost_rights_over(people, login, client):
    path = invite_link(login(people.user_manager), default_groups=[people.family.pk])
    response = login(people.admin).post(
        f"/settings/groups/{people.family.pk}/permissions/", {"permissions": ["board-view-all"]}
    )
    assert response.status_code == 302
    assert register(client, path) == 404
    assert not User.objects.filter(username="nina").exists()
    assert not Membership.objects.filter(group=people.family).exclude(user=people.member)


def test_invite_adds_nobody_when_its_group_was_given_admin(people, login, client):
    path = invite_link(login(people.user_manager), default_groups=[people.family.pk])
    Group.objects.filter(pk=people.family.pk).update(permissions=["admin"])
    assert register(client, path) == 404
    assert not User.objects.filter(username="nina").exists()


def test_invite_of_a_deleted_creator_adds_nobody(people, login, client):
    uma2 = make_user("uma2", people.managers)
    path = invite_link(login(uma2), default_groups=[people.family.pk])
    login(people.admin).post("/settings/users/uma2/delete/", {"owned": "keep", "confirm": "on"})
    assert Invite.objects.get().creator is None
    assert register(client, path) == 404
    assert not User.objects.filter(username="nina").exists()


# --- 2. Placing people follows the grant rule ----------------------------------------------


@pytest.fixture
def viewers(db):
    return make_group("viewers", "board-view-all")


def test_user_manager_cannot_add_themselves_to_a_group_with_permissions_they_lack(
    people, login, viewers
):
    response = login(people.user_manager).post(
        f"/settings/groups/{viewers.pk}/members/add/", {"username": "uma"}
    )
    assert response.status_code == 403
    assert "groups whose permissions you hold yourself" in response.content.decode()
    assert not is_member(people.user_manager, viewers)


def test_user_manager_cannot_add_a_member_to_a_group_with_permissions_they_lack(
    people, login, viewers
):
    response = login(people.user_manager).post(
        f"/settings/groups/{viewers.pk}/members/add/", {"username": "mia"}
    )
    assert response.status_code == 403
    assert not is_member(people.member, viewers)


def test_user_manager_cannot_join_a_group_through_their_own_user_page(people, login, viewers):
    response = login(people.user_manager).post(
        "/settings/users/uma/",
        {"username": "uma", "groups": [people.managers.pk, viewers.pk]},
    )
    assert response.status_code in (400, 403)
    assert not is_member(people.user_manager, viewers)


def test_user_manager_cannot_create_a_user_in_a_group_with_permissions_they_lack(
    people, login, viewers
):
    response = login(people.user_manager).post(
        "/settings/users/new/",
        {"username": "nina", "password_mode": "link", "groups": [viewers.pk]},
    )
    assert response.status_code == 400
    assert not User.objects.filter(username="nina").exists()
    page = login(people.user_manager).get("/settings/users/new/").content.decode()
    assert "viewers" not in page


def test_user_manager_cannot_invite_into_a_group_with_permissions_they_lack(people, login, viewers):
    client = login(people.user_manager)
    response = client.post(
        "/settings/invites/new/", {"expiry": "7d", "max_uses": "1", "default_groups": [viewers.pk]}
    )
    assert response.status_code == 400
    assert not Invite.objects.exists()


def test_user_manager_places_people_in_groups_whose_permissions_they_hold(people, login):
    helpers = make_group("helpers", "user-manage")
    response = login(people.user_manager).post(
        f"/settings/groups/{helpers.pk}/members/add/", {"username": "mia"}
    )
    assert response.status_code == 302 and is_member(people.member, helpers)


def test_user_manager_cannot_give_everyone_a_permission_they_lack(people, login):
    response = login(people.user_manager).post(
        f"/settings/groups/{people.everyone.pk}/permissions/", {"permissions": ["board-view-all"]}
    )
    assert response.status_code in (400, 403)
    assert Group.objects.everyone().permissions == []


def test_user_manager_who_gives_a_group_their_own_permission_may_then_fill_it(people, login):
    """The grant rule and the placement rule agree: what one may grant, one may place into."""
    creators = make_group("creators")
    uma_board = make_group("uma-boards", "board-create")
    Membership.objects.create(user=people.user_manager, group=uma_board)
    client = login(people.user_manager)
    response = client.post(
        f"/settings/groups/{creators.pk}/permissions/", {"permissions": ["board-create"]}
    )
    assert response.status_code == 302
    response = client.post(f"/settings/groups/{creators.pk}/members/add/", {"username": "mia"})
    assert response.status_code == 302 and is_member(people.member, creators)


# --- 4. Only the owner takes the owner out of a group --------------------------------------


def test_admin_cannot_remove_the_owner_from_a_group_by_deleting_it(people, login):
    Membership.objects.create(user=people.owner, group=people.family)
    response = login(people.admin).post(f"/settings/groups/{people.family.pk}/delete/")
    assert response.status_code == 403
    assert "Only the owner can take the owner out of a group." in response.content.decode()
    assert is_member(people.owner, Group.objects.get(pk=people.family.pk))
    page = login(people.admin).get(f"/settings/groups/{people.family.pk}/delete/")
    assert "Only the owner can take the owner out of a group." in page.content.decode()


def test_user_manager_cannot_remove_the_owner_from_a_group_by_deleting_it(people, login):
    Membership.objects.create(user=people.owner, group=people.family)
    response = login(people.user_manager).post(f"/settings/groups/{people.family.pk}/delete/")
    assert response.status_code == 403
    assert Group.objects.filter(pk=people.family.pk).exists()


def test_owner_deletes_a_group_they_are_in(people, login):
    Membership.objects.create(user=people.owner, group=people.family)
    response = login(people.owner).post(f"/settings/groups/{people.family.pk}/delete/")
    assert response.status_code == 302
    assert not Group.objects.filter(pk=people.family.pk).exists()


# --- 6. Lists of boards and integrations are filtered for the person looking ---------------


@pytest.fixture
def hidden(people):
    """A board and an integration the family group reaches and mia owns; uma sees neither."""
    board = Board.objects.create(name="secret-plans", title="Secret plans", owner=people.member)
    BoardAccess.objects.create(board=board, group=people.family, level="view")
    integration = Integration.objects.create(
        name="Hidden NAS", kind="generic", url="http://nas.lan", owner=people.member
    )
    IntegrationAccess.objects.create(integration=integration, group=people.family, level="use")
    people.family.desktop_home_board = board
    people.family.save()
    return board, integration


@pytest.mark.parametrize(
    "address",
    [
        "/settings/groups/{family}/",
        "/settings/groups/{family}/delete/",
        "/settings/users/mia/",
        "/settings/users/mia/delete/",
    ],
)
def test_pages_never_name_boards_or_integrations_the_viewer_cannot_view(
    people, login, hidden, address
):
    path = address.format(family=people.family.pk)
    seen_by_manager = login(people.user_manager).get(path)
    assert seen_by_manager.status_code == 200
    assert "Secret plans" not in seen_by_manager.content.decode()
    assert "Hidden NAS" not in seen_by_manager.content.decode()
    seen_by_admin = login(people.admin).get(path).content.decode()
    assert "Secret plans" in seen_by_admin and "Hidden NAS" in seen_by_admin


def test_pages_name_the_boards_the_viewer_can_view(people, login, hidden):
    board, _integration = hidden
    BoardAccess.objects.create(board=board, user=people.user_manager, level="view")
    page = login(people.user_manager).get(f"/settings/groups/{people.family.pk}/")
    assert "Secret plans" in page.content.decode()
