"""A board's layout as data: validating what an editor saves or a file imports, applying it,
generating the phone layout, and exporting.

The same structure serves the editor's save and the JSON export/import:

    {"columns": 12, "narrow_custom": false,
     "sections": [{"id": 3, "kind": "category", "title": "Media",
                   "items": [{"id": 7, "kind": "app", "options": {...},
                              "desktop": [x, y, w, h], "narrow": [x, y, w, h] or null}]}]}

`id`s name existing sections and items of the board being saved (an export has none). Every
placement must lie inside the grid and no two items of a section may overlap, in either layout;
every item's options go through its widget's form. Anything wrong refuses the whole change.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from boards.models import (
    MAX_COLUMNS,
    MAX_ITEM_HEIGHT,
    MAX_ITEMS,
    MAX_ROWS,
    MAX_SECTIONS,
    MIN_COLUMNS,
    NARROW_COLUMNS,
    Board,
    Item,
    Section,
    SectionKind,
)
from boards.widgets import get_widget
from homeportal.jsoninput import AnyOf, Bool, Int, JSONValue, List, Null, Obj, Str

EXPORT_FORMAT = "homeportal-board"
EXPORT_VERSION = 1
LOOK_FIELDS = ("title", "description", "color_scheme", "accent_color", "background_url")

Box = tuple[int, int, int, int]  # x, y, w, h

# The shapes of what the editor saves and an import reads, checked (homeportal.jsoninput)
# before anything looks inside; the rules of the grid and of each widget come after.
MAX_OPTION_KEYS = 50
ID = AnyOf(Int(minimum=1), Null())
TEXT_OR_NULL = AnyOf(Str(), Null())
BOX = List(Int(), length=4)
OPTIONS_SHAPE = Obj(other=JSONValue(), max_keys=MAX_OPTION_KEYS)
ITEM_SHAPE = Obj(
    {"id": ID, "kind": Str(max_length=64), "options": AnyOf(OPTIONS_SHAPE, Null()),
     "desktop": BOX, "narrow": AnyOf(BOX, Null())},
    required=("kind", "desktop"),
)  # fmt: skip
SECTION_SHAPE = Obj(
    {"id": ID, "kind": Str(max_length=32), "title": TEXT_OR_NULL,
     "items": AnyOf(List(ITEM_SHAPE, max_items=MAX_ITEMS), Null())},
)  # fmt: skip
SECTIONS = List(SECTION_SHAPE, max_items=MAX_SECTIONS)
LAYOUT_SHAPE = Obj(
    {"version": Int(), "columns": Int(), "narrow_columns": Int(), "narrow_custom": Bool(),
     "sections": SECTIONS},
    required=("version", "sections"),
)  # fmt: skip
EXPORT_SHAPE = Obj(
    {"format": Str(max_length=64), "format_version": Int(), "name": TEXT_OR_NULL,
     **{name: TEXT_OR_NULL for name in LOOK_FIELDS},
     "columns": Int(), "narrow_custom": Bool(), "sections": SECTIONS},
    required=("format", "format_version", "columns", "sections"),
)  # fmt: skip


class LayoutError(Exception):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass
class ParsedItem:
    id: int | None
    kind: str
    options: dict
    desktop: Box
    narrow: Box | None


@dataclass
class ParsedSection:
    id: int | None
    kind: str
    title: str
    items: list[ParsedItem] = field(default_factory=list)


@dataclass
class ParsedLayout:
    sections: list[ParsedSection]
    narrow_custom: bool


def _box(value, columns: int) -> Box | None:
    if not isinstance(value, list | tuple) or len(value) != 4:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return None
    x, y, w, h = value
    if x < 0 or y < 0 or w < 1 or h < 1 or x + w > columns:
        return None
    if h > MAX_ITEM_HEIGHT or y + h > MAX_ROWS:
        return None
    return (x, y, w, h)


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def parse_layout(data, *, columns: int, sections_by_id=None, items_by_id=None) -> ParsedLayout:
    """Checks `data` entirely; raises LayoutError with every problem found.

    `sections_by_id` / `items_by_id` are the board's existing rows that `id`s may name; None
    (an import) means ids are ignored and everything is new.
    """
    errors: list[str] = []
    allow_ids = sections_by_id is not None
    sections_by_id = sections_by_id or {}
    items_by_id = items_by_id or {}
    if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
        raise LayoutError([_("The layout is not understood (no list of sections).")])
    raw_sections = data["sections"]
    if len(raw_sections) > MAX_SECTIONS:
        raise LayoutError([_("A board has at most %(n)s sections.") % {"n": MAX_SECTIONS}])
    item_lists = [s.get("items") for s in raw_sections if isinstance(s, dict)]
    total = sum(len(items) for items in item_lists if isinstance(items, list))
    if total > MAX_ITEMS:
        raise LayoutError([_("A board has at most %(n)s widgets.") % {"n": MAX_ITEMS}])

    # Until the phone layout is arranged by hand it is regenerated, so phone places sent
    # along are ignored rather than checked.
    narrow_custom = bool(data.get("narrow_custom"))
    seen_sections: set[int] = set()
    seen_items: set[int] = set()
    sections: list[ParsedSection] = []
    for s_index, raw in enumerate(raw_sections, start=1):
        if not isinstance(raw, dict):
            errors.append(_("Section %(n)s is not understood.") % {"n": s_index})
            continue
        kind = raw.get("kind", SectionKind.AREA)
        title = raw.get("title") or ""
        if kind not in SectionKind.values:
            errors.append(_("Section %(n)s has an unknown kind.") % {"n": s_index})
            continue
        if not isinstance(title, str) or len(title) > 120:
            errors.append(_("Section %(n)s: the title is too long.") % {"n": s_index})
            continue
        if kind == SectionKind.CATEGORY and not title.strip():
            errors.append(_("Section %(n)s: a category needs a title.") % {"n": s_index})
        section_id = raw.get("id") if allow_ids else None
        if section_id is not None:
            if (
                not _is_id(section_id)
                or section_id not in sections_by_id
                or (section_id in seen_sections)
            ):
                errors.append(_("Section %(n)s is not part of this board.") % {"n": s_index})
                continue
            seen_sections.add(section_id)
        section = ParsedSection(section_id, kind, title.strip())
        label = title.strip() or _("section %(n)s") % {"n": s_index}
        raw_items = raw.get("items") or []
        if not isinstance(raw_items, list):
            errors.append(_("Section “%(s)s”: the widgets are not understood.") % {"s": label})
            continue
        for i_index, raw_item in enumerate(raw_items, start=1):
            where = _("Widget %(n)s in “%(s)s”") % {"n": i_index, "s": label}
            if not isinstance(raw_item, dict):
                errors.append(_("%(where)s is not understood.") % {"where": where})
                continue
            widget = get_widget(str(raw_item.get("kind")))
            if widget is None:
                errors.append(_("%(where)s is of an unknown kind.") % {"where": where})
                continue
            where = f"{where} ({widget.label})"
            item_id = raw_item.get("id") if allow_ids else None
            if item_id is not None:
                if not _is_id(item_id) or item_id not in items_by_id or item_id in seen_items:
                    errors.append(_("%(where)s is not part of this board.") % {"where": where})
                    continue
                if items_by_id[item_id].kind != widget.name:
                    errors.append(_("%(where)s cannot change its kind.") % {"where": where})
                    continue
                seen_items.add(item_id)
            options, form = widget.validate(raw_item.get("options"))
            if options is None:
                for name, messages in form.errors.items():
                    label_text = form.fields[name].label if name in form.fields else ""
                    for message in messages:
                        prefix = f"{label_text}: " if label_text else ""
                        errors.append(f"{where}: {prefix}{message}")
                continue
            desktop = _box(raw_item.get("desktop"), columns)
            if desktop is None:
                errors.append(
                    _("%(where)s: its position or size does not fit a grid of %(c)s columns.")
                    % {"where": where, "c": columns}
                )
                continue
            narrow = None
            if narrow_custom and raw_item.get("narrow") is not None:
                narrow = _box(raw_item.get("narrow"), NARROW_COLUMNS)
                if narrow is None:
                    errors.append(
                        _("%(where)s: its phone position or size does not fit the phone grid.")
                        % {"where": where}
                    )
                    continue
            section.items.append(ParsedItem(item_id, widget.name, options, desktop, narrow))
        for layout_name, attr in ((_("desktop"), "desktop"), (_("phone"), "narrow")):
            boxes = [(getattr(item, attr), n) for n, item in enumerate(section.items, start=1)]
            boxes = [(box, n) for box, n in boxes if box is not None]
            for a in range(len(boxes)):
                for b in range(a + 1, len(boxes)):
                    if _overlaps(boxes[a][0], boxes[b][0]):
                        errors.append(
                            _("In “%(s)s”, widgets %(a)s and %(b)s overlap (%(layout)s layout).")
                            % {
                                "s": label,
                                "a": boxes[a][1],
                                "b": boxes[b][1],
                                "layout": layout_name,
                            }
                        )
        sections.append(section)
    if errors:
        raise LayoutError(errors)
    # With a hand-arranged phone layout, items never placed on it go below the others.
    return ParsedLayout(sections, narrow_custom)


class Occupancy:
    """Cells taken in one section's grid."""

    def __init__(self, columns: int):
        self.columns = columns
        self.cells: set[tuple[int, int]] = set()

    def fits(self, x: int, y: int, w: int, h: int) -> bool:
        if x < 0 or x + w > self.columns:
            return False
        return not any((cx, cy) in self.cells for cx in range(x, x + w) for cy in range(y, y + h))

    def take(self, x: int, y: int, w: int, h: int) -> None:
        self.cells.update((cx, cy) for cx in range(x, x + w) for cy in range(y, y + h))

    def first_fit(self, w: int, h: int, start_y: int = 0) -> tuple[int, int]:
        w = min(w, self.columns)
        y = start_y
        while True:
            for x in range(0, self.columns - w + 1):
                if self.fits(x, y, w, h):
                    return x, y
            y += 1

    def bottom(self) -> int:
        return max((cy for _, cy in self.cells), default=-1) + 1


