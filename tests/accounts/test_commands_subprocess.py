"""The recovery commands as an admin runs them: `python manage.py …` in a separate process.

Each test gets its own instance: a data folder with an SQLite database migrated by
`manage.py migrate` (once per module, then copied), used by the child processes through
`DATA_DIR` and the production settings (`homeportal.settings`, argon2 included). pytest-django's
own test database is in memory on SQLite and cannot be shared with a child process, so these
tests do not use it: they seed data with `manage.py shell` and read the outcome straight from
the database file. They run against SQLite whatever DATABASE_URL the suite was given.
"""

import os
import re
import select
import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password

from accounts import throttle

MANAGE = Path(settings.BASE_DIR) / "manage.py"
DATABASE = "homeportal.sqlite3"
OLD_PASSWORD = "old-harbour-lantern-17"
NEW_PASSWORD = "lantern-orchard-velvet-42"
# Variables of the parent's environment that must not reach the child instance.
NOT_INHERITED = re.compile(r"^(DATABASE_URL|REDIS_URL|SECRET_KEY|DJANGO_|AUTH_|DATA_DIR|BASE_URL)")


def child_environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not NOT_INHERITED.match(k)}
    env.update(DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="homeportal.settings")
    return env


@dataclass
class Instance:
    data_dir: Path

    @property
    def env(self) -> dict[str, str]:
        return child_environment(self.data_dir)

    def manage(self, *args: str, input: str | None = None, stdin=None):
        return subprocess.run(
            [sys.executable, str(MANAGE), *args],
            input=input, stdin=stdin, capture_output=True, text=True, env=self.env,
            cwd=MANAGE.parent, timeout=120, check=False,
        )  # fmt: skip

    def shell(self, code: str) -> str:
        result = self.manage("shell", "-v", "0", "-c", code)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def query(self, sql: str, *params) -> list[tuple]:
        with closing(sqlite3.connect(self.data_dir / DATABASE)) as db:
            return db.execute(sql, params).fetchall()

    def user(self, username: str) -> dict:
        columns = ("id", "username", "password", "must_change_password", "is_owner", "provider")
        rows = self.query(
            f"SELECT {', '.join(columns)} FROM accounts_user WHERE username = ?",
            username,
        )
        return dict(zip(columns, rows[0], strict=True)) if rows else {}

    def sessions_of(self, user_id: int) -> int:
        return self.query(
            "SELECT COUNT(*) FROM sessions_admin_usersession WHERE user_id = ?", user_id
        )[0][0]

    def audit(self, action: str) -> list[tuple]:
        return self.query(
            "SELECT target_repr, details FROM sessions_admin_auditentry WHERE action = ?", action
        )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("migrated")
    result = Instance(folder).manage("migrate", "--no-input", "-v", "0")
    assert result.returncode == 0, result.stderr
    return folder


def copy_instance(source: Path, target: Path) -> Instance:
    for path in source.iterdir():
        if path.is_file():
            shutil.copy2(path, target / path.name)
    return Instance(target)


@pytest.fixture
def instance(migrated, tmp_path) -> Instance:
    return copy_instance(migrated, tmp_path)


SEED = f"""
from accounts.models import User
from groups.models import Group, Membership
from sessions_admin.engine import SessionStore

admins = Group.objects.create(name="admins", permissions=["admin"], position=1)
owner = User.objects.create_user("olivia", "{OLD_PASSWORD}", is_owner=True)
Membership.objects.create(user=owner, group=admins)
alice = User.objects.create_user("alice", "{OLD_PASSWORD}")
User.objects.create_user("lena", None, provider="ldap")
for _ in range(2):
    session = SessionStore()
    session["_auth_user_id"] = str(alice.pk)
    session.create()
"""


@pytest.fixture(scope="module")
def seeded_template(migrated, tmp_path_factory) -> Path:
    template = copy_instance(migrated, tmp_path_factory.mktemp("seeded"))
    template.shell(SEED)
    return template.data_dir


@pytest.fixture
def seeded(seeded_template, tmp_path) -> Instance:
    """An owner-admin `olivia`, `alice` with two open sessions, LDAP user `lena`."""
    instance = copy_instance(seeded_template, tmp_path)
    assert instance.sessions_of(instance.user("alice")["id"]) == 2
    return instance


# --- reset_password --------------------------------------------------------------------------


