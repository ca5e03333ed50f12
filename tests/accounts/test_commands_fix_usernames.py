"""`fix_usernames` through call_command (the real subprocess: test_commands_subprocess.py).

Stored names that break the rule only exist in old data. The database's check constraints
(lowercase, 3-32 characters) still allow names with other characters, reserved names and
names with leading punctuation, so those are written with a plain UPDATE past the model's
validation. Uppercase and over-long names need a database without those checks: on SQLite
`PRAGMA ignore_check_constraints` stands in for one (nothing is dropped).
"""

import io
import itertools
from contextlib import contextmanager

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection

from accounts.models import User
from accounts.recovery import plan_username_fixes
from groups.models import Membership
from sessions_admin.models import AuditEntry
from tests.conftest import PASSWORD, make_group, make_user

_numbers = itertools.count()


def legacy(name: str, **fields) -> User:
    """An account whose stored name predates the current rule."""
    user = make_user(f"legacy{next(_numbers)}", **fields)
    User.objects.filter(pk=user.pk).update(username=name)
    user.refresh_from_db()
    return user


@contextmanager
def unchecked_database():
    """Writes as a database without the lowercase and length checks would allow."""
    if connection.vendor != "sqlite":
        pytest.skip("check constraints cannot be bypassed on this database without dropping them")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA ignore_check_constraints = ON")
        try:
            yield
        finally:
            cursor.execute("PRAGMA ignore_check_constraints = OFF")


