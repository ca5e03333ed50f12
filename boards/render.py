"""Everything a board page needs, in a fixed number of queries: the sections and their items
(one query, whatever the number of widgets), the data of every widget (one loader call per
kind, no query for the built-in kinds), the viewer's collapsed categories (one query), the
page's style sheet and its Content-Security-Policy.

The board's body (sections and widgets), its style sheet and the sources its policy needs are
rendered once per (board, board version, language) and kept in the shared cache as a
`BoardBody`, one lookup for every viewer of the board. What differs per viewer or per moment
is left out of it as slots filled on every request without rendering the body again: whether
each category is open (the viewer's collapsed categories), the collapse address (only for a
logged-in viewer), and each widget's `live` partial (the clock's time, an app's status).
Every change to a board, its sections or its items moves `Board.updated` (and layout saves
`Board.version`), which names a new body; old ones expire from the cache.
"""

import hashlib
import html
import json
import re
import secrets
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    CharField,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    Value,
)
from django.db.models.functions import Cast
from django.template import Context, engines
from django.template.backends.django import DjangoTemplates
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from accounts import preferences
from boards.models import (
    HEX_COLOR,
    NARROW_COLUMNS,
    Board,
    CollapsedSection,
    Item,
    Section,
    validate_background_url,
)
from boards.widgets import get_widget
from homeportal.compiled import CompiledQuery


def load_sections(board: Board) -> list[Section]:
    """The board's sections in order, each with `item_list`: its items in reading order.

    Two queries whatever the size; grouped here rather than by prefetch_related, which costs
    more than the queries themselves on a 60-widget board.
    """
    sections = list(board.sections.all())
    by_section: dict[int, list[Item]] = {section.id: [] for section in sections}
    for item in Item.objects.filter(board_id=board.id).order_by("y", "x", "id"):
        item.board = board
        by_section.setdefault(item.section_id, []).append(item)
    for section in sections:
        section.item_list = by_section[section.id]
    return sections


ITEM_FIELDS = ("id", "section_id", "kind", "options", "x", "y", "w", "h", "nx", "ny", "nw", "nh")


class BodyItem:
    """What rendering a widget reads of an item, without a model instance's cost (a board's
    body builds 60 of them on its first view)."""

    __slots__ = (*ITEM_FIELDS, "board", "data", "options_text", "stored")
    id: int
    section_id: int
    kind: str
    options: dict
    x: int
    y: int
    w: int
    h: int
    nx: int
    ny: int
    nw: int
    nh: int
    board: Board
    data: object
    options_text: str | None  # the options as stored: what render_item keys the widget by
    stored: tuple | None  # the row as stored (options as text), when it was read as one

    def __init__(self, board: Board, values: tuple, options_text: str | None = None,
                 stored: tuple | None = None):  # fmt: skip
        # ITEM_FIELDS in order, assigned at once (a loop of setattr cost three times more).
        (self.id, self.section_id, self.kind, self.options, self.x, self.y, self.w, self.h,
         self.nx, self.ny, self.nw, self.nh) = values  # fmt: skip
        self.board = board
        self.data = None
        self.options_text = options_text
        self.stored = stored

    @property
    def pk(self) -> int:
        return self.id

    @property
    def widget(self):
        return get_widget(self.kind)


class LiveItem:
    """What a widget's `live` partial and its loader read of an item (id, kind, options), for
    the partials rendered on every view of a board: a model instance costs ten times more to
    make, and a 60-widget board has a live partial in most of its widgets."""

    __slots__ = ("board", "data", "id", "kind", "options")
    board: Board
    data: object
    id: int
    kind: str
    options: dict

    def __init__(self, board: Board, pk: int, kind: str, options: dict):
        self.id, self.kind, self.options, self.board, self.data = pk, kind, options, board, None

    @property
    def pk(self) -> int:
        return self.id

    @property
    def widget(self):
        return get_widget(self.kind)


