"""Throttling of password and second-factor checks, counted in the cache.

Every check (a login, a 2FA code, turning 2FA off, new recovery codes) first *reserves* an
attempt on three counters, atomically, before any password is hashed or code compared:

- the (account, client address) pair, limited to AUTH_THROTTLE_ACCOUNT_ATTEMPTS: an attacker's
  address is stopped after a few guesses, while the owner's own address keeps working;
- the client address, limited to AUTH_THROTTLE_IP_ATTEMPTS: one address guessing many accounts;
- the account across all addresses, limited to AUTH_THROTTLE_ACCOUNT_CEILING (much higher): a
  distributed guess. An address where the account logged in before is exempt from this one, so
  even then the owner gets in from home.

A reservation beyond a limit is refused without a check, so parallel guesses can never have more
than the limit checked, across threads and, with REDIS_URL, across server processes (a Lua script
makes the check-and-count one step in Redis; a lock does it in the in-process cache). A failure
keeps its reservation and locks a counter that is full for AUTH_THROTTLE_LOCKOUT; a success gives
its reservation back and clears the pair; a cancelled attempt (nothing was checked) gives it back.
Counters live for AUTH_THROTTLE_WINDOW.

Account names are normalised (accounts.usernames.canonical) before they become keys, so other
spellings of one name share its counters.
"""

import contextlib
import hashlib
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache

from accounts.usernames import canonical

_LOCAL = threading.Lock()  # makes the in-process cache's check-and-count one step

# KEYS: n counters then their n locks. ARGV: window (ms), then the n limits.
# Returns the lock's remaining ms when one is set, -1 when a counter is full, else 0 (reserved).
_RESERVE = """
local n = #KEYS / 2
for i = 1, n do
  local wait = redis.call('PTTL', KEYS[n + i])
  if wait > 0 then return wait end
end
for i = 1, n do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i + 1]) then return -1 end
end
for i = 1, n do
  redis.call('INCR', KEYS[i])
  if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
end
return 0
"""
# KEYS: n counters. Gives one reservation back on each (never below zero, never re-creating).
_RELEASE = """
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 0
"""
# KEYS: n counters then their n locks. ARGV: lock-out (ms), until (epoch s), the n limits.
# Locks every full counter and starts its count again.
_FAIL = """
local n = #KEYS / 2
for i = 1, n do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i + 2]) then
    redis.call('SET', KEYS[n + i], ARGV[2], 'PX', ARGV[1])
    redis.call('DEL', KEYS[i])
  end
end
return 0
"""


class Locked(Exception):
    """The attempt is refused before any check; `wait` is in seconds."""

    def __init__(self, wait: int):
        super().__init__(wait)
        self.wait = wait


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]
    return f"login-throttle:{kind}:{digest}"


def _generation(account: str) -> str:
    """Part of the pair keys: `clear` moves it on, which unlocks every address at once."""
    return str(cache.get(_key("generation", account)) or 0)


@dataclass
class Attempt:
    """One reserved check; end it with exactly one of failed, succeeded or cancel."""

    ip: str
    account: str
    limits: dict[str, int] = field(default_factory=dict)  # counter key → limit
    pair: str = ""
    known: str = ""
    done: bool = False

    def failed(self) -> None:
        if self._end():
            _lock_full(self.limits)

    def succeeded(self) -> None:
        if self._end():
            _release([k for k in self.limits if k != self.pair])
            cache.delete(self.pair)
            cache.set(self.known, 1, timeout=settings.AUTH_SESSION_EXPIRY_TIME)

    def cancel(self) -> None:
        """Nothing was checked (the server was too busy to hash): the attempt does not count."""
        if self._end():
            _release(list(self.limits))

    def _end(self) -> bool:
        ended, self.done = self.done, True
        return not ended


def _counters(ip: str, account: str) -> Attempt:
    generation = _generation(account)
    attempt = Attempt(
        ip=ip,
        account=account,
        pair=_key("pair", account, generation, ip),
        known=_key("known", account, generation, ip),
    )
    attempt.limits[attempt.pair] = settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS
    attempt.limits[_key("ip", ip)] = settings.AUTH_THROTTLE_IP_ATTEMPTS
    if not cache.get(attempt.known):
        attempt.limits[_key("account", account)] = settings.AUTH_THROTTLE_ACCOUNT_CEILING
    return attempt


def begin(ip: str, username: str) -> Attempt:
    """Reserves one check of `username`'s password or code from `ip`, or raises Locked."""
    attempt = _counters(ip, canonical(username))
    answer = reserve(attempt.limits, settings.AUTH_THROTTLE_WINDOW)
    if answer > 0:
        raise Locked(answer)
    if answer < 0:
        raise Locked(settings.AUTH_THROTTLE_LOCKOUT)
    return attempt


