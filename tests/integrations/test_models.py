"""Sealed integration secrets and the remembered-data path."""

import threading
import time

import pytest

from homeportal import crypto, shared_fetch
from integrations.models import Integration, IntegrationSecret

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(people):
    a = Integration.objects.create(
        name="A", kind="lab", url="http://127.0.0.1:1", owner=people.owner
    )
    b = Integration.objects.create(
        name="B", kind="lab", url="http://127.0.0.1:2", owner=people.owner
    )
    a.set_secrets({"username": "ann", "password": "alpha-secret"})
    b.set_secrets({"username": "bob", "password": "beta-secret"})
    return a, b


def test_a_sealed_secret_opens_only_in_its_own_row_and_field(two):
    a, b = two
    a_password = IntegrationSecret.objects.get(integration=a, name="password")
    b_password = IntegrationSecret.objects.get(integration=b, name="password")
    assert "alpha-secret" not in a_password.value
    b_password.value = a_password.value  # copied into another row
    with pytest.raises(crypto.DecryptionError):
        b_password.reveal()
    a_user = IntegrationSecret.objects.get(integration=a, name="username")
    a_user.value = a_password.value  # copied into another field name of the same integration
    with pytest.raises(crypto.DecryptionError):
        a_user.reveal()


def test_secret_changes_keep_clear_and_bump_the_version(two):
    a, _b = two
    version = a.secrets_version
    a.set_secrets({"username": None, "password": "new"})
    assert a.secret_values() == {"username": "ann", "password": "new"}
    a.set_secrets({"username": "", "password": ""})
    assert a.secret_values() == {}
    assert a.secrets_version == version + 2


def test_a_secret_never_prints_its_value(two):
    secret = IntegrationSecret.objects.get(integration=two[0], name="password")
    assert "alpha" not in str(secret) and "alpha" not in repr(secret)
    assert "v1:" not in str(secret)


def test_one_fetch_at_a_time_and_the_others_wait_for_its_answer():
    calls = []
    release = threading.Event()

    def fetch():
        calls.append(1)
        release.wait(2)
        return {"n": len(calls)}

    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(shared_fetch.shared_fetch("k", fetch, 30, wait=5))
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    release.set()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert [r.value for r in results] == [{"n": 1}] * 8


def test_stale_data_is_served_while_one_refresh_runs():
    shared_fetch.shared_fetch("k", lambda: "old", 30)
    shared_fetch.forget("k")
    started, release = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(2)
        return "new"

    refresher = threading.Thread(target=lambda: shared_fetch.shared_fetch("k", slow, 30))
    refresher.start()
    started.wait(2)
    during = shared_fetch.shared_fetch("k", lambda: pytest.fail("a second fetch"), 30)
    assert during.value == "old" and not during.fresh
    release.set()
    refresher.join()
    assert shared_fetch.shared_fetch("k", lambda: "never", 30).value == "new"


def test_a_failure_keeps_the_last_answer_and_since_when():
    shared_fetch.shared_fetch("k", lambda: "good", 30)
    shared_fetch.forget("k")

    def down():
        raise shared_fetch.Failure("unreachable", "Lab cannot be reached.")

    entry = shared_fetch.shared_fetch("k", down, 30)
    assert not entry.ok and entry.value == "good" and entry.message == "Lab cannot be reached."
    assert entry.value_at is not None and entry.failing_since is not None
    shared_fetch.forget("k")
    again = shared_fetch.shared_fetch("k", down, 30)
    assert again.failing_since == entry.failing_since and again.value == "good"


def test_an_answer_stored_while_taking_the_lock_is_not_fetched_again(monkeypatch):
    """The race between a holder's answer and the next caller's lock: looked at again."""
    from django.core.cache import cache

    shared_fetch.shared_fetch("k", lambda: "old", 30)
    shared_fetch.forget("k")
    real_add = cache.add

    def add_after_another_process_answered(key, *args, **kwargs):
        cache.set("k", shared_fetch.Entry(time.time(), 30, True, "fresh", time.time()).as_dict())
        return real_add(key, *args, **kwargs)

    monkeypatch.setattr(cache, "add", add_after_another_process_answered)
    entry = shared_fetch.shared_fetch("k", lambda: pytest.fail("fetched again"), 30)
    assert entry.value == "fresh"


def test_rotation_re_encrypts_integration_secrets(two, settings):
    from io import StringIO

    from django.core.management import call_command

    a, _b = two
    old_key, new_key = settings.SECRET_ENCRYPTION_KEY, bytes(range(32))
    before = dict(IntegrationSecret.objects.values_list("pk", "value"))
    settings.SECRET_ENCRYPTION_KEY, settings.SECRET_ENCRYPTION_OLD_KEYS = new_key, [old_key]
    out = StringIO()
    call_command("rotate_encryption_key", stdout=out)
    assert "integrations_integrationsecret.value: re-encrypted 4" in out.getvalue()
    settings.SECRET_ENCRYPTION_OLD_KEYS = []  # the old key is gone: the secrets still open
    for secret in IntegrationSecret.objects.all():
        assert secret.value != before[secret.pk] and not crypto.needs_rotation(secret.value)
    assert a.secret_values() == {"username": "ann", "password": "alpha-secret"}
