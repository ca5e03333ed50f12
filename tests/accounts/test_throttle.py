"""Login throttling under attack: parallel guesses, a lock-out aimed at the owner, other
spellings of a name, and the second-factor pages (issue 9, items 9 to 12)."""

import os
import threading
import time

import pyotp
import pytest
from django.db import connections
from django.test import Client

from accounts import throttle, two_factor
from sessions_admin.models import LoginRecord
from tests.conftest import PASSWORD, make_user
from tests.hashers import _CountingMD5

LOGIN = "/accounts/login/"
WRONG = "wrong-password-123"


def full_width(text: str) -> str:
    """`text` in the full-width forms of ASCII letters (U+FF01 onwards), as typed on a
    Japanese or Chinese keyboard."""
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def post_login(client, username, password=PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


@pytest.fixture
def slow_hashes(monkeypatch):
    """Every hash takes 50 ms and is counted, so parallel requests overlap while they hash."""
    made = []
    lock = threading.Lock()
    encode = _CountingMD5.encode

    def slow_encode(self, password, salt):
        time.sleep(0.05)
        with lock:
            made.append(password)
        return encode(self, password, salt)

    monkeypatch.setattr(_CountingMD5, "encode", slow_encode)
    return made


def race(count: int, post) -> list[int]:
    """`count` threads call `post(i)` at the same moment, each with its own connections."""
    barrier = threading.Barrier(count)
    statuses = [0] * count

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            statuses[i] = post(i)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


# --- item 9: a reservation before the hash ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_never_check_more_than_the_limit(people, settings, slow_hashes):
    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 5
    settings.AUTH_ARGON2_CONCURRENCY = 32  # the test measures the throttle, not the hash bound
    statuses = race(24, lambda i: post_login(Client(), "mia", f"{WRONG}-{i}").status_code)
    assert statuses == [400] * 24
    assert len(slow_hashes) == 5  # five passwords checked, the others refused before hashing
    assert LoginRecord.objects.filter(user=people.member, reason="invalid credentials").count() == 5
    assert LoginRecord.objects.filter(user=people.member, reason="throttled").count() == 19


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_from_many_addresses_never_pass_the_ceiling(people, settings, slow_hashes):
    settings.AUTH_THROTTLE_ACCOUNT_CEILING = 6
    settings.AUTH_ARGON2_CONCURRENCY = 32

    def guess(i: int) -> int:
        return post_login(Client(REMOTE_ADDR=f"198.51.100.{i}"), "mia", WRONG).status_code

    race(20, guess)
    assert len(slow_hashes) == 6


def test_reservations_are_shared_by_every_process(people, settings, monkeypatch, tmp_path):
    """An attempt reserved by one server process counts in another (with REDIS_URL, two
    clients of the same Redis; otherwise two caches on one folder)."""
    from tests.groups.test_resolver import _second_client

    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 2
    process_a, process_b = _second_client(tmp_path)
    monkeypatch.setattr(throttle, "cache", process_a)
    throttle.begin("192.0.2.1", "mia")  # still checking in process A
    monkeypatch.setattr(throttle, "cache", process_b)
    throttle.begin("192.0.2.1", "mia")  # process B: the last free place
    with pytest.raises(throttle.Locked):
        throttle.begin("192.0.2.1", "mia")


def test_a_cancelled_attempt_gives_its_place_back(people, settings):
    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 1
    throttle.begin("192.0.2.1", "mia").cancel()
    attempt = throttle.begin("192.0.2.1", "mia")
    with pytest.raises(throttle.Locked):
        throttle.begin("192.0.2.1", "mia")
    attempt.failed()
    assert throttle.locked_for("192.0.2.1", "mia") > 0


# --- item 10: per (account, address), with a ceiling -----------------------------------------


@pytest.mark.django_db
def test_an_attackers_guesses_do_not_lock_the_owner_out_of_another_address(people, settings):
    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 5
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(3):  # again and again: every lock-out, five more guesses
        for _ in range(5):
            post_login(attacker, "olivia", WRONG)
        assert b"Too many failed attempts" in post_login(attacker, "olivia").content
        throttle_reset_lock("203.0.113.66", "olivia")
    owner = Client(REMOTE_ADDR="192.168.1.20")
    assert post_login(owner, "olivia").status_code == 302
    assert owner.get("/").wsgi_request.user == people.owner


def throttle_reset_lock(ip: str, username: str) -> None:
    """The lock-out time passing, for the pair only (as the cache's expiry would do)."""
    from django.core.cache import cache

    attempt = throttle._counters(ip, username)
    cache.delete(f"{attempt.pair}:lock")


@pytest.mark.django_db
def test_the_ceiling_stops_a_distributed_attack(people, settings):
    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 5
    settings.AUTH_THROTTLE_ACCOUNT_CEILING = 12
    for i in range(12):  # a few guesses from each of many addresses
        post_login(Client(REMOTE_ADDR=f"198.51.100.{i // 3}"), "mia", WRONG)
    fresh = Client(REMOTE_ADDR="203.0.113.5")
    response = post_login(fresh, "mia")  # even the right password, from a new address
    assert response.status_code == 400
    assert b"Too many failed attempts" in response.content
    assert fresh.get("/").status_code == 302


@pytest.mark.django_db
def test_an_address_the_owner_logged_in_from_stays_open_past_the_ceiling(people, settings):
    settings.AUTH_THROTTLE_ACCOUNT_CEILING = 4
    home = Client(REMOTE_ADDR="192.168.1.20")
    assert post_login(home, "mia").status_code == 302
    for i in range(4):
        post_login(Client(REMOTE_ADDR=f"198.51.100.{i}"), "mia", WRONG)
    assert b"Too many failed" in post_login(Client(REMOTE_ADDR="203.0.113.5"), "mia").content
    assert post_login(Client(REMOTE_ADDR="192.168.1.20"), "mia").status_code == 302


@pytest.mark.django_db
def test_the_address_limit_still_stops_one_address_trying_many_accounts(people, settings):
    settings.AUTH_THROTTLE_IP_ATTEMPTS = 6
    client = Client(REMOTE_ADDR="10.9.9.9")
    for name in ("mia", "otto", "uma", "adam", "olivia", "ghost"):
        post_login(client, name, WRONG)
    assert b"Too many failed attempts" in post_login(client, "mia").content


# --- item 11: one spelling -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spelling", [full_width("tlock"), "TLOCK", full_width("Tlock") + " ", "tlock"]
)
def test_other_spellings_count_against_the_account_they_name(people, settings, spelling):
    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 3
    tlock = make_user("tlock")
    client = Client()
    for _ in range(3):
        assert post_login(client, spelling, WRONG).status_code == 400
    locked = post_login(client, "tlock")
    assert b"Too many failed attempts" in locked.content
    failures = LoginRecord.objects.filter(user=tlock, success=False)
    assert failures.filter(reason="invalid credentials").count() == 3
    assert set(failures.values_list("username", flat=True)) == {"tlock"}


