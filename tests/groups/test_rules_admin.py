"""The rules behind the administration pages, called directly (the HTTP tests in
tests/accounts/test_manage_rules.py try the same rules through the interface)."""

import pytest

from accounts.models import User
from groups import rules
from groups.models import Group, Membership
from groups.permissions import PERMISSIONS
from sessions_admin.models import AuditEntry
from tests.conftest import make_group, make_user

pytestmark = pytest.mark.django_db


def test_manage_refusal_answers_without_queries_when_told_enough(people, django_assert_num_queries):
    grants = rules.grants_for(people.user_manager)
    with django_assert_num_queries(0):
        assert (
            rules.manage_refusal(
                people.user_manager, people.admin, grants=grants, target_is_admin=True
            )
            == "Only admins can change admins."
        )
        assert (
            rules.manage_refusal(
                people.user_manager, people.member, grants=grants, target_is_admin=False
            )
            is None
        )
        assert (
            rules.delete_refusal(
                people.user_manager, people.user_manager, grants=grants, target_is_admin=False
            )
            == "You cannot delete yourself."
        )


def test_owner_account_is_the_owners_alone(people):
    with pytest.raises(rules.RuleError, match="Only the owner can change"):
        rules.update_user(people.owner, {"display_name": "X"}, actor=people.admin)
    rules.update_user(people.owner, {"display_name": "Me"}, actor=people.owner)
    assert User.objects.get(pk=people.owner.pk).display_name == "Me"


def test_system_actions_are_not_refused_by_the_owner_rule(people):
    rules.add_member(people.family, people.owner, actor=rules.ProviderActor("ldap"))
    assert Membership.objects.filter(user=people.owner, group=people.family).exists()


def test_create_user_by_a_user_manager_into_an_admin_group_creates_nothing(people):
    with pytest.raises(rules.RuleError, match="grants admin"):
        rules.create_user(
            username="nina", password=None, groups=[people.admins], actor=people.user_manager
        )
    assert not User.objects.filter(username="nina").exists()


def test_set_groups_is_all_or_nothing(people):
    leo = make_user("leo", people.family)
    Membership.objects.filter(user=leo).update(managed_by="ldap")
    with pytest.raises(rules.RuleError, match="comes from LDAP"):
        rules.set_groups(leo, [people.managers], actor=people.admin)
    assert list(leo.user_groups.all()) == [people.family]  # managers not added either


def test_set_groups_moves_between_admin_groups_without_a_gap(people):
    other = make_group("root-ish", "admin")
    rules.set_groups(people.admin, [other], actor=people.admin)
    assert list(people.admin.user_groups.all()) == [other]


def test_user_manager_may_only_add_permissions_they_hold(people):
    with pytest.raises(rules.RuleError, match="hold yourself"):
        rules.set_permissions(people.family, ["audit-view"], actor=people.user_manager)
    rules.set_permissions(people.family, ["user-manage"], actor=people.user_manager)
    people.family.refresh_from_db()
    assert people.family.permissions == ["user-manage"]


def test_grantable(people):
    assert rules.grantable(people.admin) == frozenset(PERMISSIONS)
    assert rules.grantable(people.user_manager) == {"user-manage"}
    assert rules.grantable(people.member) == frozenset()


def test_create_group_places_it_last_and_audits(people):
    group = rules.create_group("kids", ["board-view-all"], actor=people.admin, ip="192.0.2.1")
    assert group.position == 4
    entry = AuditEntry.objects.get(action="group.created")
    assert (entry.ip, entry.target_repr) == ("192.0.2.1", "kids")


def test_reorder_is_for_admins(people):
    with pytest.raises(rules.RuleError, match="Only admins"):
        rules.move_group(people.family, -1, actor=people.user_manager)
    rules.move_group(people.family, -2, actor=people.admin)
    assert list(Group.objects.regular().order_by("position")) == [
        people.family, people.admins, people.managers,
    ]  # fmt: skip


def test_everyone_always_comes_last(people):
    with pytest.raises(rules.RuleError, match="always comes last"):
        rules.move_group(people.everyone, -1, actor=people.admin)
    with pytest.raises(rules.RuleError, match="changed meanwhile"):
        rules.reorder_groups([people.everyone, people.admins, people.managers, people.family],
                             actor=people.admin)  # fmt: skip


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("owner", "The owner can never be impersonated."),
        ("admin", "You cannot act as yourself."),
        ("user_manager", None),
        ("member", None),
    ],
)
def test_who_may_be_impersonated(people, target, reason):
    assert rules.impersonate_refusal(people.admin, people.get(target)) == reason


def test_admins_and_disabled_users_are_never_impersonated(people):
    other = make_user("root2", people.admins)
    assert rules.impersonate_refusal(people.owner, other) == ("Admins can never be impersonated.")
    people.member.is_active = False
    assert rules.impersonate_refusal(people.owner, people.member) == (
        "A disabled user cannot be impersonated."
    )
    assert rules.impersonate_refusal(people.user_manager, people.member) == (
        "Only admins can act as another user."
    )


def test_force_password_change_refuses_provider_accounts(people):
    leo = make_user("leo", provider="ldap")
    with pytest.raises(rules.RuleError, match="managed by LDAP"):
        rules.force_password_change(leo, actor=people.admin)


def test_invites_follow_the_membership_rules(people):
    rules.check_may_invite(people.user_manager, [people.family, people.everyone])
    with pytest.raises(rules.RuleError, match="grants admin"):
        rules.check_may_invite(people.user_manager, [people.admins])
    with pytest.raises(rules.RuleError, match="not allowed to manage users"):
        rules.check_may_invite(people.member, [])


def test_everyone_permissions_can_be_set(people):
    rules.set_permissions(people.everyone, ["board-view-all"], actor=people.admin)
    assert Group.objects.everyone().permissions == ["board-view-all"]
