"""Boards, sections and widgets for tests, with valid options for every kind."""

from boards.layout import generate_narrow
from boards.markdown import render_markdown
from boards.models import Board, BoardAccess, Item, Section

NOTE = "# Hello\n\nSome **bold** text and a [link](https://example.org)."
OPTIONS = {
    "app": {
        "name": "Jellyfin",
        "url": "https://jellyfin.example.org",
        "brand_icon": "",
        "icon": "",
        "description": "Films",
        "new_tab": True,
        "ping": False,
        "ping_url": "",
    },
    "bookmarks": {
        "title": "Reading",
        "new_tab": False,
        "links": [
            {"name": "Django", "url": "https://www.djangoproject.com/"},
            {"name": "htmx", "url": "https://htmx.org/"},
        ],
    },
    "clock": {
        "title": "Paris",
        "time_zone": "Europe/Paris",
        "hour12": "",  # hours as each viewer prefers
        "show_seconds": False,
        "show_date": True,
    },
    "notes": {
        "title": "Notes",
        "text": NOTE,
        "html": render_markdown(NOTE),  # stored at save, as the notes form does
    },
    "iframe": {
        "title": "Grafana",
        "url": "https://grafana.example.org/d/abc",
        "height": 0,
        "allow_scripts": True,
        "allow_same_origin": True,
        "allow_forms": False,
        "allow_popups": False,
        "allow_fullscreen": False,
    },
    "search": {
        "title": "Web",
        "engine": "https://duckduckgo.com/?q=%s",
        "placeholder": "",
        "new_tab": False,
    },
    # Integration widgets: the integration is checked when a layout is saved or imported.
    "downloads": {"title": "Downloads", "integration": 1},
    "system": {"title": "", "integration": 1},
    "calendar": {"title": "Family", "integration": 1, "days": 7},
    "values": {"title": "", "integration": 1, "layout": "table"},
    "entities": {
        "title": "Home",
        "integration": 1,
        "entities": ["sensor.living_room_temperature", "switch.coffee_maker"],
    },
    "stat": {
        "title": "CPU",
        "integration": 1,
        "query": "node_load1",
        "unit": "",
        "decimals": 1,
        "warn": 2.0,
        "critical": 4.0,
        "direction": "above",
    },
    "graph": {
        "title": "Load",
        "integration": 1,
        "query": "node_load1",
        "unit": "",
        "decimals": 1,
        "range": "1h",
    },
}
INTEGRATION_KINDS = ("downloads", "system", "calendar", "values", "entities", "stat", "graph")
KINDS = tuple(k for k in OPTIONS if k not in INTEGRATION_KINDS)  # fill_board's kinds


def make_board(name: str, owner=None, *, public: bool = False, title: str = "", **fields) -> Board:
    return Board.objects.create(
        name=name, title=title or name.title(), owner=owner, is_public=public, **fields
    )


def add_section(board: Board, kind: str = "area", title: str = "", position: int = 0) -> Section:
    return Section.objects.create(board=board, kind=kind, title=title, position=position)


def add_item(section: Section, kind: str, box=(0, 0, 2, 1), narrow=(0, 0, 4, 1), **options):
    x, y, w, h = box
    nx, ny, nw, nh = narrow
    if kind == "notes" and "text" in options and "html" not in options:
        options["html"] = render_markdown(options["text"])  # as the notes form stores it
    return Item.objects.create(
        board=section.board,
        section=section,
        kind=kind,
        options={**OPTIONS[kind], **options},
        x=x,
        y=y,
        w=w,
        h=h,
        nx=nx,
        ny=ny,
        nw=nw,
        nh=nh,
    )


def fill_board(board: Board, count: int, sections: int = 2) -> list[Item]:
    """`count` widgets of every kind, spread over `sections` sections (categories and areas),
    laid out left to right in rows, with a generated phone layout."""
    made = [
        add_section(board, "category" if n % 2 == 0 else "area", f"Section {n}", n)
        for n in range(sections)
    ]
    items: list[Item] = []
    per_section = -(-count // sections)
    for s_index, section in enumerate(made):
        boxes = []
        kinds = []
        for n in range(min(per_section, count - len(items) - len(boxes))):
            kind = KINDS[(s_index * per_section + n) % len(KINDS)]
            boxes.append(((n % 6) * 2, n // 6, 2, 1))
            kinds.append(kind)
        narrow = generate_narrow(boxes, board.columns)
        items.extend(
            Item.objects.bulk_create(
                Item(
                    board=board,
                    section=section,
                    kind=kind,
                    options=OPTIONS[kind],
                    x=b[0],
                    y=b[1],
                    w=b[2],
                    h=b[3],
                    nx=n[0],
                    ny=n[1],
                    nw=n[2],
                    nh=n[3],
                )
                for kind, b, n in zip(kinds, boxes, narrow, strict=True)
            )
        )
    return items


def grant(board: Board, level: str, *, user=None, group=None) -> BoardAccess:
    return BoardAccess.objects.create(board=board, user=user, group=group, level=level)
