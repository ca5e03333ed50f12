"""The Redis cache, with one client per connection pool.

Django's Redis backend makes a new `redis.Redis` for every operation, and redis-py fills in
some 170 response callbacks in each one's constructor: 0.2 ms, more than the round trip to a
Redis on the same machine, on every cache read and write of every request (an API call makes
two, a board page three). A `redis.Redis` is safe to share between threads, as each command
takes a connection from the pool and gives it back, so one per pool serves every operation.

Asked for no keys at all (a page whose apps have no status check reads the statuses of
none), the many-key operations answer at once: Django's send the command anyway, and Redis
answers it with an error that redis-py turns into an empty answer, a round trip for nothing.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _SharedClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict = {}

    def get_client(self, key=None, *, write=False):
        # Django's own attributes, which the stubs do not describe.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(pool)
        if client is None:
            made = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            client = self._clients.setdefault(pool, made)
        return client

    def get_many(self, keys):
        return super().get_many(keys) if keys else {}

    def delete_many(self, keys):
        if keys:
            super().delete_many(keys)

    def set_many(self, data, timeout):
        if data:
            super().set_many(data, timeout)


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _SharedClient
