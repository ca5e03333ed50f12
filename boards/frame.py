"""The board page around its body, rendered once per viewer and board.

Rendering `boards/board.html` and `base.html` (the menus, the header, the user menu, a dozen
URLs) cost half of a board page's time once the body came from the cache. What that frame
shows depends on a few things only, and `frame_key` names them all: the board's name, title
and description, the language, the address, the viewer's name and display preferences, the
menu entries their global permissions open, and their level on the board. The frame is
rendered with markers where the body, its style sheet, the CSRF token and the CSP nonce go,
kept in this process (the key names its whole content, so several servers can each keep their
own, and a change names a new key), and filled in on every request. A change to the board's
widgets or layout changes the body, not the frame: the first view after it renders the body
only.

Not cached: pages with messages to show, and an administrator acting as someone (its banner).

When base.html, board.html or the menus start showing something else of the viewer or the
board, add it to `frame_key`: `tests/boards/test_frame.py` changes every value named there and
checks that the page follows.
"""

import re
import secrets

from django.contrib.messages import get_messages
from django.middleware.csp import get_nonce
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from accounts.preferences import first_day_of_week
from boards.icon_views import may_upload_by_permission
from boards.models import Board
from boards.render import RenderedCache
from groups.permissions import AUDIT_VIEW, USER_MANAGE
from homeportal.csrf import masked_token

# Markers made here, never from stored data; letters and digits only, so escaping in the
# template (an attribute, a URL) leaves them as they are.
_TOKEN = secrets.token_hex(8)
BODY, CSS, CSRF, NONCE = (f"hpframe{_TOKEN}{n}" for n in ("body", "css", "csrf", "nonce"))
_BODY, _CSS, _CSRF, _NONCE = (marker.encode() for marker in (BODY, CSS, CSRF, NONCE))

_SLOT = re.compile(f"({BODY}|{CSS}|{CSRF}|{NONCE})".encode())

# A frame: its text cut at the markers, the markers at odd positions.
frames: RenderedCache[tuple[bytes, ...]] = RenderedCache(256)


def frame_key(request, board: Board, level: str | None, can_modify: bool,
              empty: bool) -> tuple | None:  # fmt: skip
    """Everything the frame shows, or None when this request's frame cannot be shared."""
    if getattr(request, "impersonator", None) is not None or len(get_messages(request)):
        return None
    user, grants = request.user, request.grants
    viewer = None
    if user.is_authenticated:
        viewer = (user.pk, user.get_short_name(), user.color_scheme, user.motion,
                  first_day_of_week(user), bool(user.time_zone), user.is_local)  # fmt: skip
    menus = (grants.is_admin, USER_MANAGE in grants.permissions, AUDIT_VIEW in grants.permissions,
             may_upload_by_permission(grants))  # fmt: skip
    shown = (board.pk, board.name, board.title, board.description)
    return (shown, request.path, get_language(), viewer, menus, level, can_modify, empty)


def render_page(request, context: dict, key: tuple | None) -> bytes:
    """The board page, as UTF-8: the frame for `key` (rendered when new) with this request's
    body (bytes, BoardBody.html), its style sheet, the CSRF token and the nonce."""
    parts = frames.get(key) if key is not None else None
    if parts is None:
        marked = {**context, "body": mark_safe(BODY), "board_css": CSS, "csrf_token": CSRF,  # noqa: S308 - a marker made here
                  "csp_nonce": NONCE}  # fmt: skip
        html = render(request, "boards/board.html", marked).content
        # Cut at the markers, the markers at odd places; an empty board's page has no body
        # marker. Kept as bytes: see BoardBody.html.
        parts = tuple(_SLOT.split(html))
        if key is not None:
            frames.put(key, parts)
    values = {
        _BODY: context["body"],
        _CSS: context["board_css"].encode(),
        _CSRF: masked_token(request).encode(),
        _NONCE: str(get_nonce(request)).encode(),
    }
    page = list(parts)
    page[1::2] = [values[marker] for marker in parts[1::2]]
    return b"".join(page)