# What the loaders and the partials read of an item: the model, or one of the lighter rows above.
ItemLike = Item | BodyItem | LiveItem


_OPTIONS_AT = ITEM_FIELDS.index("options")
# Options decoded in this process, by their stored text: a board's first view after a change
# decodes only the items that changed (60 decodings were a tenth of a big board's first view).
# Every reader shares the decoded value, as the live partials of a kept body already do:
# nothing that renders a board writes to an item's options (a form saves new ones).
_DECODED: dict[str, object] = {}
DECODED_CHARACTERS = 2_000_000  # the texts kept, at most: then the memo starts again
_decoded_size = [0]


def decoded_options(value):
    """Stored options as Django's JSONField decodes them, from this process's memo when it
    has decoded the same text before."""
    if type(value) is not str:
        return value
    found = _DECODED.get(value, _DECODED)
    if found is not _DECODED:
        return found
    found = _json_value(value)
    if _decoded_size[0] + len(value) > DECODED_CHARACTERS:
        _DECODED.clear()  # rare: a process that has seen 2 million characters of options
        _decoded_size[0] = 0
    _DECODED[value] = found
    _decoded_size[0] += len(value)
    return found


def _json_value(value: str):
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value  # what Django's JSONField answers for text that is not JSON


SECTION_FIELDS = ("id", "board_id", "kind", "title", "position")
# A board's sections, each with its items, in one query, its SQL compiled once
# (homeportal.compiled): a row per item with its section's fields before them, and a row of
# the section alone (the item's fields null) for a section without items. The items joined
# are those of the board (the join's own condition), as `load_sections` reads them.
_BODY_ROWS = CompiledQuery(
    lambda board_id: (
        Section.objects.filter(board_id=board_id)
        .annotate(own=FilteredRelation("items", condition=Q(items__board_id=F("board_id"))))
        .order_by("position", "id", "own__y", "own__x", "own__id")
        .values_list(*SECTION_FIELDS, *(f"own__{name}" for name in ITEM_FIELDS))
    )
)


def load_body_sections(board: Board) -> list[Section]:
    """`load_sections` for rendering only, in one query: items as `BodyItem`s.

    The rows are read as the database gives them: for the 60 items of a big board the ORM's
    per-row conversions took 3.1 ms where the query and the decoding of the options take
    0.5 ms (a seventh of a first view); the options are the only value that needs converting
    (JSON text on every database homeportal runs on), and they are decoded as the JSON field
    would, once per process for the same text (`decoded_options`)."""
    sections: list[Section] = []
    section = None
    width, at = len(SECTION_FIELDS), len(SECTION_FIELDS) + _OPTIONS_AT
    for row in _BODY_ROWS.rows(board.id, convert=False):
        if section is None or section.id != row[0]:  # a section's rows come together
            section = Section.from_db(None, SECTION_FIELDS, row[:width])
            section.item_list = []
            sections.append(section)
        if row[width] is None:
            continue  # the row of a section without items
        stored = row[at]
        values = (*row[width:at], decoded_options(stored), *row[at + 1 :])
        text = stored if type(stored) is str else None
        section.item_list.append(BodyItem(board, values, text, row[width:] if text else None))
    return sections


def attach_data(items: Sequence[ItemLike], request) -> None:
    """Sets `item.data` on every item, calling each kind's loader once for all its items."""
    by_kind: dict[str, list[ItemLike]] = defaultdict(list)
    for item in items:
        item.data = None
        by_kind[item.kind].append(item)
    for kind, group in by_kind.items():
        widget = get_widget(kind)
        if widget is not None and widget.loader is not None:
            for item, data in zip(group, widget.loader(group, request), strict=True):
                item.data = data


COLLAPSED_TIMEOUT = 30 * 24 * 3600


def collapsed_key(user_id: int, board_id: int) -> str:
    return f"board-collapsed:{user_id}:{board_id}"