@pytest.mark.django_db
def test_a_full_width_name_with_the_right_password_logs_into_that_account(people):
    tlock = make_user("tlock")
    client = Client()
    assert post_login(client, full_width("tlock")).status_code == 302
    assert client.get("/").wsgi_request.user == tlock


# --- item 12: the 2FA pages ------------------------------------------------------------------


def enable_2fa(user) -> pyotp.TOTP:
    pending = two_factor.start_setup(user)
    totp = pyotp.TOTP(two_factor.secret(pending))
    assert two_factor.confirm(pending, totp.at(time.time() - 30)) is not None
    return totp


@pytest.mark.django_db
def test_turning_off_2fa_is_throttled_like_login(people, settings, login):
    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 3
    totp = enable_2fa(people.member)
    client = login(people.member)
    for _ in range(3):
        client.post("/accounts/2fa/disable/", {"password": WRONG, "code": totp.now()})
    response = client.post(
        "/accounts/2fa/disable/", {"password": PASSWORD, "code": totp.now()}, follow=True
    )
    assert b"Too many failed attempts" in response.content
    assert two_factor.is_enabled(people.member)
    assert LoginRecord.objects.filter(user=people.member, success=False).count() == 3
    # The same counters as the login page: the password form is locked too.
    assert b"Too many failed attempts" in post_login(Client(), "mia").content


@pytest.mark.django_db
def test_renewing_recovery_codes_is_throttled_like_login(people, settings, login):
    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 3
    totp = enable_2fa(people.member)
    client = login(people.member)
    for _ in range(3):
        client.post("/accounts/2fa/recovery-codes/", {"code": "000000"})
    response = client.post("/accounts/2fa/recovery-codes/", {"code": totp.now()}, follow=True)
    assert b"Too many failed attempts" in response.content
    assert b"<code>" not in response.content
    assert LoginRecord.objects.filter(user=people.member, success=False).count() == 3


@pytest.mark.django_db
def test_a_locked_login_also_locks_the_2fa_pages(people, settings, login):
    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 2
    totp = enable_2fa(people.member)
    for _ in range(2):
        post_login(Client(), "mia", WRONG)
    client = login(people.member)
    client.post("/accounts/2fa/disable/", {"password": PASSWORD, "code": totp.now()})
    assert two_factor.is_enabled(people.member)


@pytest.mark.django_db
def test_the_current_password_on_the_password_page_is_throttled_like_login(people, settings, login):
    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 3
    client = login(people.member)
    new = "a-new-long-passphrase-42"
    for _ in range(3):
        response = client.post("/accounts/password/", {
            "old_password": WRONG, "new_password1": new, "new_password2": new,
        })  # fmt: skip
        assert b"Your current password is wrong." in response.content
    response = client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": new, "new_password2": new,
    })  # fmt: skip
    assert b"Too many failed attempts" in response.content
    people.member.refresh_from_db()
    assert people.member.check_password(PASSWORD)
    failures = LoginRecord.objects.filter(user=people.member, reason="wrong current password")
    assert failures.count() == 3


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: the Redis script")
def test_with_redis_a_reservation_is_one_step_of_the_server(people, settings, monkeypatch):
    """With Redis, checking and counting are one script run by the server, so two processes
    can never both take the last place. `cache` is Django's proxy to the default cache: the
    check that chose the script asked isinstance of the proxy, which is never a RedisCache,
    and every Redis server took the in-process path (read, compare, then count) instead."""
    import redis

    commands = []
    execute = redis.Redis.execute_command

    def recording(self, *args, **options):
        commands.append(args[0])
        return execute(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", recording)
    settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS = 1
    attempt = throttle.begin("192.0.2.1", "mia")
    assert "EVALSHA" in commands or "EVAL" in commands
    assert not {"MGET", "INCRBY", "EXISTS"} & set(commands), commands
    attempt.failed()
    with pytest.raises(throttle.Locked):
        throttle.begin("192.0.2.1", "mia")
