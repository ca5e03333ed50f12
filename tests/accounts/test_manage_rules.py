"""Each owner and safety rule (DESIGN.md), tried through the HTTP interface: the request is
refused with 403 and the rule's reason, and nothing changed in the database."""

import pytest

from accounts.models import User
from groups.models import Group, Membership
from invites.models import Invite, PasswordResetLink
from sessions_admin.models import AuditEntry
from tests.conftest import make_group, make_user

pytestmark = pytest.mark.django_db


def refused(response, reason: str) -> None:
    assert response.status_code == 403, response.status_code
    assert reason in response.content.decode(), response.content.decode()[:2000]


def is_member(user, group) -> bool:
    return Membership.objects.filter(user=user, group=group).exists()


# --- The owner is untouchable -------------------------------------------------------------------


def test_admin_cannot_disable_the_owner(people, login):
    response = login(people.admin).post("/settings/users/olivia/active/", {"active": "0"})
    refused(response, "The owner cannot be disabled.")
    assert User.objects.get(pk=people.owner.pk).is_active


def test_admin_cannot_delete_the_owner(people, login):
    response = login(people.admin).post(
        "/settings/users/olivia/delete/", {"owned": "keep", "confirm": "on"}
    )
    refused(response, "The owner cannot be deleted.")
    assert User.objects.filter(pk=people.owner.pk).exists()


def test_admin_cannot_edit_the_owners_account(people, login):
    response = login(people.admin).post(
        "/settings/users/olivia/", {"username": "olivia", "display_name": "Renamed"}
    )
    refused(response, "Only the owner can change the owner&#x27;s account.")
    assert User.objects.get(pk=people.owner.pk).display_name == "Olivia Owner"


def test_admin_cannot_create_a_reset_link_for_the_owner(people, login):
    response = login(people.admin).post("/settings/users/olivia/reset-link/", {"lifetime": "1d"})
    refused(response, "Only the owner can change the owner&#x27;s account.")
    assert not PasswordResetLink.objects.exists()


def test_admin_cannot_force_the_owner_to_change_password(people, login):
    response = login(people.admin).post("/settings/users/olivia/force-password-change/")
    refused(response, "Only the owner can change the owner&#x27;s account.")
    assert not User.objects.get(pk=people.owner.pk).must_change_password


def test_admin_cannot_remove_the_owner_from_the_admin_group(people, login):
    response = login(people.admin).post(
        f"/settings/groups/{people.admins.pk}/members/remove/", {"user": people.owner.pk}
    )
    refused(response, "Only the owner can change the owner&#x27;s account.")
    assert is_member(people.owner, people.admins)


def test_owner_cannot_lose_admin_even_by_their_own_hand(people, login):
    also = make_group("also-admins", "admin")
    Membership.objects.create(user=people.owner, group=also)
    Membership.objects.create(user=people.admin, group=also)
    response = login(people.owner).post(
        f"/settings/groups/{people.admins.pk}/permissions/", {"permissions": []}
    )
    assert response.status_code == 302  # still admin through also-admins
    response = login(people.owner).post(
        "/settings/users/olivia/", {"username": "olivia", "groups": []}
    )
    refused(response, "The owner is always an active admin.")
    assert is_member(people.owner, Group.objects.get(name="also-admins"))


# --- Ownership transfer ----------------------------------------------------------------------


def test_only_the_owner_hands_over_ownership(people, login):
    response = login(people.admin).post("/settings/users/adam/transfer-ownership/")
    refused(response, "Only the owner can hand over ownership.")
    assert User.objects.get(is_owner=True) == people.owner


def test_ownership_goes_only_to_an_active_admin(people, login):
    response = login(people.owner).post("/settings/users/mia/transfer-ownership/")
    refused(response, "Ownership can only go to an active admin.")
    assert User.objects.get(is_owner=True) == people.owner


def test_owner_hands_ownership_to_an_admin(people, login):
    response = login(people.owner).post("/settings/users/adam/transfer-ownership/")
    assert response.status_code == 302
    assert User.objects.get(is_owner=True) == people.admin
    entry = AuditEntry.objects.get(action="user.ownership_transferred")
    assert entry.actor == people.owner and entry.target_repr == "adam"
    # The former owner is an ordinary admin now: the new owner is untouchable for them too.
    response = login(people.owner).post("/settings/users/adam/active/", {"active": "0"})
    refused(response, "The owner cannot be disabled.")