def fix(*args: str) -> str:
    out = io.StringIO()
    call_command("fix_usernames", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def fix_failing(*args: str, returncode: int) -> tuple[str, str]:
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("fix_usernames", *args, stdout=out, stderr=io.StringIO())
    assert error.value.returncode == returncode
    return out.getvalue(), str(error.value)


def names() -> set[str]:
    return set(User.objects.values_list("username", flat=True))


def renames() -> dict[str, str]:
    entries = AuditEntry.objects.filter(action="user.renamed")
    return {e.details["from"]: e.details["to"] for e in entries}


# --- Plain renames ---------------------------------------------------------------------------


def test_nothing_to_change(people):
    assert "Every username follows the rules; nothing to change." in fix()
    assert not renames()


def test_names_breaking_the_rules_are_normalised_printed_and_audited(people):
    john = legacy("john doe")
    bob = legacy("bob@example.org")
    alice = legacy("_alice")
    jose = legacy("josé")
    admin_group = make_group("helpers", "user-manage")
    Membership.objects.create(user=jose, group=admin_group)

    out = fix()

    assert "Renamed “john doe” to “john-doe”." in out
    assert "Renamed “bob@example.org” to “bob”." in out
    assert "Renamed “_alice” to “alice”." in out
    assert "Renamed “josé” to “jose”." in out
    assert "4 account(s) renamed." in out
    for user, new in ((john, "john-doe"), (bob, "bob"), (alice, "alice"), (jose, "jose")):
        user.refresh_from_db()
        assert user.username == new
    assert renames() == {
        "john doe": "john-doe", "bob@example.org": "bob", "_alice": "alice", "josé": "jose",
    }  # fmt: skip
    entry = AuditEntry.objects.get(action="user.renamed", target_id=str(jose.pk))
    assert entry.actor_name == "system (fix_usernames)"  # the system acts by name
    assert entry.details["via"] == "fix_usernames command"
    assert list(jose.user_groups.all()) == [admin_group]  # same account, same groups
    assert authenticate(username="jose", password=PASSWORD) == jose


def test_names_that_follow_the_rule_are_never_touched(people):
    kept = [legacy("bob-"), legacy("a--b"), legacy("x.y_z")]  # normalize would change these
    fix()
    for user in kept:
        before = user.username
        user.refresh_from_db()
        assert user.username == before
    assert not renames()


def test_dry_run_lists_changes_and_changes_nothing(people):
    legacy("john doe")
    legacy("bob@example.org")
    before = names()

    out = fix("--dry-run")

    assert "Would rename “john doe” to “john-doe”." in out
    assert "Would rename “bob@example.org” to “bob”." in out
    assert "Dry run: 2 account(s) would be renamed; nothing was changed." in out
    assert names() == before
    assert not renames()


# --- Collisions ------------------------------------------------------------------------------


def test_collisions_are_listed_and_left_untouched_while_the_rest_is_renamed(people):
    make_user("jose")
    accented = legacy("josé")
    mary1, mary2 = legacy("mary jane"), legacy("mary/jane")
    other = legacy("john doe")

    out, error = fix_failing(returncode=2)

    assert "Collision: “josé”: “jose” belongs to another account (“jose”); left unchanged." in out
    assert "Collision: “mary jane” and “mary/jane”: they would all become “mary-jane”" in out
    assert "Renamed “john doe” to “john-doe”." in out
    assert "3 account(s) keep names that break the rules because of collisions" in error
    assert "--resolve suffix" in error
    for user, stays in ((accented, "josé"), (mary1, "mary jane"), (mary2, "mary/jane")):
        user.refresh_from_db()
        assert user.username == stays
    other.refresh_from_db()
    assert other.username == "john-doe"
    assert renames() == {"john doe": "john-doe"}


def test_dry_run_reports_collisions_with_exit_status_2(people):
    legacy("mary jane")
    legacy("mary/jane")
    out, error = fix_failing("--dry-run", returncode=2)
    assert "Collision:" in out
    assert "would keep" in error
    assert not renames()


def test_resolve_suffix_gives_colliding_accounts_numbered_names(people):
    holder = make_user("jose")
    accented = legacy("josé")
    mary1, mary2 = legacy("mary jane"), legacy("mary/jane")

    out = fix("--resolve", "suffix")

    assert "Renamed “josé” to “jose-1” (collision on “jose”)." in out
    assert "Renamed “mary jane” to “mary-jane-1” (collision on “mary-jane”)." in out
    assert "Renamed “mary/jane” to “mary-jane-2” (collision on “mary-jane”)." in out
    assert "left unchanged" not in out
    for user, new in ((holder, "jose"), (accented, "jose-1"), (mary1, "mary-jane-1"),
                      (mary2, "mary-jane-2")):  # fmt: skip
        user.refresh_from_db()
        assert user.username == new
    assert "mary-jane" not in names()  # nobody gets the contested name
    assert renames() == {"josé": "jose-1", "mary jane": "mary-jane-1", "mary/jane": "mary-jane-2"}


def test_dry_run_with_resolve_shows_the_numbered_names_and_changes_nothing(people):
    make_user("jose")
    legacy("josé")
    before = names()
    out = fix("--dry-run", "--resolve", "suffix")
    assert "Would rename “josé” to “jose-1” (collision on “jose”)." in out
    assert names() == before
    assert not renames()


def test_numbered_names_skip_names_already_in_use(people):
    make_user("jose")
    make_user("jose-1")
    accented = legacy("josé")
    fix("--resolve", "suffix")
    accented.refresh_from_db()
    assert accented.username == "jose-2"


def test_numbered_names_stay_within_the_length_limit(people):
    holder = make_user("a" * 30 + "-b")
    long_one = legacy("a" * 30 + " b")  # 32 characters, becomes the holder's name
    fix("--resolve", "suffix")
    long_one.refresh_from_db()
    assert long_one.username == "a" * 30 + "-1"
    holder.refresh_from_db()
    assert holder.username == "a" * 30 + "-b"


def test_reserved_names_are_collisions(people):
    admin = legacy("admin")
    out, _ = fix_failing(returncode=2)
    assert "Collision: “admin”: “admin” is a reserved name; left unchanged." in out
    admin.refresh_from_db()
    assert admin.username == "admin"

    fix("--resolve", "suffix")
    admin.refresh_from_db()
    assert admin.username == "admin-1"


def test_unknown_resolution_is_refused(people):
    with pytest.raises(CommandError, match="invalid choice"):
        fix("--resolve", "merge")


# --- Names the database checks refuse today --------------------------------------------------


def test_uppercase_names_from_an_unchecked_database_are_lowercased(people):
    with unchecked_database():
        bob = legacy("Bob")
    # The login lowercases what is typed, so "Bob" could not log in at all.
    assert authenticate(username="Bob", password=PASSWORD) is None

    assert "Renamed “Bob” to “bob”." in fix()

    bob.refresh_from_db()
    assert bob.username == "bob"
    assert authenticate(username="Bob", password=PASSWORD) == bob


def test_names_differing_only_in_case_collide(people):
    with unchecked_database():
        upper = legacy("Mia")  # people has "mia"
        first, second = legacy("Ann"), legacy("ANN")
    out, _ = fix_failing(returncode=2)
    assert "Collision: “Mia”: “mia” belongs to another account (“mia”)" in out
    assert "Collision: “Ann” and “ANN”: they would all become “ann”" in out

    fix("--resolve", "suffix")
    for user, new in ((upper, "mia-1"), (first, "ann-1"), (second, "ann-2")):
        user.refresh_from_db()
        assert user.username == new


def test_over_long_names_from_an_unchecked_database_are_cut(people):
    with unchecked_database():
        long_one = legacy("a-very-long-name-from-another-dashboard-x")
    fix()
    long_one.refresh_from_db()
    assert long_one.username == "a-very-long-name-from-another-da"
    assert len(long_one.username) == 32


# --- All or nothing --------------------------------------------------------------------------


def test_an_error_midway_renames_nothing(people, monkeypatch):
    legacy("john doe")
    legacy("bob@example.org")
    before = names()
    calls = []

    def failing_second_time(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise OperationalError("disk I/O error")

    monkeypatch.setattr("sessions_admin.audit.record", failing_second_time)
    with pytest.raises(CommandError, match="Nothing was changed") as error:
        fix()
    assert error.value.returncode == 1
    assert names() == before


def test_the_plan_is_the_same_as_what_is_done(people):
    make_user("jose")
    legacy("josé")
    legacy("john doe")
    plan = plan_username_fixes()
    assert [(r.old, r.new) for r in plan.renames] == [("john doe", "john-doe")]
    assert [c.target for c in plan.collisions] == ["jose"]
