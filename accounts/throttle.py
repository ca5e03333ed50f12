"""Login throttling per client address and per account, counted in the cache.

Failures within AUTH_THROTTLE_WINDOW are counted; reaching the limit locks that key for
AUTH_THROTTLE_LOCKOUT. With REDIS_URL the counters are shared by every server process.
A successful login clears the account's counter (not the address's: one attacker trying many
accounts from one address stays locked).
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.lower().encode()).hexdigest()[:32]
    return f"login-throttle:{kind}:{digest}"


def _limits() -> dict[str, int]:
    return {
        "ip": settings.AUTH_THROTTLE_IP_ATTEMPTS,
        "account": settings.AUTH_THROTTLE_ACCOUNT_ATTEMPTS,
    }


def locked_for(ip: str, username: str) -> int:
    """Seconds until a login from `ip` for `username` may be tried again; 0 if it may now."""
    keys = [_key("ip", ip) + ":lock", _key("account", username) + ":lock"]
    until = [value for value in cache.get_many(keys).values() if value]
    remaining = max((u - time.time() for u in until), default=0)
    return math.ceil(remaining) if remaining > 0 else 0


def register_failure(ip: str, username: str) -> None:
    for kind, value in (("ip", ip), ("account", username)):
        key = _key(kind, value)
        cache.add(key, 0, timeout=settings.AUTH_THROTTLE_WINDOW)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=settings.AUTH_THROTTLE_WINDOW)
            count = 1
        if count >= _limits()[kind]:
            lockout = settings.AUTH_THROTTLE_LOCKOUT
            cache.set(f"{key}:lock", time.time() + lockout, timeout=lockout)
            cache.delete(key)


def register_success(username: str) -> None:
    key = _key("account", username)
    cache.delete_many([key, f"{key}:lock"])


def clear(username: str) -> None:
    """Unlocks an account (an admin reset, reset_password)."""
    register_success(username)
