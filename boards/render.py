"""Everything a board page needs, in a fixed number of queries: the sections and their items
(two queries, whatever the number of widgets), the data of every widget (one loader call per
kind, no query for the built-in kinds), the viewer's collapsed categories (one query), the
page's style sheet and its Content-Security-Policy."""

import copy
import json
import threading
from collections import OrderedDict, defaultdict

from django.conf import settings
from django.template import Context, engines
from django.utils.csp import CSP
from django.utils.safestring import SafeString
from django.utils.translation import get_language

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


def attach_data(items: list[Item], request) -> None:
    """Sets `item.data` on every item, calling each kind's loader once for all its items."""
    by_kind: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        item.data = None
        by_kind[item.kind].append(item)
    for kind, group in by_kind.items():
        widget = get_widget(kind)
        if widget is not None and widget.loader is not None:
            for item, data in zip(group, widget.loader(group, request), strict=True):
                item.data = data


def collapsed_sections(request, sections: list[Section]) -> set[int]:
    categories = [s.pk for s in sections if s.is_category]
    if not categories or not request.user.is_authenticated:
        return set()
    return set(
        CollapsedSection.objects.filter(user=request.user, section_id__in=categories).values_list(
            "section_id", flat=True
        )
    )


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
    for item in items:
        rules.append(
            f"#item-{int(item.pk)}{{grid-area:{int(item.y) + 1}/{int(item.x) + 1}"
            f"/span {int(item.h)}/span {int(item.w)}}}"
        )
    narrow = [f".board-grid{{grid-template-columns:repeat({NARROW_COLUMNS},minmax(0,1fr))}}"]
    for item in items:
        narrow.append(
            f"#item-{int(item.pk)}{{grid-area:{int(item.ny) + 1}/{int(item.nx) + 1}"
            f"/span {int(item.nh)}/span {int(item.nw)}}}"
        )
    rules.append("@media (max-width:640px){" + "".join(narrow) + "}")
    return "\n".join(rules)


def board_csp(items: list[Item]) -> dict:
    """The site's policy, plus a nonce for the page's style sheet and exactly the frame and
    form-action origins that the board's iframes and search boxes need."""
    config = copy.deepcopy(settings.SECURE_CSP)
    extra: dict[str, set[str]] = defaultdict(set)
    for item in items:
        widget = get_widget(item.kind)
        if widget is not None and widget.csp_sources is not None:
            for directive, sources in widget.csp_sources(item.options).items():
                extra[directive].update(sources)
    config["style-src"] = [*config.get("style-src", [CSP.SELF]), CSP.NONCE]
    for directive, sources in extra.items():
        current = [s for s in config.get(directive, []) if s != CSP.NONE]
        config[directive] = [*current, *sorted(sources)]
    return config


def with_board_csp(response, items: list[Item]):
    # What django.views.decorators.csp.csp_override does, with a policy computed per board.
    response._csp_config = board_csp(items)
    return response


UNKNOWN_TEMPLATE = "boards/item_unknown.html"
RENDERED_CACHE_SIZE = 4096


class _RenderedCache:
    """Widget bodies already rendered in this process, keyed by everything they depend on
    (template, item, board name, editing, language, options, data), least recently used out.
    A widget's template sees nothing else, so a key can never name two different outputs."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[tuple, SafeString] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> SafeString | None:
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def put(self, key: tuple, value: SafeString) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


rendered_cache = _RenderedCache(RENDERED_CACHE_SIZE)


def render_item(item: Item, board: Board, editing: bool = False) -> SafeString:
    """One widget's body. Widget templates get only their own context (no request, no context
    processors), which keeps a board of 60 widgets cheap to render, and the result is kept
    for the next page showing the same widget with the same data."""
    widget = item.widget
    name = widget.template if widget is not None else UNKNOWN_TEMPLATE
    data = getattr(item, "data", None)
    try:
        options, data_text = (
            json.dumps(item.options, sort_keys=True),
            json.dumps(data, sort_keys=True),
        )
        key = (name, item.id, board.name, editing, get_language(), options, data_text)
    except (TypeError, ValueError):
        key = None  # data that JSON cannot describe: rendered every time
    if key is not None and (cached := rendered_cache.get(key)) is not None:
        return cached
    template = engines["django"].engine.get_template(name)
    context = Context(
        {"item": item, "options": item.options, "data": data, "board": board, "editing": editing},
        autoescape=True,
    )
    html = template.render(context)
    if key is not None:
        rendered_cache.put(key, html)
    return html
