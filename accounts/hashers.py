"""Password hashing that cannot exhaust the server's memory.

argon2id with OWASP's parameters for a home server (AUTH_ARGON2_MEMORY_KIB, AUTH_ARGON2_TIME_COST,
AUTH_ARGON2_PARALLELISM; settings.py refuses values below OWASP's minimum), and at most
AUTH_ARGON2_CONCURRENCY hashes at once in a server process: every hash needs its memory while it
runs, so parallel logins (or parallel guesses for different accounts) would otherwise add it up.
A hash that finds every slot taken waits up to AUTH_ARGON2_QUEUE_WAIT seconds, then gives up
with HashingBusy: the login answers 429 and nothing was checked.

Hashes made with other parameters (Django's defaults: 100 MiB, 8 lanes) still verify, and are
re-made with the current ones at the next successful login (Django's `must_update`).
"""

import contextlib
import ctypes
import threading

from django.conf import settings
from django.contrib.auth import hashers
from django.utils.translation import gettext_lazy as _lazy

BUSY = _lazy("Too many sign-ins right now, try again in a moment.")

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def _return_hash_memory_to_the_system() -> None:
    """Makes glibc serve every allocation of 1 MiB or more (argon2's memory) with its own
    mapping, given back to the system when the hash ends. By default glibc raises that
    threshold up to 32 MiB after the first such block is freed, and then keeps a 19 MiB block
    in each thread's heap for good: a server with 4 threads would hold 76 MiB after four
    logins, although the semaphore lets only two hash at once."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: its allocator's business
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, 1024 * 1024)


_return_hash_memory_to_the_system()
_depth = threading.local()  # a hasher's verify may call its own encode: one slot per thread
_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


class HashingBusy(Exception):
    """Every hashing slot of this process stayed taken for AUTH_ARGON2_QUEUE_WAIT seconds."""


def _semaphore() -> threading.BoundedSemaphore:
    size = settings.AUTH_ARGON2_CONCURRENCY
    with _slots_lock:
        if size not in _slots:
            _slots[size] = threading.BoundedSemaphore(size)
        return _slots[size]


class slot:
    """One of this process's hashing slots for the duration of the block, or HashingBusy."""

    def __enter__(self):
        depth = getattr(_depth, "value", 0)
        if depth == 0:
            self.semaphore = _semaphore()
            if not self.semaphore.acquire(timeout=settings.AUTH_ARGON2_QUEUE_WAIT):
                raise HashingBusy
        _depth.value = depth + 1
        return self

    def __exit__(self, *exc):
        _depth.value -= 1
        if _depth.value == 0:
            self.semaphore.release()
        return False


class BoundedHashing(hashers.BasePasswordHasher):
    """Mixin: every encode and verify holds one of the process's hashing slots."""

    def encode(self, password, salt):
        with slot():
            return super().encode(password, salt)

    def verify(self, password, encoded):
        with slot():
            return super().verify(password, encoded)


class Argon2PasswordHasher(BoundedHashing, hashers.Argon2PasswordHasher):
    """Django's argon2id hasher (same `argon2` prefix, so existing hashes verify) with the
    parameters from the settings."""

    @property
    def time_cost(self) -> int:  # type: ignore[override]  # read from the settings at each use
        return settings.AUTH_ARGON2_TIME_COST

    @property
    def memory_cost(self) -> int:  # type: ignore[override]  # read from the settings at each use
        return settings.AUTH_ARGON2_MEMORY_KIB

    @property
    def parallelism(self) -> int:  # type: ignore[override]  # read from the settings at each use
        return settings.AUTH_ARGON2_PARALLELISM
