"""Remembered answers from upstream services, fetched by one process at a time.

`shared_fetch(key, fetch, ttl)` answers the `Entry` stored under `key` in the shared cache
(Redis when REDIS_URL is set, so every server process shares it). While the entry is fresh it
is answered as is. When it is missing or stale, the first caller to take the key's lock (an
atomic `cache.add` with an expiry, so a crashed holder cannot keep it) calls `fetch` and
stores the answer; every other caller meanwhile gets the stale entry, marked with its age, or,
when there is none yet, waits briefly for the holder's answer. However many people watch, an
upstream sees one request per key and lifetime.

`fetch` returns the value or raises `Failure` with a reason and a message for people; a
failure is remembered like an answer (for its own lifetime), together with the last good
value and since when the service has been failing.

App-status pings and integration widgets both go through here.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

KEEP_SECONDS = 24 * 3600  # how long a stale entry is kept to be shown while refreshing
POLL_SECONDS = 0.05


class Failure(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Entry:
    at: float  # when it was fetched (epoch seconds)
    ttl: int
    ok: bool
    value: Any = None  # the answer, or the last good answer when failing
    value_at: float | None = None  # when `value` was fetched
    reason: str = ""  # when failing
    message: str = ""
    failing_since: float | None = None

    @property
    def age(self) -> float:
        return max(time.time() - self.at, 0.0)

    @property
    def fresh(self) -> bool:
        return self.age < self.ttl

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _entry(raw) -> Entry | None:
    if isinstance(raw, dict):
        try:
            return Entry(**raw)
        except TypeError:
            return None
    return None


def peek(key: str) -> Entry | None:
    """What is remembered under `key`, fresh or not, without fetching."""
    return _entry(cache.get(key))


def peek_many(keys: list[str]) -> dict[str, Entry]:
    found = cache.get_many(keys)
    return {k: e for k, raw in found.items() if (e := _entry(raw)) is not None}


def forget(key: str) -> None:
    """Makes the next caller fetch again (after an action changed the upstream's state)."""
    entry = peek(key)
    if entry is not None:
        stale = {**entry.as_dict(), "ttl": 0}
        cache.set(key, stale, KEEP_SECONDS)


def shared_fetch(
    key: str,
    fetch: Callable[[], Any],
    ttl: int | Callable[[Any], int],
    *,
    lock_seconds: float = 15.0,
    wait: float = 0.0,
) -> Entry | None:
    """The entry for `key`, fetched now only by the process holding the key's lock.

    None when nothing is remembered yet and the holder did not answer within `wait` seconds.
    """
    entry = peek(key)
    if entry is not None and entry.fresh:
        return entry
    token = secrets.token_hex(8)
    lock = key + ":lock"
    if not cache.add(lock, token, timeout=max(int(lock_seconds + 1), 1)):
        if entry is not None:
            return entry  # stale, with its age; someone is refreshing it
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            entry = peek(key)
            if entry is not None:
                return entry
        return None
    try:
        # Another process may have stored a fresh answer and let the lock go between our
        # first look and taking the lock: look again before asking the upstream.
        latest = peek(key)
        if latest is not None and latest.fresh:
            return latest
        entry = latest or entry
        now = time.time()
        try:
            value = fetch()
        except Failure as failure:
            previous = entry
            last_ok = previous is not None and previous.ok
            new = Entry(
                at=now,
                ttl=_ttl(ttl, None),
                ok=False,
                value=previous.value if previous is not None else None,
                value_at=(previous.at if last_ok else previous.value_at) if previous else None,
                reason=failure.reason,
                message=failure.message,
                failing_since=(
                    previous.failing_since
                    if previous is not None and not previous.ok and previous.failing_since
                    else now
                ),
            )
        else:
            new = Entry(at=now, ttl=_ttl(ttl, value), ok=True, value=value, value_at=now)
        cache.set(key, new.as_dict(), KEEP_SECONDS)
        return new
    finally:
        if cache.get(lock) == token:
            cache.delete(lock)


def _ttl(ttl: int | Callable[[Any], int], value: Any) -> int:
    return int(ttl(value) if callable(ttl) else ttl)
