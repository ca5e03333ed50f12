"""The owner and safety rules, in the model layer (the admin pages test them over HTTP)."""

import pytest

from accounts.models import User
from groups import rules
from groups.models import Group, Membership
from groups.resolver import grants_for
from sessions_admin.models import AuditEntry
from tests.conftest import make_group, make_user

pytestmark = pytest.mark.django_db


def test_owner_cannot_be_disabled_or_deleted(people):
    with pytest.raises(rules.RuleError, match="owner cannot be disabled"):
        rules.set_active(people.owner, False, actor=people.admin)
    with pytest.raises(rules.RuleError, match="owner cannot be deleted"):
        rules.delete_user(people.owner, actor=people.admin)
    people.owner.refresh_from_db()
    assert people.owner.is_active


def test_owner_cannot_lose_admin(people):
    with pytest.raises(rules.RuleError, match="Only the owner can change the owner"):
        rules.remove_member(people.admins, people.owner, actor=people.admin)
    with pytest.raises(rules.RuleError, match="owner is always an active admin"):
        rules.remove_member(people.admins, people.owner, actor=rules.system("tests"))
    assert Membership.objects.filter(user=people.owner, group=people.admins).exists()
    with pytest.raises(rules.RuleError):
        rules.set_permissions(people.admins, [], actor=people.owner)
    people.admins.refresh_from_db()
    assert people.admins.permissions == ["admin"]


def test_nobody_removes_their_own_admin_rights(people):
    with pytest.raises(rules.RuleError, match="your own admin rights"):
        rules.remove_member(people.admins, people.admin, actor=people.admin)
    assert rules.is_admin(people.admin)


def test_nobody_disables_or_deletes_themselves(people):
    with pytest.raises(rules.RuleError, match="disable yourself"):
        rules.set_active(people.admin, False, actor=people.admin)
    with pytest.raises(rules.RuleError, match="delete yourself"):
        rules.delete_user(people.admin, actor=people.admin)


def test_last_active_admin_keeps_admin():
    admins = make_group("admins", "admin")
    only = make_user("solo", admins)
    with pytest.raises(rules.RuleError, match="no active admin"):
        rules.set_permissions(admins, ["board-create"], actor=rules.system("tests"))
    with pytest.raises(rules.RuleError, match="no active admin"):
        rules.remove_member(admins, only, actor=rules.system("tests"))
    with pytest.raises(rules.RuleError, match="no active admin"):
        rules.delete_group(admins, actor=rules.system("tests"))
    assert rules.admin_user_ids() == {only.pk}


def test_losing_admin_ends_every_session_of_that_user(people, login):
    demoted, bystander = login(people.admin), login(people.member)
    assert demoted.get("/").status_code == 200
    rules.remove_member(people.admins, people.admin, actor=people.owner)
    assert demoted.get("/").status_code == 302
    assert bystander.get("/").status_code == 200


def test_losing_admin_through_group_permissions_ends_sessions(people, login):
    helpers = make_group("helpers", "admin")
    Membership.objects.create(user=people.member, group=helpers)
    client = login(people.member)
    rules.set_permissions(helpers, ["board-create"], actor=people.owner)
    assert client.get("/").status_code == 302


def test_an_admin_can_remove_another_admin(people):
    rules.remove_member(people.admins, people.admin, actor=people.owner)
    assert not rules.is_admin(people.admin)
    entry = AuditEntry.objects.get(action="group.member_removed")
    assert entry.actor == people.owner and entry.details["user"] == "adam"


def test_user_manager_cannot_act_on_admins(people):
    with pytest.raises(rules.RuleError, match="Only admins can change admins"):
        rules.set_active(people.admin, False, actor=people.user_manager)
    with pytest.raises(rules.RuleError):
        rules.delete_user(people.admin, actor=people.user_manager)
    assert User.objects.filter(pk=people.admin.pk, is_active=True).exists()


def test_user_manager_cannot_grant_admin(people):
    with pytest.raises(rules.RuleError, match="group that grants admin"):
        rules.add_member(people.admins, people.member, actor=people.user_manager)
    with pytest.raises(rules.RuleError, match="Only admins can grant admin"):
        rules.set_permissions(people.family, ["admin"], actor=people.user_manager)
    assert not rules.is_admin(people.member)


def test_user_manager_grants_only_what_they_hold(people):
    with pytest.raises(rules.RuleError, match="permissions you hold"):
        rules.set_permissions(people.family, ["board-full-all"], actor=people.user_manager)
    rules.set_permissions(people.family, ["user-manage"], actor=people.user_manager)
    assert grants_for(people.member, refresh=True).has("user-manage")


def test_user_manager_manages_non_admins(people):
    rules.add_member(people.family, people.outsider, actor=people.user_manager)
    rules.set_active(people.outsider, False, actor=people.user_manager)
    people.outsider.refresh_from_db()
    assert not people.outsider.is_active
    assert set(rules.users_managed_by(people.user_manager)) == {
        people.user_manager, people.member, people.outsider,
    }  # fmt: skip


def test_plain_users_manage_nothing(people):
    with pytest.raises(rules.RuleError, match="not allowed to manage users"):
        rules.set_active(people.outsider, False, actor=people.member)
    assert not rules.users_managed_by(people.member).exists()


def test_everyone_cannot_be_deleted_or_given_members(people):
    with pytest.raises(rules.RuleError):
        rules.delete_group(people.everyone, actor=people.owner)
    with pytest.raises(rules.RuleError):
        rules.add_member(people.everyone, people.member, actor=people.owner)
    assert Group.objects.filter(is_everyone=True).exists()


def test_provider_managed_memberships_cannot_be_removed_by_hand(people):
    ldap_group = make_group("ldap-family")
    rules.add_member(ldap_group, people.member, actor=rules.ProviderActor("ldap"))
    with pytest.raises(rules.RuleError, match="comes from LDAP"):
        rules.remove_member(ldap_group, people.member, actor=people.owner)
    rules.remove_member(ldap_group, people.member, actor=rules.ProviderActor("ldap"))
    assert not Membership.objects.filter(group=ldap_group).exists()


def test_disabling_ends_sessions(people, login):
    client = login(people.member)
    assert client.get("/").status_code == 200
    rules.set_active(people.member, False, actor=people.admin)
    assert client.get("/").status_code == 302


def test_ownership_moves_only_by_the_owner_to_an_active_admin(people):
    with pytest.raises(rules.RuleError, match="Only the owner"):
        rules.transfer_ownership(people.admin, actor=people.admin)
    with pytest.raises(rules.RuleError, match="active admin"):
        rules.transfer_ownership(people.member, actor=people.owner)
    rules.transfer_ownership(people.admin, actor=people.owner)
    assert User.objects.get(is_owner=True) == people.admin


def test_permission_changes_reach_the_next_request(people, login):
    client = login(people.member)
    assert client.get("/").wsgi_request.grants.has("board-create") is False
    rules.set_permissions(people.family, ["board-create"], actor=people.owner)
    assert client.get("/").wsgi_request.grants.has("board-create") is True