def collapsed_from_database(user, board: Board) -> set[int]:
    """The categories of `board` that `user` has collapsed (one query), kept in the shared
    cache for their next view; `remember_collapsed` replaces it on every change."""
    found = set(
        CollapsedSection.objects.filter(user=user, section__board_id=board.pk).values_list(
            "section_id", flat=True
        )
    )
    cache.set(collapsed_key(user.pk, board.pk), found, COLLAPSED_TIMEOUT)
    return found


VIEWER_COLLAPSED = "viewer_collapsed"
_UNREAD = object()


def with_collapsed(queryset: QuerySet, user_id: int) -> QuerySet:
    """The board page's lookup (Grants.find's `for_viewer`): the categories the viewer has
    collapsed on the board, as comma-separated ids (None when none), read in the board's own
    query rather than in a round trip of their own."""
    ids = (
        CollapsedSection.objects.filter(user_id=user_id, section__board_id=OuterRef("pk"))
        .order_by()
        .values("user_id")
        .annotate(ids=StringAgg(Cast("section_id", CharField()), delimiter=Value(",")))
        .values("ids")
    )
    return queryset.annotate(**{VIEWER_COLLAPSED: Subquery(ids)})


def remember_collapsed(user, board: Board) -> None:
    """After the user collapsed or opened a category: their set, read again and cached."""
    collapsed_from_database(user, board)


def _text_color(accent: str) -> str:
    """Black or white text, whichever reads better on the accent color."""
    r, g, b = (int(accent[i : i + 2], 16) / 255 for i in (1, 3, 5))
    channel = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    luminance = 0.2126 * channel[0] + 0.7152 * channel[1] + 0.0722 * channel[2]
    return "#0b1220" if luminance > 0.35 else "#ffffff"


def _valid(validator, value) -> bool:
    try:
        validator(value)
    except Exception:
        return False
    return True


def board_css(board: Board, items: list[Item]) -> str:
    """The page's own style sheet: the board's look and each item's place in both layouts.

    Only validated values are written (integers, a #rrggbb color, an address without quotes,
    brackets or spaces), so nothing stored can break out of the style sheet.
    """
    rules = [_item_rules(item) for item in items]
    return _style_sheet(board, [wide for wide, _ in rules], [narrow for _, narrow in rules])


def _item_rules(item: Item | BodyItem) -> tuple[str, str]:
    """An item's place on a wide page and on a phone, as style rules."""
    pk = int(item.pk)
    return (
        f"#item-{pk}{{grid-area:{int(item.y) + 1}/{int(item.x) + 1}"
        f"/span {int(item.h)}/span {int(item.w)}}}",
        f"#item-{pk}{{grid-area:{int(item.ny) + 1}/{int(item.nx) + 1}"
        f"/span {int(item.nh)}/span {int(item.nw)}}}",
    )


def _style_sheet(board: Board, wide: list[str], narrow: list[str]) -> str:
    rules = []
    if board.color_scheme in ("light", "dark"):
        rules.append(f"html[data-theme]{{color-scheme:{board.color_scheme}}}")
    if board.accent_color and _valid(HEX_COLOR, board.accent_color):
        accent = board.accent_color.lower()
        rules.append(f":root{{--accent:{accent};--accent-text:{_text_color(accent)}}}")
    if board.background_url and _valid(validate_background_url, board.background_url):
        rules.append(f'.board-page{{background-image:url("{board.background_url}")}}')
    columns = int(board.columns)
    rules.append(f".board-grid{{grid-template-columns:repeat({columns},minmax(0,1fr))}}")
    rules.extend(wide)
    phone = f".board-grid{{grid-template-columns:repeat({NARROW_COLUMNS},minmax(0,1fr))}}"
    rules.append("@media (max-width:640px){" + phone + "".join(narrow) + "}")
    return "\n".join(rules)