# --- The last active admin keeps admin -------------------------------------------------------


@pytest.fixture
def sole_admin(db):
    """An instance whose only active admin is `solo` (no owner: an old install, say); a
    disabled admin does not count."""
    admins = make_group("admins", "admin", position=1)
    solo = make_user("solo", admins)
    make_user("retired", admins, is_active=False)
    return solo, admins


def test_last_active_admin_cannot_drop_admin_from_their_group(sole_admin, login):
    solo, admins = sole_admin
    response = login(solo).post(f"/settings/groups/{admins.pk}/permissions/", {"permissions": []})
    refused(response, "This would leave no active admin.")
    assert Group.objects.get(pk=admins.pk).permissions == ["admin"]


def test_last_active_admin_cannot_delete_the_admin_group(sole_admin, login):
    solo, admins = sole_admin
    refused(login(solo).post(f"/settings/groups/{admins.pk}/delete/"), "no active admin")
    assert Group.objects.filter(pk=admins.pk).exists()


def test_last_active_admin_cannot_leave_the_admin_group(sole_admin, login):
    solo, admins = sole_admin
    response = login(solo).post(f"/settings/groups/{admins.pk}/members/remove/", {"user": solo.pk})
    refused(response, "no active admin")
    assert is_member(solo, admins)


# --- Nobody removes their own admin rights, disables or deletes themselves -------------------


def test_admin_cannot_remove_themselves_from_the_admin_group(people, login):
    response = login(people.admin).post(
        f"/settings/groups/{people.admins.pk}/members/remove/", {"user": people.admin.pk}
    )
    refused(response, "You cannot remove your own admin rights.")
    assert is_member(people.admin, people.admins)


def test_admin_cannot_untick_their_own_admin_group_on_their_user_page(people, login):
    response = login(people.admin).post("/settings/users/adam/", {"username": "adam", "groups": []})
    refused(response, "You cannot remove your own admin rights.")
    assert is_member(people.admin, people.admins)


def test_admin_cannot_take_admin_from_their_own_group(people, login):
    Membership.objects.create(user=people.owner, group=make_group("owners", "admin"))
    response = login(people.admin).post(
        f"/settings/groups/{people.admins.pk}/permissions/", {"permissions": ["audit-view"]}
    )
    refused(response, "You cannot remove your own admin rights.")
    assert Group.objects.get(pk=people.admins.pk).permissions == ["admin"]


def test_admin_cannot_delete_their_own_admin_group(people, login):
    Membership.objects.create(user=people.owner, group=make_group("owners", "admin"))
    Membership.objects.filter(user=people.owner, group=people.admins).delete()
    refused(
        login(people.admin).post(f"/settings/groups/{people.admins.pk}/delete/"),
        "You cannot remove your own admin rights.",
    )
    assert Group.objects.filter(pk=people.admins.pk).exists()


def test_nobody_disables_themselves(people, login):
    for person in (people.admin, people.user_manager):
        response = login(person).post(f"/settings/users/{person.username}/active/", {"active": "0"})
        refused(response, "You cannot disable yourself.")
        assert User.objects.get(pk=person.pk).is_active


def test_nobody_deletes_themselves(people, login):
    for person in (people.admin, people.user_manager):
        response = login(person).post(
            f"/settings/users/{person.username}/delete/", {"owned": "keep", "confirm": "on"}
        )
        refused(response, "You cannot delete yourself.")
        assert User.objects.filter(pk=person.pk).exists()


# --- A user manager never acts on admins nor grants admin ------------------------------------


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/settings/users/adam/", {"username": "adam", "display_name": "X"}),
        ("/settings/users/adam/active/", {"active": "0"}),
        ("/settings/users/adam/delete/", {"owned": "keep", "confirm": "on"}),
        ("/settings/users/adam/reset-link/", {"lifetime": "1d"}),
        ("/settings/users/adam/force-password-change/", {}),
    ],
)
def test_user_manager_cannot_act_on_an_admin(people, login, path, data):
    refused(login(people.user_manager).post(path, data), "Only admins can change admins.")
    adam = User.objects.get(pk=people.admin.pk)
    assert adam.is_active and adam.display_name == "Adam Admin" and not adam.must_change_password
    assert not PasswordResetLink.objects.exists()


