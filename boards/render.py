"""Everything a board page needs, in a fixed number of queries: the sections and their items
(two queries, whatever the number of widgets), the data of every widget (one loader call per
kind, no query for the built-in kinds), the viewer's collapsed categories (one query), the
page's style sheet and its Content-Security-Policy."""

import copy
from collections import defaultdict

from django.conf import settings
from django.db.models import Prefetch
from django.utils.csp import CSP

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
    items = Item.objects.order_by("y", "x", "id")
    return list(board.sections.prefetch_related(Prefetch("items", queryset=items)))


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