def csp_sources(items: list[Item]) -> dict[str, list[str]]:
    """The frame and form-action origins that the board's iframes and search boxes need."""
    return _merged_sources(_item_sources(item) for item in items)


def _item_sources(item: ItemLike) -> dict[str, list[str]] | None:
    widget = get_widget(item.kind)
    if widget is None or widget.csp_sources is None:
        return None
    return widget.csp_sources(item.options)


def _merged_sources(each) -> dict[str, list[str]]:
    extra: dict[str, set[str]] = defaultdict(set)
    for sources in each:
        if sources:
            for directive, origins in sources.items():
                extra[directive].update(origins)
    return {directive: sorted(origins) for directive, origins in extra.items()}


def csp_with(extra: dict[str, list[str]]) -> dict:
    """The site's policy, plus a nonce for the page's style sheet and the `extra` sources."""
    config: dict[str, Collection[str] | str] = {
        k: list(v) if isinstance(v, list | tuple) else v for k, v in settings.SECURE_CSP.items()
    }
    config["style-src"] = [*config.get("style-src", [CSP.SELF]), CSP.NONCE]
    for directive, sources in extra.items():
        current = [s for s in config.get(directive, []) if s != CSP.NONE]
        config[directive] = [*current, *sources]
    return config


def board_csp(items: list[Item]) -> dict:
    return csp_with(csp_sources(items))


def with_board_csp(response, items: list[Item]):
    # What django.views.decorators.csp.csp_override does, with a policy computed per board.
    response._csp_config = board_csp(items)
    return response


UNKNOWN_TEMPLATE = "boards/item_unknown.html"
RENDERED_CACHE_SIZE = 4096