def test_user_manager_cannot_grant_admin_to_a_group(people, login):
    response = login(people.user_manager).post(
        f"/settings/groups/{people.family.pk}/permissions/", {"permissions": ["admin"]}
    )
    refused(response, "Only admins can grant admin.")
    assert Group.objects.get(pk=people.family.pk).permissions == []


def test_user_manager_cannot_create_a_group_with_admin(people, login):
    response = login(people.user_manager).post(
        "/settings/groups/new/", {"name": "sneaky", "permissions": ["admin"]}
    )
    refused(response, "Only admins can grant admin.")
    assert not Group.objects.filter(name="sneaky").exists()


def test_user_manager_cannot_grant_admin_to_everyone(people, login):
    response = login(people.user_manager).post(
        f"/settings/groups/{people.everyone.pk}/permissions/", {"permissions": ["admin"]}
    )
    refused(response, "Only admins can grant admin.")
    assert Group.objects.everyone().permissions == []


def test_user_manager_grants_only_permissions_they_hold(people, login):
    response = login(people.user_manager).post(
        f"/settings/groups/{people.family.pk}/permissions/", {"permissions": ["board-full-all"]}
    )
    refused(response, "You can only grant permissions you hold yourself.")
    assert Group.objects.get(pk=people.family.pk).permissions == []


def test_user_manager_cannot_add_anyone_to_an_admin_group(people, login):
    client = login(people.user_manager)
    response = client.post(f"/settings/groups/{people.admins.pk}/members/add/", {"username": "mia"})
    refused(response, "Only admins can change a group that grants admin.")
    response = client.post(
        "/settings/users/mia/", {"username": "mia", "groups": [people.admins.pk]}
    )
    assert response.status_code == 400  # not even offered: the form refuses the choice
    response = client.post(
        "/settings/users/new/",
        {"username": "nina", "password_mode": "link", "groups": [people.admins.pk]},
    )
    assert response.status_code == 400
    assert not is_member(people.member, people.admins)
    assert not User.objects.filter(username="nina").exists()


def test_user_manager_cannot_invite_into_an_admin_group(people, login):
    response = login(people.user_manager).post(
        "/settings/invites/new/",
        {"expiry": "7d", "max_uses": "1", "default_groups": [people.admins.pk]},
    )
    assert response.status_code == 400
    assert not Invite.objects.exists()


def test_user_manager_cannot_change_an_admin_group(people, login):
    client = login(people.user_manager)
    group = people.admins.pk
    refused(client.post(f"/settings/groups/{group}/rename/", {"name": "x-admins"}), "grants admin")
    refused(client.post(f"/settings/groups/{group}/delete/"), "grants admin")
    refused(
        client.post(f"/settings/groups/{group}/external-names/", {"external_names": "x"}),
        "grants admin",
    )
    assert Group.objects.get(pk=group).name == "admins"


def test_user_manager_cannot_impersonate(people, login):
    response = login(people.user_manager).post("/settings/sessions/impersonate/mia/")
    assert response.status_code == 403


# --- Memberships managed by a provider are locked --------------------------------------------


def test_provider_membership_cannot_be_removed_on_the_group_page(people, login):
    leo = make_user("leo", provider="ldap")
    Membership.objects.create(user=leo, group=people.family, managed_by="ldap")
    response = login(people.admin).post(
        f"/settings/groups/{people.family.pk}/members/remove/", {"user": leo.pk}
    )
    refused(response, "This membership comes from LDAP and is changed there.")
    assert is_member(leo, people.family)


def test_provider_membership_survives_a_user_edit(people, login):
    leo = make_user("leo", provider="ldap")
    Membership.objects.create(user=leo, group=people.family, managed_by="ldap")
    page = login(people.admin).get("/settings/users/leo/").content.decode()
    assert "Comes from LDAP at each login; change it there." in page
    response = login(people.admin).post("/settings/users/leo/", {"username": "leo", "groups": []})
    assert response.status_code == 302
    assert is_member(leo, people.family)


def test_provider_membership_is_shown_locked_on_the_group_page(people, login):
    leo = make_user("leo", provider="oidc")
    Membership.objects.create(user=leo, group=people.family, managed_by="oidc")
    page = login(people.admin).get(f"/settings/groups/{people.family.pk}/").content.decode()
    assert "Comes from OIDC at each login; change it there." in page