def narrow_size(w: int, h: int, columns: int) -> tuple[int, int]:
    """A desktop size's phone size: half the phone's width for small widgets (a quarter of the
    desktop's width or less, like app links), all of it for the others."""
    small = w * NARROW_COLUMNS <= columns
    return (NARROW_COLUMNS // 2 if small else NARROW_COLUMNS), h


def generate_narrow(desktop_boxes: list[Box], columns: int) -> list[Box]:
    """The phone layout of one section: the desktop items in reading order (top to bottom,
    left to right), each placed in the first free spot of a NARROW_COLUMNS-column grid."""
    order = sorted(
        range(len(desktop_boxes)), key=lambda i: (desktop_boxes[i][1], desktop_boxes[i][0])
    )
    grid = Occupancy(NARROW_COLUMNS)
    result: list[Box | None] = [None] * len(desktop_boxes)
    for index in order:
        _x, _y, w, h = desktop_boxes[index]
        nw, nh = narrow_size(w, h, columns)
        x, y = grid.first_fit(nw, nh)
        grid.take(x, y, nw, nh)
        result[index] = (x, y, nw, nh)
    return result  # type: ignore[return-value]


def fit_to_columns(boxes: list[Box], columns: int) -> list[Box]:
    """Boxes moved and shrunk so they fit `columns`, pushed down where they would overlap."""
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i][1], boxes[i][0]))
    grid = Occupancy(columns)
    result: list[Box | None] = [None] * len(boxes)
    for index in order:
        x, y, w, h = boxes[index]
        w = min(w, columns)
        x = min(x, columns - w)
        while not grid.fits(x, y, w, h):
            y += 1
        grid.take(x, y, w, h)
        result[index] = (x, y, w, h)
    return result  # type: ignore[return-value]


