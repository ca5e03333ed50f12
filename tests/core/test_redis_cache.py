"""The Redis cache backend (homeportal/cache.py) reuses one client per connection pool instead
of making one per operation, and works as Django's does."""

import os
import threading

import pytest
from django.core.cache import caches

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: the Redis cache backend"
)


def test_operations_share_one_client():
    import redis

    backend = caches["default"]
    made = []
    init = redis.Redis.__init__

    def counting(self, *args, **kwargs):
        made.append(self)
        init(self, *args, **kwargs)

    redis.Redis.__init__ = counting
    try:
        backend.get("warm-up")  # the first operation of this thread may make its client
        made.clear()
        backend.set("shared-client", 1)
        assert backend.get_many(["shared-client", "other"]) == {"shared-client": 1}
        assert backend.incr("shared-client") == 2
        backend.delete("shared-client")
    finally:
        redis.Redis.__init__ = init
    assert made == []  # Django's own backend makes a client for each of the four


def test_the_shared_client_serves_threads_at_once():
    errors = []

    def work(n: int) -> None:
        try:
            backend = caches["default"]
            for i in range(50):
                backend.set(f"thread-{n}-{i}", i)
                assert backend.get(f"thread-{n}-{i}") == i
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_asking_for_no_keys_sends_nothing():
    """A page whose apps have no status check asks the cache for the statuses of none
    (boards.ping.cached_statuses): no round trip for that."""
    import redis

    backend = caches["default"]
    backend.set("present", 1)
    sent = []
    execute = redis.Redis.execute_command

    def counting(self, *args, **options):
        sent.append(args[0])
        return execute(self, *args, **options)

    redis.Redis.execute_command = counting
    try:
        assert backend.get_many([]) == {}
        backend.delete_many([])
        backend.set_many({}, 60)
        assert sent == []
        assert backend.get_many(["present", "absent"]) == {"present": 1}
        backend.delete_many(["present"])
        assert sent == ["MGET", "DEL"]
    finally:
        redis.Redis.execute_command = execute
    assert backend.get("present") is None
