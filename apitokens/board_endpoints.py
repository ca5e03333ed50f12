"""The JSON API's board changes (scope `boards:write`): creating and deleting boards, and
their sections and widgets. Each goes through what the pages use (boards.editing): board
creation needs `board-create` and deletion `full`, like the board pages; a layout change needs
`modify` and is one edit of the editor's picture of the board, checked by the editor's own
form (grid, overlaps, each widget's options through its form, integration and protected-app
references) and saved like the editor's Save, which bumps the board's version so every cached
body is dropped. A layout change may name the board `version` it was made against: when the
board changed since, nothing is saved (409).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from apitokens.api import ApiError, ApiRequest, endpoint, fields, form_errors, json_body
from apitokens.endpoints import BOARD, INT, ITEM, OWNER, SECTION, STR, board_json, section_json
from apitokens.endpoints import item_json as widget_json
from apitokens.openapi import obj
from apitokens.scopes import BOARDS_WRITE
from boards import editing
from boards.access import CREATE, get_board
from boards.forms import BoardCreateForm
from boards.layout import Occupancy
from boards.models import MAX_ITEM_HEIGHT, Board, Item, Level, Section, SectionKind
from boards.widgets import get_widget
from homeportal.net import client_ip
from sessions_admin import audit

BOOL = {"type": "boolean"}
OPTIONS = {"type": "object"}
KINDS = {"type": "string", "enum": list(SectionKind.values)}

# --- Boards --------------------------------------------------------------------------------


@endpoint(
    "POST",
    scopes=(BOARDS_WRITE,),
    body=obj(title=STR, name=STR, description=STR, is_public=BOOL),
    response=BOARD,
    summary="Creates a board owned by the caller (needs board-create), with one empty area",
    errors=(400, 403, 422),
)
def board_create(request: ApiRequest) -> dict:
    if not request.grants.has(CREATE):
        raise PermissionDenied(_("You may not create boards."))
    spec = {"title": str, "name": str, "description": str, "is_public": bool}
    body = fields(json_body(request), spec, required=("title",))
    form = BoardCreateForm(body)
    if not form.is_valid():
        raise form_errors(form)
    created = editing.create_board(request, form)
    if created is None:
        raise form_errors(form)
    return board_json(request, Board.objects.annotate(owner_name=OWNER).get(pk=created[0].pk))


@endpoint(
    "POST",
    scopes=(BOARDS_WRITE,),
    response=obj(deleted=STR),
    summary="Deletes a board with its sections, widgets and access rules (needs full)",
    errors=(403, 404),
)
def board_delete(request: ApiRequest, name: str) -> dict:
    board = get_board(request, name, level=Level.FULL)
    fields(json_body(request), {})
    editing.delete_board(request, board)
    return {"deleted": name}


# --- Layout: sections and widgets ----------------------------------------------------------


def change(request: ApiRequest, name: str, body: dict, edit):
    """Applies `edit` (a function of the editor's state) to the board `name` at `modify`;
    answers (saved board, saved ids, what `edit` answered)."""
    board = get_board(request, name, level=Level.MODIFY)
    try:
        return editing.change_layout(board, request.grants, edit, version=body.get("version"))
    except editing.LayoutRefused as refused:
        if refused.conflict:
            raise ApiError(409, "conflict", "; ".join(refused.errors)) from None
        raise ApiError(422, "invalid", "; ".join(refused.errors)) from None


def find_section(state: dict, section_id: int) -> tuple[int, dict]:
    for index, section in enumerate(state["sections"]):
        if section["id"] == section_id:
            return index, section
    raise ApiError(404, "not_found", _("This board has no section %(id)s.") % {"id": section_id})


def find_item(state: dict, item_id: int) -> tuple[dict, int, dict]:
    for section in state["sections"]:
        for index, item in enumerate(section["items"]):
            if item["id"] == item_id:
                return section, index, item
    raise ApiError(404, "not_found", _("This board has no widget %(id)s.") % {"id": item_id})


def record(request: ApiRequest, action: str, board: Board, **details) -> None:
    audit.record(action, actor=request.user, target=board, ip=client_ip(request), details=details)


def section_answer(board: Board, section_id: int) -> dict:
    section = Section.objects.get(pk=section_id)
    items = Item.objects.filter(section=section).order_by("y", "x", "id")
    return {"section": section_json(section, items), "version": board.version}


def item_answer(board: Board, item_id: int) -> dict:
    item = Item.objects.get(pk=item_id)
    return {"item": {**widget_json(item), "section": item.section_id}, "version": board.version}


SECTION_SPEC = {"kind": str, "title": str, "position": int, "version": int}
SECTION_ANSWER = obj(section=SECTION, version=INT)
PLACED_ITEM = {**ITEM, "properties": {**ITEM["properties"], "section": INT}}
ITEM_ANSWER = obj(item=PLACED_ITEM, version=INT)
DELETED = obj(deleted=INT, version=INT)
LAYOUT_ERRORS = (403, 404, 409, 422)


def place(sections: list, section: dict, position: int | None) -> None:
    """Puts `section` at `position` (from 0; left out or past the end: last)."""
    if position is None or position >= len(sections):
        sections.append(section)
    else:
        sections.insert(max(position, 0), section)


@endpoint(
    "POST",
    scopes=(BOARDS_WRITE,),
    body=obj(kind=KINDS, title=STR, position=INT, version=INT),
    response=SECTION_ANSWER,
    summary="Adds a section (an area, or a category with a title) at a position (default: last)",
    errors=LAYOUT_ERRORS,
)
def section_create(request: ApiRequest, name: str) -> dict:
    body = fields(json_body(request), SECTION_SPEC)

    def edit(state: dict) -> int:
        section = {
            "id": None,
            "kind": body.get(
                "kind", SectionKind.CATEGORY if body.get("title") else SectionKind.AREA
            ),
            "title": body.get("title", ""),
            "items": [],
        }
        place(state["sections"], section, body.get("position"))
        return state["sections"].index(section)

    board, saved, index = change(request, name, body, edit)
    section_id = saved[index]["id"]
    record(request, "board.section_added", board, section=section_id, title=body.get("title", ""))
    return section_answer(board, section_id)


@endpoint(
    "POST",
    scopes=(BOARDS_WRITE,),
    body=obj(kind=KINDS, title=STR, position=INT, version=INT),
    response=SECTION_ANSWER,
    summary="Changes a section's kind, title or position (fields left out keep their value)",
    errors=LAYOUT_ERRORS,
)
def section_update(request: ApiRequest, name: str, section_id: int) -> dict:
    body = fields(json_body(request), SECTION_SPEC)

    def edit(state: dict) -> dict:
        index, section = find_section(state, section_id)
        before = {"kind": section["kind"], "title": section["title"], "position": index}
        section.update({k: body[k] for k in ("kind", "title") if k in body})
        if "position" in body:
            place(state["sections"], state["sections"].pop(index), body["position"])
        after = {
            "kind": section["kind"],
            "title": section["title"],
            "position": state["sections"].index(section),
        }
        return {k: [before[k], after[k]] for k in before if before[k] != after[k]}

    board, _saved, changed = change(request, name, body, edit)
    if changed:
        record(request, "board.section_changed", board, section=section_id, changed=changed)
    return section_answer(board, section_id)


@endpoint(
    "POST",
    scopes=(BOARDS_WRITE,),
    body=obj(version=INT),
    response=DELETED,
    summary="Removes a section and its widgets",
    errors=LAYOUT_ERRORS,
)
def section_delete(request: ApiRequest, name: str, section_id: int) -> dict:
    body = fields(json_body(request), {"version": int})

    def edit(state: dict) -> dict:
        index, section = find_section(state, section_id)
        del state["sections"][index]
        return section

    board, _saved, section = change(request, name, body, edit)
    record(request, "board.section_removed", board, section=section_id, title=section["title"],
           widgets=len(section["items"]))  # fmt: skip
    return {"deleted": section_id, "version": board.version}


POSITION_SPEC = {"x": int, "y": int, "w": int, "h": int}


def free_spot(section: dict, columns: int, w: int, h: int, skip=None) -> tuple[int, int]:
    """The first place of the section's desktop grid where a widget of w by h fits."""
    grid = Occupancy(columns)
    for item in section["items"]:
        if item is not skip:
            grid.take(*item["desktop"])
    return grid.first_fit(w, h)


def placed(body: dict, section: dict, columns: int, size, skip=None) -> list[int]:
    """The desktop box the body asks for: its x and y (both or neither: then the first free
    spot of the section) and its w and h (left out: `size`)."""
    if ("x" in body) != ("y" in body):
        raise ApiError(422, "invalid", _("Send both x and y, or neither."))
    w, h = body.get("w", size[0]), body.get("h", size[1])
    if "x" in body:
        return [body["x"], body["y"], w, h]
    if not (1 <= w <= columns and 1 <= h <= MAX_ITEM_HEIGHT):
        return [0, 0, w, h]  # refused by the layout's check, with its message
    x, y = free_spot(section, columns, w, h, skip)
    return [x, y, w, h]


@endpoint(
    "POST",
    scopes=(BOARDS_WRITE,),
    body=obj(section=INT, kind=STR, options=OPTIONS, x=INT, y=INT, w=INT, h=INT, version=INT),
    response=ITEM_ANSWER,
    summary="Adds a widget to a section; its options are checked by the widget's form, its "
    "place defaults to the first free spot and its size to the kind's",
    errors=LAYOUT_ERRORS,
)
def item_create(request: ApiRequest, name: str) -> dict:
    spec = {"section": int, "kind": str, "options": dict, **POSITION_SPEC, "version": int}
    body = fields(json_body(request), spec, required=("section", "kind"))
    widget = get_widget(body["kind"])
    if widget is None:
        raise ApiError(422, "invalid", _("Unknown widget kind: %s.") % body["kind"])

    def edit(state: dict) -> tuple[int, int]:
        index, section = find_section(state, body["section"])
        size = (min(widget.default_size[0], state["columns"]), widget.default_size[1])
        box = placed(body, section, state["columns"], size)
        section["items"].append(
            {"id": None, "kind": widget.name, "options": body.get("options", {}),
             "desktop": box, "narrow": None}
        )  # fmt: skip
        return index, len(section["items"]) - 1

    board, saved, (s_index, i_index) = change(request, name, body, edit)
    item_id = saved[s_index]["items"][i_index]["id"]
    record(request, "board.widget_added", board, widget=item_id, kind=widget.name,
           section=body["section"])  # fmt: skip
    return item_answer(board, item_id)


@endpoint(
    "POST",
    scopes=(BOARDS_WRITE,),
    body=obj(options=OPTIONS, w=INT, h=INT, version=INT),
    response=ITEM_ANSWER,
    summary="Changes a widget's options (merged into its current ones and checked by its form) "
    "or size",
    errors=LAYOUT_ERRORS,
)
def item_update(request: ApiRequest, name: str, item_id: int) -> dict:
    body = fields(json_body(request), {"options": dict, "w": int, "h": int, "version": int})

    def edit(state: dict) -> list[str]:
        _section, _index, item = find_item(state, item_id)
        changed = sorted(
            k for k, v in body.get("options", {}).items() if item["options"].get(k) != v
        )
        item["options"] = {**item["options"], **body.get("options", {})}
        x, y, w, h = item["desktop"]
        item["desktop"] = [x, y, body.get("w", w), body.get("h", h)]
        if item["desktop"][2:] != [w, h]:
            changed.append("size")
        return changed

    board, _saved, changed = change(request, name, body, edit)
    if changed:
        record(request, "board.widget_changed", board, widget=item_id, changed=changed)
    return item_answer(board, item_id)


@endpoint(
    "POST",
    scopes=(BOARDS_WRITE,),
    body=obj(section=INT, x=INT, y=INT, w=INT, h=INT, version=INT),
    response=ITEM_ANSWER,
    summary="Moves a widget: to a place (x and y), another section (first free spot unless x "
    "and y are given), or another size",
    errors=LAYOUT_ERRORS,
)
def item_move(request: ApiRequest, name: str, item_id: int) -> dict:
    body = fields(json_body(request), {"section": int, **POSITION_SPEC, "version": int})

    def edit(state: dict) -> dict:
        section, index, item = find_item(state, item_id)
        before = {"section": section["id"], "desktop": list(item["desktop"])}
        target = section
        if "section" in body and body["section"] != section["id"]:
            _target_index, target = find_section(state, body["section"])
            del section["items"][index]
            target["items"].append(item)
            item["narrow"] = None  # a hand-placed phone place belongs to the old section
            item["desktop"] = placed(body, target, state["columns"], item["desktop"][2:], item)
        elif {"x", "y", "w", "h"} & set(body):
            x, y, w, h = item["desktop"]
            if ("x" in body) != ("y" in body):
                raise ApiError(422, "invalid", _("Send both x and y, or neither."))
            item["desktop"] = [body.get("x", x), body.get("y", y), body.get("w", w),
                               body.get("h", h)]  # fmt: skip
        after = {"section": target["id"], "desktop": item["desktop"]}
        return {k: [before[k], after[k]] for k in before if before[k] != after[k]}

    board, _saved, moved = change(request, name, body, edit)
    if moved:
        record(request, "board.widget_moved", board, widget=item_id, changed=moved)
    return item_answer(board, item_id)


@endpoint(
    "POST",
    scopes=(BOARDS_WRITE,),
    body=obj(version=INT),
    response=DELETED,
    summary="Removes a widget",
    errors=LAYOUT_ERRORS,
)
def item_delete(request: ApiRequest, name: str, item_id: int) -> dict:
    body = fields(json_body(request), {"version": int})

    def edit(state: dict) -> str:
        section, index, item = find_item(state, item_id)
        del section["items"][index]
        return item["kind"]

    board, _saved, kind = change(request, name, body, edit)
    record(request, "board.widget_removed", board, widget=item_id, kind=kind)
    return {"deleted": item_id, "version": board.version}
