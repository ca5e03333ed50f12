"""Randomness for what every page makes anew (the Content-Security-Policy nonce, the CSRF
token's mask), read from the operating system in blocks.

Each `os.urandom` call is a system call during which Python lets other threads run: under a
server's threads, the two calls of a board page (its nonce, its token) were two more chances
to hand the interpreter to another thread and wait to take it back, measured as 3.6 more
thread switches a request than the 30-card page, on a machine where a switch costs more than
the call. The bytes are the operating system's, each handed out once; only the reading is
batched. A forked process (gunicorn's workers are forked from a master that loaded the
application) starts with none of its parent's bytes.
"""

import base64
import os
import threading

from django.utils.csp import LazyNonce
from django.utils.functional import SimpleLazyObject

BLOCK = 4096
_buffer = bytearray()
_lock = threading.Lock()


def random_bytes(count: int) -> bytes:
    """`count` bytes from the operating system's generator, never handed out twice."""
    with _lock:
        if len(_buffer) < count:
            _buffer.extend(os.urandom(max(BLOCK, count)))
        taken = bytes(_buffer[:count])
        del _buffer[:count]
    return taken


def _forget() -> None:
    global _lock
    _lock = threading.Lock()  # the parent's may have been held by a thread the child lacks
    _buffer.clear()


os.register_at_fork(after_in_child=_forget)


def token_urlsafe(count: int) -> str:
    """What `secrets.token_urlsafe(count)` answers, from `random_bytes`."""
    return base64.urlsafe_b64encode(random_bytes(count)).rstrip(b"=").decode("ascii")


class _Nonce(LazyNonce):
    """Django's lazy nonce (made when a page first asks for it), 16 bytes as Django's."""

    def __init__(self):
        SimpleLazyObject.__init__(self, lambda: token_urlsafe(16))


def nonce_middleware(get_response):
    """Right inside Django's CSP middleware, which stays (`check --deploy` looks for it): the
    request's nonce, not made yet, made from `random_bytes` when a page asks for it."""

    def middleware(request):
        request._csp_nonce = _Nonce()
        return get_response(request)

    return middleware