def scale_to_columns(boxes: list[Box], before: int, after: int) -> list[Box]:
    """Boxes of a `before`-column grid on an `after`-column one, each keeping its place
    relative to the width (left and right edges scaled), at least one column wide."""
    ratio = after / before
    scaled = []
    for x, y, w, h in boxes:
        left = min(round(x * ratio), after - 1)
        right = max(left + 1, min(round((x + w) * ratio), after))
        scaled.append((left, y, right - left, h))
    return scaled


def compact(boxes: list[Box]) -> list[Box]:
    """Gravity: in reading order, every box rises row by row until something is in its way
    (the editor does the same after every change), so no holes stay above a widget."""
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i][1], boxes[i][0]))
    grid = Occupancy(max((x + w for x, _y, w, _h in boxes), default=1))
    result: list[Box | None] = [None] * len(boxes)
    for index in order:
        x, y, w, h = boxes[index]
        while y > 0 and grid.fits(x, y - 1, w, h):
            y -= 1
        grid.take(x, y, w, h)
        result[index] = (x, y, w, h)
    return result  # type: ignore[return-value]


def _narrow_boxes(parsed: ParsedSection, columns: int, custom: bool) -> list[Box]:
    if not custom:
        return generate_narrow([i.desktop for i in parsed.items], columns)
    grid = Occupancy(NARROW_COLUMNS)
    for item in parsed.items:
        if item.narrow is not None:
            grid.take(*item.narrow)
    boxes = []
    for item in parsed.items:
        if item.narrow is not None:
            boxes.append(item.narrow)
            continue
        nw, nh = narrow_size(item.desktop[2], item.desktop[3], columns)
        x, y = grid.first_fit(nw, nh, start_y=grid.bottom())
        grid.take(x, y, nw, nh)
        boxes.append((x, y, nw, nh))
    return boxes