class RenderedCache[V]:
    """Things rendered in this process, keyed by everything they depend on, least recently
    used out: widget bodies (template, item, board name, editing, language, options, data:
    a widget's template sees nothing else, so a key can never name two different outputs),
    live partials, board bodies, the board page's frames (boards.frame) and the API's board
    sections. A key that names its whole content never serves an old one, so several server
    processes can each keep their own."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[tuple, V] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> V | None:
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def put(self, key: tuple, value: V) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def discard(self, key: tuple) -> None:
        with self.lock:
            self.entries.pop(key, None)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


rendered_cache: RenderedCache[SafeString] = RenderedCache(RENDERED_CACHE_SIZE)


# json.dumps builds an encoder on every call made with an option; the widgets' cache keys
# (a few per widget, on every first view) share this one.
_key_text = json.JSONEncoder(sort_keys=True).encode
_FLAT = frozenset((str, int, float, bool, type(None)))


def _data_key(data) -> object:
    """A live partial's data as part of a cache key: a flat dict (a clock's time, an app's
    status) as its items with their types (so 1, 1.0 and True stay apart, as JSON keeps
    them), which costs a tenth of encoding it; anything else as JSON text."""
    if type(data) is dict and all(type(v) in _FLAT for v in data.values()):
        return tuple(sorted((str(k), type(v), v) for k, v in data.items()))
    return _key_text(data)


def render_item(
    item: Item | BodyItem,
    board: Board,
    editing: bool = False,
    live_slot: str | None = None,
    language: str | None = None,
) -> SafeString:
    """One widget's body. Widget templates get only their own context (no request, no context
    processors), which keeps a board of 60 widgets cheap to render, and the result is kept
    for the next page showing the same widget with the same data.

    With `live_slot` (the board page's shared body), the template writes that marker where its
    `live` partial goes; the partial is rendered for each request by `render_live`. `language`:
    the active one, when the caller has already asked for it (a body asks once for 60 widgets)."""
    widget = item.widget
    name = widget.template if widget is not None else UNKNOWN_TEMPLATE
    data = getattr(item, "data", None)
    try:
        options = getattr(item, "options_text", None) or _key_text(item.options)
        data_key = "" if data is None else _data_key(data)
        language = language or get_language()
        key = (name, item.id, board.name, editing, language, options, data_key, live_slot)
    except (TypeError, ValueError):
        key = None  # data that JSON cannot describe: rendered every time
    if key is not None and (cached := rendered_cache.get(key)) is not None:
        return cached
    template = cast(DjangoTemplates, engines["django"]).engine.get_template(name)
    context = Context(
        {
            "item": item,
            "options": item.options,
            "data": data,
            "board": board,
            "editing": editing,
            # A marker made here, never from stored data.
            "live_slot": live_slot and mark_safe(live_slot),  # noqa: S308
        },
        autoescape=True,
    )
    rendered = template.render(context)
    if key is not None:
        rendered_cache.put(key, rendered)
    return rendered


def render_live(item: ItemLike, board: Board) -> SafeString:
    """A widget's `live` partial with its data of this request (board page, not editing)."""
    widget = item.widget
    template = cast(DjangoTemplates, engines["django"]).engine.get_template(
        f"{widget.template}#live"
    )
    context = Context(
        {
            "item": item,
            "options": item.options,
            "data": getattr(item, "data", None),
            "board": board,
            "editing": False,
        },
        autoescape=True,
    )
    return template.render(context)


# --- The shared board body ---------------------------------------------------------------------

BODY_TIMEOUT = 7 * 24 * 3600
# Marks a per-viewer slot in a body while it is rendered: `kind:argument`. The token is random
# per process, so nothing stored on a board can forge one.
_SLOT_TOKEN = secrets.token_hex(8)
_SLOT = re.compile(rf"<!--slot-{_SLOT_TOKEN}:(\w+):([^>]*?)-->")


def _slot(kind: str, argument: object = "") -> str:
    return f"<!--slot-{_SLOT_TOKEN}:{kind}:{argument}-->"


def _templates_digest() -> str:
    """Names the code and static files that bodies refer to, so a new release never serves
    an old body."""
    digest = hashlib.sha256()
    folder = Path(settings.BASE_DIR) / "templates" / "boards"
    for path in sorted(folder.rglob("*.html")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for path in sorted((Path(__file__).parent).rglob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    manifest = Path(settings.STATIC_ROOT or ".") / "staticfiles.json"  # hashed static names
    if settings.STATIC_ROOT and manifest.is_file():
        digest.update(manifest.read_bytes())
    return digest.hexdigest()[:12]


_DIGEST: list[str] = []


def board_stamp(board: Board) -> str:
    """Names a board's content as this release renders it: the release's digest, the board,
    its version and its last change (every change moves one of them). Cached renderings of a
    board (its body here, its sections in the API) are kept under it."""
    if not _DIGEST:
        _DIGEST.append(_templates_digest())
    stamp = board.updated.timestamp() if board.updated else 0
    return f"{_DIGEST[0]}:{board.pk}:{board.version}:{stamp}"


def body_key(board: Board) -> str:
    return f"board-body:{board_stamp(board)}:{get_language()}"


@dataclass
class BoardBody:
    """A board's rendered body, shared by all its viewers: HTML parts with the slots between
    them, the page's style sheet, the sources its policy needs, and the items whose live
    partial is rendered per request (id, kind, options)."""

    parts: list  # str, then (kind, argument) slots and str in turn
    css: str
    csp: dict[str, list[str]]
    live: list[tuple[int, str, dict]]
    empty: bool

    def html(self, *, collapsed: set[int], remember: bool, live: dict[int, str]) -> bytes:
        """The body for one viewer, as UTF-8: the parts are encoded once per process (a page
        with one character outside ASCII is a string of two bytes a character, and encoding
        the whole page on every request cost more than assembling it)."""
        encoded = self.__dict__.get("_encoded")
        if encoded is None:
            encoded = [part.encode() if type(part) is str else part for part in self.parts]
            self.__dict__["_encoded"] = encoded
        out = []
        for part in encoded:
            if type(part) is bytes:
                out.append(part)
                continue
            kind, argument = part
            if kind == "live":
                out.append(live.get(int(argument), "").encode())
            elif kind == "open":
                if int(argument) not in collapsed:
                    out.append(b" open")
            elif kind == "collapse" and remember:
                out.append(f' data-collapse-url="{argument}"'.encode())
        return b"".join(out)

    def __getstate__(self) -> dict:
        """What the shared cache keeps: not what this process worked out from the parts."""
        return {k: v for k, v in self.__dict__.items() if k not in ("_encoded", "_categories")}

    @property
    def categories(self) -> list[int]:
        found = self.__dict__.get("_categories")
        if found is None:
            found = [int(p[1]) for p in self.parts if type(p) is tuple and p[0] == "open"]
            self.__dict__["_categories"] = found
        return found


_ANY_SECTION = 987654321


def _collapse_url(board: Board):
    """The collapse address of the board's categories by section id: reversed once per body
    (a reverse costs more than a widget's kept rendering)."""
    url = reverse("boards:collapse", args=[board.name, _ANY_SECTION])
    # The id is the address's last number: the board's name, before it, may hold the same.
    head, _, tail = url.rpartition(str(_ANY_SECTION))
    return lambda section_id: f"{head}{int(section_id)}{tail}"


# What the body shows of one item, kept per process by everything it is made of (the board's
# name, the language, the item's row as stored and its data): its article, its two style
# rules and the sources the page's policy needs for it. After a change only the changed
# items are made again (a kept article still comes from render_item's kept rendering).
_pieces: RenderedCache[tuple] = RenderedCache(RENDERED_CACHE_SIZE)


def _piece(item: BodyItem, board: Board, language: str) -> tuple:
    try:
        data_key = "" if item.data is None else _data_key(item.data)
    except (TypeError, ValueError):
        data_key = None  # data that JSON cannot describe: made every time
    key = (board.name, language, item.stored, data_key)
    if item.stored is not None and data_key is not None:
        found = _pieces.get(key)
        if found is not None:
            return found
    slot = _slot("live", item.pk)
    article = (
        f'<article class="board-item widget-{html.escape(item.kind)}" id="item-{int(item.pk)}">'
        f"{render_item(item, board, live_slot=slot, language=language)}</article>\n"
    )
    piece = (article, *_item_rules(item), _item_sources(item))
    if item.stored is not None and data_key is not None:
        _pieces.put(key, piece)
    return piece


def render_body(board: Board, request) -> BoardBody:
    """Renders a board's shared body (one query: the sections with their items)."""
    sections = load_body_sections(board)
    items = [item for section in sections for item in section.item_list]
    attach_data(items, request)
    language = get_language()
    collapse_url = None
    chunks, wide, narrow, sources = [], [], [], []
    for section in sections:
        articles = []
        for item in section.item_list:
            article, wide_rule, narrow_rule, item_sources = _piece(item, board, language)
            articles.append(article)
            wide.append(wide_rule)
            narrow.append(narrow_rule)
            sources.append(item_sources)
        grid = f'<div class="board-grid">\n{"".join(articles)}</div>\n'
        # Text from the database: escaped as Django's escape does (html.escape), without its
        # lazy-text wrapper, which cost more than the escaping on a 60-widget body.
        title = html.escape(section.title)
        if section.is_category:
            collapse_url = collapse_url or _collapse_url(board)
            url = collapse_url(section.pk)
            chunks.append(
                f'<details class="board-section category" id="section-{int(section.pk)}"'
                f"{_slot('open', section.pk)}{_slot('collapse', url)}>\n"
                f"  <summary><h2>{title}</h2></summary>\n{grid}</details>\n"
            )
        else:
            label = f' aria-label="{title}"' if section.title else ""
            chunks.append(
                f'<section class="board-section area" id="section-{int(section.pk)}"{label}>\n'
                f"{grid}</section>\n"
            )
    pieces = _SLOT.split("".join(chunks))
    parts: list = []
    for index in range(0, len(pieces), 3):
        parts.append(pieces[index])
        if index + 2 < len(pieces):
            parts.append((pieces[index + 1], pieces[index + 2]))
    live_ids = {int(p[1]) for p in parts if type(p) is tuple and p[0] == "live"}
    return BoardBody(
        parts=parts,
        css=_style_sheet(board, wide, narrow),
        csp=_merged_sources(sources),
        live=[(item.pk, item.kind, item.options) for item in items if item.pk in live_ids],
        empty=not sections,
    )


def board_body(board: Board, request=None, shared_cache=None) -> BoardBody:
    """The board's body from the shared cache, rendered and stored there when missing."""
    shared_cache = shared_cache or cache
    key = body_key(board)
    body = shared_cache.get(key)
    if body is None:
        body = render_body(board, request)
        shared_cache.set(key, body, BODY_TIMEOUT)
    return body


# Bodies this process served last. A body key names its whole content (the board's version
# and last change, the language, the release), so a copy kept here is never out of date: a
# change names a new key, which every process reads from the shared cache (or renders) once.
local_bodies: RenderedCache[BoardBody] = RenderedCache(64)


def forget_body(board: Board) -> None:
    """Drops the board's current body from the shared cache and this process, as a change
    would: its next view renders it again."""
    key = body_key(board)
    cache.delete(key)
    local_bodies.discard((key,))


def page_parts(board: Board, request, key: str | None = None) -> tuple[BoardBody, set[int]]:
    """The board's shared body (under `key`, its body_key) and the viewer's collapsed
    categories: one cache round-trip for both when they are not known (none for the body when
    this process has it, none for the categories when the board's lookup read them)."""
    user = request.user
    key = key or body_key(board)
    body = local_bodies.get((key,))
    wanted = [key] if body is None else []
    # Read with the board by the board page's lookup (with_collapsed), else from the cache.
    shown = board.__dict__.get(VIEWER_COLLAPSED, _UNREAD)
    if user.is_authenticated and shown is _UNREAD and (body is None or body.categories):
        wanted.append(collapsed_key(user.pk, board.pk))
    found = cache.get_many(wanted) if wanted else {}
    if body is None:
        body = found.get(key)
        if body is None:
            body = render_body(board, request)
            cache.set(key, body, BODY_TIMEOUT)
        local_bodies.put((key,), body)
    if not user.is_authenticated or not body.categories:
        return body, set()
    if shown is not _UNREAD:
        return body, {int(pk) for pk in shown.split(",")} if shown else set()
    collapsed = found.get(collapsed_key(user.pk, board.pk))
    if collapsed is None:
        collapsed = collapsed_from_database(user, board)
    return body, collapsed


def live_fragments(body: BoardBody, board: Board, request,
                   key: str | None = None) -> dict[int, str]:  # fmt: skip
    """This request's live partials of the body's widgets (their data loaded now). A partial
    depends on its item (named, with its options, by the body's key), its data and the
    viewer's time settings: one rendered for the same (a clock's minute, an app's status) is
    used again."""
    if not body.live:
        return {}
    items = [LiveItem(board, pk, kind, options) for pk, kind, options in body.live]
    attach_data(items, request)
    # What a partial may show of the viewer besides its data: their time zone and time format.
    viewer = (key or body_key(board), timezone.get_current_timezone_name(),
              preferences.time_format())  # fmt: skip
    fragments: dict[int, str] = {}
    for item in items:
        try:
            cache_key = ("live", viewer, item.pk, _data_key(item.data))
        except (TypeError, ValueError):
            fragments[item.pk] = render_live(item, board)  # data JSON cannot describe
            continue
        fragment = rendered_cache.get(cache_key)
        if fragment is None:
            fragment = render_live(item, board)
            rendered_cache.put(cache_key, fragment)
        fragments[item.pk] = fragment
    return fragments
