"""Password hashing that cannot exhaust the server's memory (issue 17): argon2id parameters from
the settings with OWASP's minimum, old hashes upgraded at login, the dummy hash of unknown users
made like a real one, and a bound on concurrent hashes per process (429 beyond it)."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.contrib.auth import hashers as django_hashers
from django.contrib.auth.hashers import make_password
from django.test import Client

from accounts import hashers
from sessions_admin.models import LoginRecord
from tests.conftest import PASSWORD
from tests.hashers import CountingHasher, _CountingMD5

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/accounts/login/"
ARGON2 = ["accounts.hashers.Argon2PasswordHasher"]
CURRENT = "$argon2id$v=19$m=19456,t=2,p=1$"


def post_login(client, username, password=PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


# --- parameters ------------------------------------------------------------------------------


def start(tmp_path, **variables) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AUTH_", "REDIS_"))}
    environment.update(
        DJANGO_SETTINGS_MODULE="homeportal.settings", DATA_DIR=str(tmp_path), **variables
    )
    code = "import django; django.setup(); from django.conf import settings as s; print('started')"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"AUTH_ARGON2_MEMORY_KIB": "4096"}, "AUTH_ARGON2_MEMORY_KIB must be at least 7168"),
        ({"AUTH_ARGON2_TIME_COST": "1"}, "AUTH_ARGON2_TIME_COST must be at least 2"),
        (
            {"AUTH_ARGON2_MEMORY_KIB": "9216", "AUTH_ARGON2_TIME_COST": "3"},
            "AUTH_ARGON2_TIME_COST must be at least 4",
        ),
        ({"AUTH_ARGON2_PARALLELISM": "0"}, "AUTH_ARGON2_PARALLELISM must be at least 1"),
        ({"AUTH_ARGON2_MEMORY_KIB": "lots"}, "AUTH_ARGON2_MEMORY_KIB must be a whole number"),
    ],
)
def test_argon2_parameters_below_owasps_minimum_are_refused_at_start_up(tmp_path, variables, named):
    result = start(tmp_path, **variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr


def test_owasps_other_settings_start(tmp_path):
    result = start(tmp_path, AUTH_ARGON2_MEMORY_KIB="47104", AUTH_ARGON2_TIME_COST="1")
    assert result.returncode == 0, result.stderr


def test_new_hashes_use_owasps_argon2id_parameters(settings):
    settings.PASSWORD_HASHERS = ARGON2
    assert make_password(PASSWORD).startswith("argon2" + CURRENT)
    settings.AUTH_ARGON2_MEMORY_KIB, settings.AUTH_ARGON2_TIME_COST = 47104, 1
    assert "$m=47104,t=1,p=1$" in make_password(PASSWORD)


@pytest.mark.django_db
def test_an_old_hash_is_upgraded_at_the_next_login(people, settings):
    settings.PASSWORD_HASHERS = ARGON2
    old = django_hashers.Argon2PasswordHasher()  # Django's defaults: 100 MiB, 8 lanes
    user = people.member
    user.password = old.encode(PASSWORD, old.salt())
    user.save()
    assert "$m=102400,t=2,p=8$" in user.password

    assert post_login(Client(), "mia", "wrong-password-123").status_code == 400
    user.refresh_from_db()
    assert "$m=102400,t=2,p=8$" in user.password  # a wrong password changes nothing

    assert post_login(Client(), "mia").status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2" + CURRENT)
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_an_unknown_user_costs_a_hash_with_the_same_parameters(people, settings, monkeypatch):
    settings.PASSWORD_HASHERS = ARGON2
    people.member.set_password(PASSWORD)
    people.member.save()
    made, verified = [], []
    encode, verify = hashers.Argon2PasswordHasher.encode, hashers.Argon2PasswordHasher.verify

    def spy_encode(self, password, salt):
        made.append(encode(self, password, salt))
        return made[-1]

    def spy_verify(self, password, encoded):
        verified.append(encoded)
        return verify(self, password, encoded)

    monkeypatch.setattr(hashers.Argon2PasswordHasher, "encode", spy_encode)
    monkeypatch.setattr(hashers.Argon2PasswordHasher, "verify", spy_verify)
    post_login(Client(), "ghost", "wrong-password-123")
    post_login(Client(), "mia", "wrong-password-123")
    [dummy], [real] = made, verified
    assert CURRENT in dummy and CURRENT in real


# --- the bound on concurrent hashes ----------------------------------------------------------


def test_concurrent_hashes_never_exceed_the_slots(settings, monkeypatch):
    settings.AUTH_ARGON2_CONCURRENCY = 2
    settings.AUTH_ARGON2_QUEUE_WAIT = 30
    running, peak, lock = [0], [0], threading.Lock()
    encode = _CountingMD5.encode

    def slow_encode(self, password, salt):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return encode(self, password, salt)

    monkeypatch.setattr(_CountingMD5, "encode", slow_encode)
    threads = [threading.Thread(target=make_password, args=(PASSWORD,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 2


@pytest.fixture
def every_slot_taken(settings):
    """Another request holds this process's only hashing slot; nobody waits for it."""
    settings.AUTH_ARGON2_CONCURRENCY = 1
    settings.AUTH_ARGON2_QUEUE_WAIT = 0
    semaphore = hashers._semaphore()
    assert semaphore.acquire(timeout=5)
    yield
    semaphore.release()


@pytest.mark.django_db
def test_a_login_beyond_the_bound_gets_429_without_a_hash_or_a_failure(
    people, settings, every_slot_taken
):
    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 1
    CountingHasher.calls = 0
    for username in ("mia", "ghost"):  # a known and an unknown user alike
        response = post_login(Client(), username, "wrong-password-123")
        assert response.status_code == 429
        assert b"Too many sign-ins right now, try again in a moment." in response.content
        assert response["Retry-After"]
    assert CountingHasher.calls == 0
    assert not LoginRecord.objects.filter(success=False).exists()
    hashers._semaphore().release()  # the other request ends
    try:
        # Not counted: with a limit of one failure, the right password still gets in.
        client = Client()
        assert post_login(client, "mia").status_code == 302
        assert CountingHasher.calls == 1
    finally:
        assert hashers._semaphore().acquire(timeout=5)


@pytest.mark.django_db
def test_other_pages_that_hash_answer_429_too(people, login, every_slot_taken):
    response = login(people.member).post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "a-new-long-passphrase-42",
         "new_password2": "a-new-long-passphrase-42"},
    )  # fmt: skip
    assert response.status_code == 429
    assert b"Too many sign-ins right now" in response.content