@transaction.atomic
def apply_layout(board: Board, parsed: ParsedLayout) -> list[dict]:
    """Makes the board's sections and items exactly `parsed` (ids kept, missing rows deleted).

    Answers the ids and phone placements of the saved sections and items, in `parsed`'s order,
    so an editor can name what it just created.
    """
    saved: list[dict] = []
    existing_sections: dict[int | None, Section] = {s.pk: s for s in board.sections.all()}
    existing_items: dict[int | None, Item] = {i.pk: i for i in board.items.all()}
    keep_sections = {s.id for s in parsed.sections if s.id is not None}
    keep_items = {i.id for s in parsed.sections for i in s.items if i.id is not None}
    Item.objects.filter(board=board).exclude(pk__in=keep_items).delete()
    Section.objects.filter(board=board).exclude(pk__in=keep_sections).delete()
    for position, parsed_section in enumerate(parsed.sections):
        section = existing_sections.get(parsed_section.id) or Section(board=board)
        section.kind, section.title, section.position = (
            parsed_section.kind, parsed_section.title, position,
        )  # fmt: skip
        section.save()
        narrow = _narrow_boxes(parsed_section, board.columns, parsed.narrow_custom)
        to_create: list[Item] = []
        to_update: list[Item] = []
        ordered: list[Item] = []
        for parsed_item, narrow_box in zip(parsed_section.items, narrow, strict=True):
            item = existing_items.get(parsed_item.id) or Item(board=board, kind=parsed_item.kind)
            item.section = section
            item.options = parsed_item.options
            item.x, item.y, item.w, item.h = parsed_item.desktop
            item.nx, item.ny, item.nw, item.nh = narrow_box
            (to_update if item.pk else to_create).append(item)
            ordered.append(item)
        Item.objects.bulk_create(to_create)
        Item.objects.bulk_update(
            to_update, ["section", "options", "x", "y", "w", "h", "nx", "ny", "nw", "nh"]
        )
        saved.append(
            {
                "id": section.pk,
                "items": [
                    {"id": item.pk, "narrow": [item.nx, item.ny, item.nw, item.nh]}
                    for item in ordered
                ],
            }
        )
    Board.objects.filter(pk=board.pk).update(
        narrow_custom=parsed.narrow_custom, version=F("version") + 1, updated=timezone.now()
    )
    board.refresh_from_db(fields=["narrow_custom", "version", "updated"])
    return saved