def test_reset_password_reads_the_password_twice_from_standard_input(seeded):
    result = seeded.manage(
        "reset_password", "--username", "ALICE", input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    )

    assert result.returncode == 0, result.stderr
    assert "The password of “alice” was reset." in result.stdout
    assert "2 sessions of “alice” ended" in result.stdout
    assert NEW_PASSWORD not in result.stdout + result.stderr
    alice = seeded.user("alice")
    assert alice["password"].startswith("argon2$argon2id$")
    assert check_password(NEW_PASSWORD, alice["password"])
    assert alice["must_change_password"] == 1
    assert seeded.sessions_of(alice["id"]) == 0
    assert seeded.sessions_of(seeded.user("olivia")["id"]) == 0  # never had any
    [(target, details)] = seeded.audit("user.password_reset")
    assert target == "alice"
    assert NEW_PASSWORD not in details


def test_reset_password_generates_when_there_is_no_terminal_and_no_input(seeded):
    result = seeded.manage("reset_password", "-u", "alice", stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    password = re.search(r"Password: (\S+)", result.stdout).group(1)
    assert len(password) == 48
    assert check_password(password, seeded.user("alice")["password"])


@pytest.mark.parametrize(
    ("args", "input", "message"),
    [
        (("-u", "alice"), f"{NEW_PASSWORD}\n{NEW_PASSWORD}-typo\n", "do not match"),
        (("-u", "alice"), "short\nshort\n", "too short"),
        (("-u", "nobody"), "", "There is no user named “nobody”."),
        (("-u", "lena"), "", "logs in through LDAP"),
    ],
)
def test_reset_password_failures_exit_non_zero_and_change_nothing(seeded, args, input, message):
    before = seeded.user("alice")["password"]
    result = seeded.manage("reset_password", *args, input=input)
    assert result.returncode == 1
    assert message in result.stderr
    assert seeded.user("alice")["password"] == before
    assert seeded.sessions_of(seeded.user("alice")["id"]) == 2
    assert seeded.audit("user.password_reset") == []


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL: a cache shared by processes")
def test_reset_password_lifts_a_login_lock_held_in_the_shared_cache(seeded):
    for _ in range(settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS):
        throttle.register_failure("198.51.100.7", "alice")
    assert throttle.locked_for("198.51.100.7", "alice") > 0
    shared = {"REDIS_URL": settings.REDIS_URL,
              "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"]}  # fmt: skip

    result = subprocess.run(
        [sys.executable, str(MANAGE), "reset_password", "-u", "alice", "--generate"],
        env={**seeded.env, **shared}, capture_output=True, text=True, cwd=MANAGE.parent,
        timeout=120, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "server's memory" not in result.stdout
    assert throttle.locked_for("198.51.100.7", "alice") == 0


# A complete LDAP configuration (the directory is never contacted by reset_password).
LDAP_ONLY = {"AUTH_LDAP_URI": "ldap://127.0.0.1:9", "AUTH_LDAP_BASE": "dc=example,dc=org"}


def test_reset_password_is_refused_when_password_login_is_turned_off(seeded):
    env_result = subprocess.run(
        [sys.executable, str(MANAGE), "reset_password", "-u", "alice"],
        env={**seeded.env, "AUTH_PROVIDERS": "ldap", **LDAP_ONLY}, capture_output=True, text=True,
        cwd=MANAGE.parent, timeout=120, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert env_result.returncode == 1
    assert "Password login is turned off" in env_result.stderr


class Terminal:
    """The controlling side of a pseudo-terminal: what the child writes, and typing."""

    def __init__(self, master: int):
        self.master = master
        self.seen = ""
        self.cursor = 0  # `expect` looks only at what came after its last match

    def expect(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen[self.cursor :]:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"never saw {text!r}; got {self.seen!r}"
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                assert chunk, f"terminal closed before {text!r}; got {self.seen!r}"
                self.seen += chunk.decode(errors="replace").replace("\r\n", "\n")
        self.cursor = self.seen.index(text, self.cursor) + len(text)

    def type(self, line: str) -> None:
        os.write(self.master, f"{line}\n".encode())

    def drain(self) -> str:
        while True:
            ready, _, _ = select.select([self.master], [], [], 5)
            try:
                chunk = os.read(self.master, 4096) if ready else b""
            except OSError:
                chunk = b""
            if not chunk:
                return self.seen
            self.seen += chunk.decode(errors="replace").replace("\r\n", "\n")


def test_reset_password_prompts_on_a_terminal_without_echo(seeded):
    master, slave = os.openpty()
    child = subprocess.Popen(
        [sys.executable, str(MANAGE), "reset_password", "-u", "alice", "--no-color"],
        stdin=slave, stdout=slave, stderr=slave, env=seeded.env, cwd=MANAGE.parent,
        start_new_session=True,  # no controlling terminal: getpass uses standard input
    )  # fmt: skip
    os.close(slave)
    terminal = Terminal(master)
    try:
        terminal.expect("(leave empty to generate one): ")
        terminal.type("too-short")
        terminal.expect("The same password again: ")
        terminal.type("too-short")
        terminal.expect("This password is not accepted")
        terminal.expect("(leave empty to generate one): ")
        terminal.type(NEW_PASSWORD)
        terminal.expect("The same password again: ")
        terminal.type(NEW_PASSWORD)
        assert child.wait(timeout=60) == 0
        transcript = terminal.drain()
    finally:
        child.kill()
        child.wait()
        os.close(master)
    assert "The password of “alice” was reset." in transcript
    assert NEW_PASSWORD not in transcript  # not echoed, not printed
    assert "too-short" not in transcript
    assert check_password(NEW_PASSWORD, seeded.user("alice")["password"])


# --- recreate_admin --------------------------------------------------------------------------


def test_recreate_admin_on_an_instance_without_users_then_refused_while_it_exists(instance):
    result = instance.manage("recreate_admin", "--username", "Rescue")

    assert result.returncode == 0, result.stderr
    fields = dict(re.findall(r"^  (\w+): +(\S+)$", result.stdout, re.MULTILINE))
    assert fields["Username"] == "rescue"
    assert re.fullmatch(r"recovered-admins-[0-9a-f]{8}", fields["Group"])
    assert "rename it" in result.stdout
    rescue = instance.user("rescue")
    assert check_password(fields["Password"], rescue["password"])
    assert rescue["is_owner"] == 1
    assert rescue["must_change_password"] == 1
    [(permissions,)] = instance.query(
        "SELECT g.permissions FROM groups_group g JOIN groups_membership m ON m.group_id = g.id "
        "WHERE m.user_id = ? AND g.name = ?",
        rescue["id"], fields["Group"],
    )  # fmt: skip
    assert permissions == '["admin"]'
    assert len(instance.audit("user.admin_recreated")) == 1
    assert "is now its owner" in result.stdout

    again = instance.manage("recreate_admin", "-u", "second")
    assert again.returncode == 1
    assert "exists already: “rescue”" in again.stderr
    assert instance.user("second") == {}


def test_recreate_admin_refuses_an_invalid_name(instance):
    result = instance.manage("recreate_admin", "-u", "admin")
    assert result.returncode == 1
    assert "“admin” is reserved" in result.stderr
    assert instance.query("SELECT COUNT(*) FROM accounts_user") == [(0,)]


# --- fix_usernames ---------------------------------------------------------------------------

LEGACY = """
from accounts.models import User

for index, name in enumerate(["jose", "josé", "john doe", "mary jane", "mary/jane"]):
    user = User.objects.create_user(f"legacy{index}", None)
    User.objects.filter(pk=user.pk).update(username=name)
"""


def test_fix_usernames_with_a_collision_then_resolved(instance):
    instance.shell(LEGACY)

    dry = instance.manage("fix_usernames", "--dry-run")
    assert dry.returncode == 2
    assert "Would rename “john doe” to “john-doe”." in dry.stdout
    assert instance.user("john doe") != {}

    result = instance.manage("fix_usernames")
    assert result.returncode == 2
    assert "Renamed “john doe” to “john-doe”." in result.stdout
    assert "Collision: “josé”: “jose” belongs to another account" in result.stdout
    assert "Collision: “mary jane” and “mary/jane”" in result.stdout
    assert "keep names that break the rules" in result.stderr
    assert instance.user("john-doe") != {}
    assert instance.user("josé") != {}

    resolved = instance.manage("fix_usernames", "--resolve", "suffix")
    assert resolved.returncode == 0, resolved.stderr
    assert "Renamed “josé” to “jose-1” (collision on “jose”)." in resolved.stdout
    names = {name for (name,) in instance.query("SELECT username FROM accounts_user")}
    assert names == {"jose", "jose-1", "john-doe", "mary-jane-1", "mary-jane-2"}
    assert len(instance.audit("user.renamed")) == 4

    assert instance.manage("fix_usernames").stdout.strip() == (
        "Every username follows the rules; nothing to change."
    )


# --- All three -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "explains"),
    [
        ("reset_password", "asked twice, when the command runs in a terminal"),
        ("recreate_admin", "creates a group with a temporary name"),
        ("fix_usernames", "Collisions are listed and left unchanged"),
    ],
)
def test_help_explains_the_command(migrated, command, explains):
    result = Instance(migrated).manage(command, "--help")
    assert result.returncode == 0
    assert explains in result.stdout
    assert "docker exec" in result.stdout
    assert "exit status" in result.stdout.lower()