def _redis() -> RedisCache | None:
    """The cache when it is Redis (the scripts run there in one step), else None. `cache` is
    Django's proxy to the default cache, which is never an instance of a backend class: asking
    isinstance of the proxy answered "not Redis" on every Redis server."""
    backend = cache if isinstance(cache, BaseCache) else caches[DEFAULT_CACHE_ALIAS]
    return backend if isinstance(backend, RedisCache) else None


def reserve(limits: dict[str, int], window: int) -> int:
    """Counts one on every counter of `limits` (key -> limit) at once, unless one is locked or
    full: 0 when counted, the seconds a lock still lasts, or -1 when a counter is full.
    Counters live for `window` seconds from their first count. One step across processes
    (a Lua script in Redis, a lock in the in-process cache)."""
    return reserve_and_read(limits, window, [])[0]


def reserve_and_read(limits: dict[str, int], window: int,
                     read: list[str]) -> tuple[int, dict[str, Any]]:  # fmt: skip
    """`reserve`, and the cache's values of the keys `read` (as `cache.get_many` gives them),
    in one round trip with Redis: an API call counts itself and reads its holder's grants
    at once."""
    keys, values = list(limits), list(limits.values())
    if (redis := _redis()) is not None:
        made = [redis.make_and_validate_key(k) for k in keys]
        client = redis._cache.get_client(made[0], write=True)
        arguments: list[str | int] = [*made, *(m + ":lock" for m in made), window * 1000, *values]
        found = {}
        if not read:
            answer = int(client.eval(_RESERVE, 2 * len(made), *arguments))
        else:
            pipeline = client.pipeline(transaction=False)
            pipeline.eval(_RESERVE, 2 * len(made), *arguments)
            pipeline.mget([redis.make_and_validate_key(k) for k in read])
            answered, raw = pipeline.execute()
            answer = int(answered)
            # What get_many does with the values: Django's serializer of this cache.
            loads = redis._cache._serializer.loads  # type: ignore[attr-defined]  # not in the stubs
            found = {k: loads(v) for k, v in zip(read, raw, strict=True) if v is not None}
        return (math.ceil(answer / 1000) if answer > 0 else answer), found
    return _reserve_here(limits, window), (cache.get_many(read) if read else {})


def _reserve_here(limits: dict[str, int], window: int) -> int:
    """`reserve` with the in-process cache: one step under this process's lock."""
    keys = list(limits)
    with _LOCAL:
        wait = _lock_wait(keys)
        if wait:
            return wait
        counts = cache.get_many(keys)
        if any(counts.get(k, 0) >= limit for k, limit in limits.items()):
            return -1
        for key in keys:
            if not cache.add(key, 1, timeout=window):
                try:
                    cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.set(key, 1, timeout=window)
    return 0


def _lock_wait(keys: list[str]) -> int:
    until = [v for v in cache.get_many([k + ":lock" for k in keys]).values() if v]
    remaining = max((u - time.time() for u in until), default=0)
    return math.ceil(remaining) if remaining > 0 else 0


def _release(keys: list[str]) -> None:
    if (redis := _redis()) is not None:
        made = [redis.make_and_validate_key(k) for k in keys]
        redis._cache.get_client(made[0], write=True).eval(_RELEASE, len(made), *made)
        return
    with _LOCAL:
        for key, count in cache.get_many(keys).items():
            if count > 0:
                with contextlib.suppress(ValueError):  # expired meanwhile
                    cache.decr(key)


def _lock_full(limits: dict[str, int]) -> None:
    lockout = settings.AUTH_THROTTLE_LOCKOUT
    until = math.ceil(time.time() + lockout)
    keys = list(limits)
    if (redis := _redis()) is not None:
        made = [redis.make_and_validate_key(k) for k in keys]
        redis._cache.get_client(made[0], write=True).eval(
            _FAIL, 2 * len(made), *made, *(m + ":lock" for m in made), lockout * 1000, until,
            *limits.values(),
        )  # fmt: skip
        return
    with _LOCAL:
        counts = cache.get_many(keys)
        for key, limit in limits.items():
            if counts.get(key, 0) >= limit:
                cache.set(f"{key}:lock", until, timeout=lockout)
                cache.delete(key)


def locked_for(ip: str, username: str) -> int:
    """Seconds until a check for `username` from `ip` may be tried again; 0 if it may now."""
    return _lock_wait(list(_counters(ip, canonical(username)).limits))


def register_failure(ip: str, username: str) -> None:
    """Counts one failed check that was not reserved with `begin` (commands, tests)."""
    with contextlib.suppress(Locked):
        begin(ip, username).failed()


def clear(username: str) -> None:
    """Unlocks an account from every address (an admin reset, reset_password)."""
    account = canonical(username)
    key = _key("generation", account)
    cache.set(key, int(cache.get(key) or 0) + 1, timeout=None)
    ceiling = _key("account", account)
    cache.delete_many([ceiling, f"{ceiling}:lock"])
