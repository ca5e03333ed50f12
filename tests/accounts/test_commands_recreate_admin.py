"""`recreate_admin` through call_command (the real subprocess: test_commands_subprocess.py)."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.test import Client

from accounts.models import User
from groups.models import Group, Membership, validate_group_name
from groups.resolver import grants_for
from groups.rules import admin_user_ids
from sessions_admin.models import AuditEntry
from tests.conftest import make_group, make_user

NEW_PASSWORD = "lantern-orchard-velvet-42"


def recreate(*args: str) -> str:
    out = io.StringIO()
    call_command("recreate_admin", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def field(output: str, label: str) -> str:
    match = re.search(rf"^  {label}: +(\S+)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def nothing_created(users_before: int, groups_before: int) -> None:
    assert User.objects.count() == users_before
    assert Group.objects.count() == groups_before
    assert not AuditEntry.objects.filter(action="user.admin_recreated").exists()


@pytest.fixture
def locked_out(people):
    """Every password admin is gone: the owner logs in through LDAP, the other admin is
    disabled. Nobody who can log in with a password holds admin."""
    User.objects.filter(pk=people.owner.pk).update(provider="ldap")
    User.objects.filter(pk=people.admin.pk).update(is_active=False)
    return people


def test_refused_while_an_active_password_admin_exists_and_names_one(people):
    users, groups = User.objects.count(), Group.objects.count()
    with pytest.raises(CommandError, match="exists already: “olivia”") as error:
        recreate("--username", "rescue")
    assert error.value.returncode == 1
    assert "reset_password --username olivia" in str(error.value)
    nothing_created(users, groups)


def test_refused_when_a_non_owner_password_admin_remains(people):
    User.objects.filter(pk=people.owner.pk).update(provider="oidc")
    with pytest.raises(CommandError, match="“adam”"):
        recreate("-u", "rescue")


def test_admin_through_the_everyone_group_counts(people):
    User.objects.filter(pk__in=[people.owner.pk, people.admin.pk]).update(provider="ldap")
    Group.objects.filter(pk=people.everyone.pk).update(permissions=["admin"])
    with pytest.raises(CommandError, match="exists already"):
        recreate("-u", "rescue")


def test_creates_an_admin_in_a_temporary_group_when_admins_are_locked_out(locked_out):
    out = recreate("-u", "rescue")

    user = User.objects.get(username="rescue")
    group = Group.objects.get(name=field(out, "Group"))
    assert field(out, "Username") == "rescue"
    password = field(out, "Password")
    assert re.fullmatch(r"[A-Za-z0-9]{48}", password)
    assert user.check_password(password)
    assert user.provider == "credentials"
    assert user.is_active
    assert not user.is_owner  # the LDAP owner stays the owner
    assert group.permissions == ["admin"]
    assert Membership.objects.filter(user=user, group=group).exists()
    assert list(user.user_groups.all()) == [group]
    assert grants_for(user, refresh=True).is_admin
    assert user.pk in admin_user_ids()
    assert "temporary name" in out
    assert "rename it" in out
    assert "now its owner" not in out


def test_temporary_group_name_follows_the_group_name_rules(locked_out):
    group = Group.objects.get(name=field(recreate("-u", "rescue"), "Group"))
    assert re.fullmatch(r"recovered-admins-[0-9a-f]{8}", group.name)
    validate_group_name(group.name)
    group.full_clean()
    assert group.position > max(
        Group.objects.regular().exclude(pk=group.pk).values_list("position", flat=True)
    )


def test_two_recoveries_get_distinct_groups(locked_out):
    first = field(recreate("-u", "rescue"), "Group")
    User.objects.filter(username="rescue").update(is_active=False)
    second = field(recreate("-u", "rescue2"), "Group")
    assert first != second


def test_new_user_becomes_owner_when_the_instance_has_none(db):
    out = recreate("-u", "Rescue")
    user = User.objects.get(username="rescue")
    assert user.is_owner
    assert "“rescue” is now its owner" in out
    assert field(out, "Username") == "rescue"


def test_existing_owner_is_kept_when_other_admins_are_gone(locked_out):
    recreate("-u", "rescue")
    assert User.objects.get(is_owner=True) == locked_out.owner


def test_the_new_admin_logs_in_and_must_change_the_password(locked_out):
    password = field(recreate("-u", "rescue"), "Password")
    client = Client()
    response = client.post("/accounts/login/", {"username": "rescue", "password": password})
    assert response.status_code == 302
    assert client.get("/")["Location"] == "/accounts/password/"
    client.post(
        "/accounts/password/",
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert client.get("/").status_code == 200


def test_no_force_change(locked_out):
    out = recreate("-u", "rescue", "--no-force-change")
    assert not User.objects.get(username="rescue").must_change_password
    assert "must choose" not in out


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("admin", "“admin” is reserved"),
        ("Root", "“Root” is reserved"),
        ("ab", "3 to 32 characters"),
        ("x" * 33, "3 to 32 characters"),
        ("bad name", "only letters, digits"),
        ("-rescue", "starts with a letter or digit"),
        ("josé", "only letters, digits"),
    ],
)
def test_invalid_usernames_are_refused(locked_out, name, reason):
    users, groups = User.objects.count(), Group.objects.count()
    with pytest.raises(CommandError, match=re.escape(reason)) as error:
        recreate(f"--username={name}")  # "=": a name may start with "-"
    assert "cannot be used as a username" in str(error.value)
    nothing_created(users, groups)


def test_a_taken_username_is_refused_in_any_case(locked_out):
    users, groups = User.objects.count(), Group.objects.count()
    with pytest.raises(CommandError, match="A user named “mia” exists already"):
        recreate("-u", "MIA")
    nothing_created(users, groups)


def test_refused_when_password_login_is_turned_off(locked_out, settings):
    settings.AUTH_PROVIDERS = ["ldap"]
    users, groups = User.objects.count(), Group.objects.count()
    with pytest.raises(CommandError, match="Password login is turned off"):
        recreate("-u", "rescue")
    nothing_created(users, groups)


def test_creation_is_audited_without_the_password(locked_out):
    out = recreate("-u", "rescue")
    entry = AuditEntry.objects.get(action="user.admin_recreated")
    assert entry.actor is None
    assert entry.target_repr == "rescue"
    assert entry.details == {
        "group": field(out, "Group"), "became_owner": False, "force_change": True,
    }  # fmt: skip
    assert field(out, "Password") not in str(entry.details)


def test_an_error_midway_creates_nothing(locked_out, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("sessions_admin.audit.record", broken)
    users, groups = User.objects.count(), Group.objects.count()
    with pytest.raises(CommandError, match="Nothing was changed"):
        recreate("-u", "rescue")
    assert User.objects.count() == users
    assert Group.objects.count() == groups


def test_disabled_and_external_admins_do_not_block_recovery(db):
    admins = make_group("admins", "admin")
    make_user("olivia", admins, provider="oidc", is_owner=True)
    make_user("adam", admins, is_active=False)
    recreate("-u", "rescue")
    assert User.objects.get(username="rescue").pk in admin_user_ids()
