"""`reset_password` through call_command (the real subprocess: test_commands_subprocess.py)."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.test import Client

from accounts import throttle
from accounts.models import User
from accounts.recovery import cache_is_shared
from sessions_admin.models import AuditEntry, UserSession
from tests.accounts.test_commands_fix_usernames import legacy, unchecked_database
from tests.conftest import PASSWORD

NEW_PASSWORD = "lantern-orchard-velvet-42"
PRINTED = re.compile(r"Password: (\S+)")


def reset(*args: str, stdin: str = "") -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("reset_password", *args, stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return out.getvalue(), err.getvalue()


def printed_password(output: str) -> str:
    match = PRINTED.search(output)
    assert match, output
    return match.group(1)


def log_in(username: str, password: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def unchanged(user: User) -> None:
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not user.must_change_password
    assert not AuditEntry.objects.filter(action="user.password_reset").exists()


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def answers(monkeypatch):
    """Answers getpass prompts in order; records the prompts asked."""
    asked: list[str] = []
    queue: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        asked.append(prompt)
        return queue.pop(0)

    monkeypatch.setattr("getpass.getpass", fake_getpass)

    def give(*values: str) -> list[str]:
        queue.extend(values)
        return asked

    return give


# --- Generated passwords ---------------------------------------------------------------------


def test_without_terminal_and_without_input_a_password_is_generated_and_printed_once(people):
    out, _ = reset("--username", "mia")
    password = printed_password(out)
    assert len(password) == 48
    assert re.fullmatch(r"[A-Za-z0-9]{48}", password)
    assert out.count(password) == 1
    user = User.objects.get(username="mia")
    assert user.check_password(password)
    assert user.must_change_password
    assert "shown only this once" in out


def test_generate_flag_generates_even_when_input_is_piped(people):
    out, _ = reset("-u", "mia", "--generate", stdin=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    password = printed_password(out)
    assert password != NEW_PASSWORD
    assert User.objects.get(username="mia").check_password(password)


def test_generated_passwords_differ_each_time(people):
    first = printed_password(reset("-u", "mia", "--generate")[0])
    second = printed_password(reset("-u", "mia", "--generate")[0])
    assert first != second


def test_user_is_found_in_any_case(people):
    out, _ = reset("-u", "  MiA ")
    assert "“mia”" in out
    assert User.objects.get(username="mia").check_password(printed_password(out))


# --- Refusals --------------------------------------------------------------------------------


def test_unknown_user_is_refused_with_a_sentence(people):
    with pytest.raises(CommandError, match=re.escape("There is no user named “nobody”.")) as error:
        reset("-u", "nobody")
    assert error.value.returncode == 1
    assert not AuditEntry.objects.filter(action="user.password_reset").exists()


@pytest.mark.parametrize(
    ("provider", "names_it"),
    [("ldap", "LDAP directory"), ("oidc", "single sign-on (OIDC)"), ("proxy", "reverse proxy")],
)
def test_users_of_other_providers_are_refused_with_the_owning_provider(people, provider, names_it):
    User.objects.filter(pk=people.member.pk).update(provider=provider)
    with pytest.raises(CommandError, match=re.escape(names_it)) as error:
        reset("-u", "mia", stdin=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert "not by homeportal" in str(error.value)
    unchanged(people.member)


def test_refused_when_password_login_is_turned_off(people, settings):
    settings.AUTH_PROVIDERS = ["oidc"]
    with pytest.raises(CommandError, match="Password login is turned off") as error:
        reset("-u", "mia")
    assert "AUTH_PROVIDERS" in str(error.value)
    assert "credentials" in str(error.value)
    unchanged(people.member)


# --- Piped input -----------------------------------------------------------------------------


def test_piped_password_is_set_and_not_printed(people):
    out, _ = reset("-u", "mia", stdin=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert NEW_PASSWORD not in out
    assert "Password:" not in out
    user = User.objects.get(username="mia")
    assert user.check_password(NEW_PASSWORD)
    assert user.must_change_password


def test_piped_password_keeps_inner_and_trailing_spaces(people):
    password = " spaced out phrase here "
    reset("-u", "mia", stdin=f"{password}\r\n{password}\r\n")
    assert User.objects.get(username="mia").check_password(password)


def test_piped_passwords_that_do_not_match_are_refused(people):
    with pytest.raises(CommandError, match="The two passwords do not match"):
        reset("-u", "mia", stdin=f"{NEW_PASSWORD}\n{NEW_PASSWORD}x\n")
    unchanged(people.member)


def test_a_single_piped_line_is_refused(people):
    with pytest.raises(CommandError, match="twice, on two lines"):
        reset("-u", "mia", stdin=f"{NEW_PASSWORD}\n")
    unchanged(people.member)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-1", "too short"),
        ("password123", "too common"),
        ("4815162342007", "entirely numeric"),
        ("mia-member-x", "too similar"),
    ],
)
def test_piped_passwords_that_break_the_policy_are_refused(people, password, reason):
    with pytest.raises(CommandError, match=f"not accepted.*{reason}"):
        reset("-u", "mia", stdin=f"{password}\n{password}\n")
    unchanged(people.member)


# --- Terminal prompt -------------------------------------------------------------------------


def test_terminal_prompt_asks_twice_and_retries_until_the_policy_is_met(people, answers):
    asked = answers("first-try-phrase-1", "another-phrase-2", "short", "short", *[NEW_PASSWORD] * 2)
    out = io.StringIO()
    err = io.StringIO()
    call_command("reset_password", "-u", "mia", stdout=out, stderr=err, stdin=FakeTerminal())
    assert len(asked) == 6
    assert "leave empty to generate" in asked[0]
    assert "again" in asked[1]
    assert "do not match" in err.getvalue()
    assert "too short" in err.getvalue()
    assert User.objects.get(username="mia").check_password(NEW_PASSWORD)
    assert NEW_PASSWORD not in out.getvalue()


def test_terminal_prompt_gives_up_after_three_failed_attempts(people, answers):
    answers("a-long-phrase-one", "a-long-phrase-two", *["x", "y"] * 2)
    with pytest.raises(CommandError, match=re.escape("3 attempts failed. Nothing was changed.")):
        call_command("reset_password", "-u", "mia", stdout=io.StringIO(),
                     stderr=io.StringIO(), stdin=FakeTerminal())  # fmt: skip
    unchanged(people.member)


def test_empty_answer_at_the_terminal_generates_a_password(people, answers):
    asked = answers("")
    out = io.StringIO()
    call_command("reset_password", "-u", "mia", stdout=out, stdin=FakeTerminal())
    assert len(asked) == 1
    assert User.objects.get(username="mia").check_password(printed_password(out.getvalue()))


def test_ctrl_d_at_the_terminal_cancels(people, monkeypatch):
    def eof(prompt=""):
        raise EOFError

    monkeypatch.setattr("getpass.getpass", eof)
    with pytest.raises(CommandError, match="Cancelled"):
        call_command("reset_password", "-u", "mia", stdout=io.StringIO(), stdin=FakeTerminal())
    unchanged(people.member)


# --- Effects ---------------------------------------------------------------------------------


def test_every_session_of_the_user_ends_and_a_logged_in_client_is_logged_out(people):
    phone = log_in("mia", PASSWORD)
    laptop = Client()
    laptop.force_login(people.member, backend="accounts.backends.CredentialsBackend")
    other = log_in("otto", PASSWORD)
    assert phone.get("/").status_code == 200
    assert UserSession.objects.filter(user=people.member).count() == 2

    out, _ = reset("-u", "mia")

    assert "2 sessions of “mia” ended" in out
    assert not UserSession.objects.filter(user=people.member).exists()
    for client in (phone, laptop):
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert other.get("/").status_code == 200  # somebody else's session is untouched


def test_forced_change_is_enforced_at_the_next_login(people):
    password = printed_password(reset("-u", "mia")[0])
    client = log_in("mia", password)

    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/"
    response = client.post(
        "/accounts/password/",
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert not User.objects.get(username="mia").must_change_password


def test_no_force_change_lets_the_user_in_directly(people):
    out, _ = reset("-u", "mia", "--no-force-change", stdin=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert "must choose" not in out
    assert not User.objects.get(username="mia").must_change_password
    assert log_in("mia", NEW_PASSWORD).get("/").status_code == 200


def test_reset_unlocks_an_account_locked_by_failed_logins(people, settings):
    settings.AUTH_THROTTLE_ACCOUNT_CEILING = settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS + 3
    for _ in range(settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS):
        throttle.register_failure("198.51.100.7", "mia")
    for n in range(3):
        throttle.register_failure(f"198.51.100.{10 + n}", "mia")
    assert throttle.locked_for("198.51.100.7", "mia") > 0  # that address
    assert throttle.locked_for("203.0.113.9", "mia") > 0  # every address: the ceiling

    reset("-u", "mia", "--no-force-change", stdin=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")

    assert throttle.locked_for("198.51.100.7", "mia") == 0
    assert throttle.locked_for("203.0.113.9", "mia") == 0
    log_in("mia", NEW_PASSWORD)


def test_output_says_when_a_login_lock_is_out_of_reach(people):
    out, _ = reset("-u", "mia", "--generate")
    # Without REDIS_URL the lock lives in the server process, which this command cannot reach.
    assert ("kept in the server's memory" in out) is not cache_is_shared()


def test_reset_is_audited_without_the_password(people):
    client = log_in("mia", PASSWORD)
    out, _ = reset("-u", "mia")
    password = printed_password(out)
    entry = AuditEntry.objects.get(action="user.password_reset")
    assert entry.actor is None
    assert entry.actor_name == "system (reset_password)"  # the system acts by name
    assert entry.target_id == str(people.member.pk)
    assert entry.details == {
        "via": "reset_password command", "generated": True, "force_change": True,
        "sessions_ended": 1, "two_factor_disabled": False,
    }  # fmt: skip
    assert password not in str(entry.details)
    assert client.get("/").status_code == 302


def test_a_disabled_user_gets_the_password_and_a_warning(people):
    User.objects.filter(pk=people.outsider.pk).update(is_active=False)
    out, _ = reset("-u", "otto")
    assert User.objects.get(username="otto").check_password(printed_password(out))
    assert "“otto” is disabled" in out


def test_an_error_midway_changes_nothing(people, monkeypatch):
    log_in("mia", PASSWORD)

    def broken(*args, **kwargs):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr("sessions_admin.audit.record", broken)
    with pytest.raises(CommandError, match=r"database cannot be used.*Nothing was changed"):
        reset("-u", "mia")
    unchanged(people.member)
    assert UserSession.objects.filter(user=people.member).count() == 1


def test_names_differing_only_in_case_in_old_data_need_the_exact_name(people):
    with unchecked_database():
        upper = legacy("Mia")  # people has "mia"
    with pytest.raises(CommandError, match=r"Several accounts are named “MIA”.*Mia, mia"):
        reset("-u", "MIA")
    out, _ = reset("-u", "Mia")
    upper.refresh_from_db()
    assert upper.check_password(printed_password(out))
    people.member.refresh_from_db()
    assert people.member.check_password(PASSWORD)
