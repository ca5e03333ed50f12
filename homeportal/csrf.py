"""The CSRF token a page shows, masked as Django masks it, from one call for randomness.

Django hides the CSRF secret in every page under a fresh random mask (so a compressed page
does not give the secret away, BREACH): `get_token` draws the mask's 32 characters one by
one with `secrets.choice`, one `os.urandom` call each, which made it the costliest single step
of an unchanged board page. `masked_token` makes the same token (the mask, then the secret
shifted by it, in Django's 62 characters, which Django's middleware unmasks) from 40 random
bytes read at once. A byte of 248 or more is dropped so that every character stays equally
likely (248 is the largest multiple of 62 below 256).

Everything else is Django's: the secret is the one `CsrfViewMiddleware` read from the cookie,
or a new one (drawn the same way) when the browser had none, and asking for a token marks the
cookie to be sent, as `get_token` does. A secret the middleware would not have kept is left to
Django's own `get_token`.

`csrf_cookie_middleware` changes when Django's middleware sends the cookie: Django sends it
again with every page that shows a token, only to push its expiry (a year) forward. Here it
is sent when the browser does not hold this secret (a first visit, a new secret after login), and
with the session's own saves (at least once a minute while a logged-in session is used,
sessions_admin.middleware), which keeps it alive as long as it is used. A browser that used
no session for a year gets a new secret on its next page, as it would from Django once the
cookie expired.
"""

from django.conf import settings
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.utils.functional import SimpleLazyObject

from homeportal.randomness import random_bytes

_CHARS = CSRF_ALLOWED_CHARS
_SIZE = len(_CHARS)
_INDEX = {char: index for index, char in enumerate(_CHARS)}
_FAIR = 256 - 256 % _SIZE


def _random_indices() -> list[int]:
    """CSRF_SECRET_LENGTH indices into the alphabet, each equally likely."""
    indices: list[int] = []
    while len(indices) < CSRF_SECRET_LENGTH:
        indices += [byte % _SIZE for byte in random_bytes(40) if byte < _FAIR]
    return indices[:CSRF_SECRET_LENGTH]


def masked_token(request) -> str:
    """The CSRF token for a form of this response, as Django's `get_token` answers it."""
    meta = request.META
    if "CSRF_COOKIE" not in meta:  # a first visit: a new secret, for the cookie too
        meta["CSRF_COOKIE"] = "".join(_CHARS[index] for index in _random_indices())
    secret = meta["CSRF_COOKIE"]
    try:
        shifted = [_INDEX[char] for char in secret]
    except (KeyError, TypeError):  # not a secret the middleware would have kept
        return get_token(request)
    if len(shifted) != CSRF_SECRET_LENGTH:
        return get_token(request)
    meta["CSRF_COOKIE_NEEDS_UPDATE"] = True  # as get_token: send the cookie (again)
    mask = _random_indices()
    return "".join(_CHARS[index] for index in mask) + "".join(
        _CHARS[(s + m) % _SIZE] for s, m in zip(shifted, mask, strict=True)
    )


def csrf(request) -> dict:
    """Template context processor: `csrf_token` for `{% csrf_token %}`, made when a template
    uses it (Django's own processor, which always runs first, is overridden by this one)."""
    return {"csrf_token": SimpleLazyObject(lambda: masked_token(request))}


def csrf_cookie_middleware(get_response):
    """Right inside Django's CsrfViewMiddleware (which sends the cookie on the way out when a
    token was asked for): keeps the cookie from being sent again while the browser holds its
    secret and is not due (see the module's notes)."""

    def middleware(request):
        response = get_response(request)
        meta = request.META
        if (
            meta.get("CSRF_COOKIE_NEEDS_UPDATE")
            and not settings.CSRF_USE_SESSIONS
            and request.COOKIES.get(settings.CSRF_COOKIE_NAME) == meta.get("CSRF_COOKIE")
            and not getattr(getattr(request, "session", None), "modified", False)
        ):
            meta["CSRF_COOKIE_NEEDS_UPDATE"] = False
        return response

    return middleware