def refit_columns(board: Board, before: int) -> None:
    """After the column count changed from `before`: every item keeps its place relative to
    the width (12 → 6 → 12 gives the layout back), nothing overlaps, no holes stay."""
    with transaction.atomic():
        for section in board.sections.prefetch_related("items"):
            items = list(section.items.all())
            scaled = scale_to_columns([(i.x, i.y, i.w, i.h) for i in items], before, board.columns)
            boxes = compact(fit_to_columns(scaled, board.columns))
            for item, box in zip(items, boxes, strict=True):
                item.x, item.y, item.w, item.h = box
            if not board.narrow_custom:
                for item, box in zip(items, generate_narrow(boxes, board.columns), strict=True):
                    item.nx, item.ny, item.nw, item.nh = box
            Item.objects.bulk_update(items, ["x", "y", "w", "h", "nx", "ny", "nw", "nh"])
        Board.objects.filter(pk=board.pk).update(version=F("version") + 1, updated=timezone.now())


def state(board: Board, sections) -> dict:
    """The editor's picture of the board (with ids), from prefetched sections and items."""
    return {
        "version": board.version,
        "columns": board.columns,
        "narrow_columns": NARROW_COLUMNS,
        "narrow_custom": board.narrow_custom,
        "sections": [
            {
                "id": section.pk,
                "kind": section.kind,
                "title": section.title,
                "items": [
                    {
                        "id": item.pk,
                        "kind": item.kind,
                        "options": item.options,
                        "desktop": [item.x, item.y, item.w, item.h],
                        "narrow": [item.nx, item.ny, item.nw, item.nh],
                    }
                    for item in section.item_list
                ],
            }
            for section in sections
        ],
    }


def export_board(board: Board) -> dict:
    """The board's look, layout and widget options: never its ACL rows, owner or secrets."""
    sections = board.sections.prefetch_related("items")
    data = {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_VERSION,
        "name": board.name,
        **{name: getattr(board, name) for name in LOOK_FIELDS},
        "columns": board.columns,
        "narrow_custom": board.narrow_custom,
        "sections": [],
    }
    for section in sections:
        items = []
        for item in section.items.all():
            widget = get_widget(item.kind)
            if widget is None:
                continue
            items.append(
                {
                    "kind": item.kind,
                    "options": widget.export(item.options),
                    "desktop": [item.x, item.y, item.w, item.h],
                    "narrow": [item.nx, item.ny, item.nw, item.nh],
                }
            )
        data["sections"].append({"kind": section.kind, "title": section.title, "items": items})
    return data


def parse_export(data) -> tuple[dict, ParsedLayout]:
    """(board fields, layout) from an export; LayoutError when anything is wrong."""
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise LayoutError([_("This is not a homeportal board export.")])
    if data.get("format_version") != EXPORT_VERSION:
        raise LayoutError([_("This export's format version is not supported.")])
    columns = data.get("columns")
    if not isinstance(columns, int) or not MIN_COLUMNS <= columns <= MAX_COLUMNS:
        raise LayoutError([_("The column count must be between %(a)s and %(b)s.")
                           % {"a": MIN_COLUMNS, "b": MAX_COLUMNS}])  # fmt: skip
    fields = {name: data.get(name) or "" for name in LOOK_FIELDS}
    if not all(isinstance(v, str) for v in fields.values()):
        raise LayoutError([_("The board's title or look is not understood.")])
    fields["columns"] = columns
    fields["name"] = data.get("name") if isinstance(data.get("name"), str) else ""
    return fields, parse_layout(data, columns=columns)


def copy_layout(source: Board, target: Board) -> None:
    """Copies the source's sections and items onto an empty target (duplicate)."""
    for section in source.sections.prefetch_related("items"):
        new_section = Section.objects.create(
            board=target, kind=section.kind, title=section.title, position=section.position
        )
        Item.objects.bulk_create(
            Item(
                board=target, section=new_section, kind=i.kind, options=i.options,
                x=i.x, y=i.y, w=i.w, h=i.h, nx=i.nx, ny=i.ny, nw=i.nw, nh=i.nh,
            )
            for i in section.items.all()
        )  # fmt: skip
