"""Board changes through the API (scope boards:write): creating and deleting boards, and their
sections and widgets through the editor's own checks, with the board's version bumped, the
cached body dropped and an audit entry naming the token. Bad input gets a clear 4xx and
changes nothing."""

import json

import pytest

from boards.models import Board, BoardAccess, Item, Section
from integrations.models import Integration
from sessions_admin.models import AuditEntry
from tests.apitokens.conftest import bearer
from tests.integrations.lab_service import lab_kind

pytestmark = pytest.mark.django_db

CLOCK = {"title": "Tokyo", "time_zone": "Asia/Tokyo", "hour12": "", "show_seconds": False,
         "show_date": True}  # fmt: skip


def error_of(response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]["message"]


def post(client, path: str, data=None):
    body = data if isinstance(data, bytes) else json.dumps(data if data is not None else {})
    return client.post(path, body, content_type="application/json")


def snapshot(board: Board) -> tuple:
    """Everything a layout change could touch."""
    board.refresh_from_db()
    sections = list(Section.objects.filter(board=board).values_list("pk", "kind", "title",
                                                                      "position"))  # fmt: skip
    items = list(
        Item.objects.filter(board=board).values_list("pk", "section", "kind", "options", "x",
                                                     "y", "w", "h", "nx", "ny", "nw", "nh")
    )  # fmt: skip
    return board.version, sections, sorted(items)


@pytest.fixture
def editor(people, family_board, token_for):
    """The user manager with `modify` on the family board, through a boards:write token."""
    BoardAccess.objects.create(board=family_board, user=people.user_manager, level="modify")
    return bearer(token_for(people.user_manager, "boards:write", name="Board script"))


def last_audit(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("pk")


# --- Boards --------------------------------------------------------------------------------


def test_creating_a_board(people, token_for):
    client = bearer(token_for(people.admin, "boards:write", name="Setup"))
    response = post(client, "/api/v1/boards/new", {"title": "Garden", "is_public": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "garden" and body["owner"] == "adam" and body["level"] == "full"
    board = Board.objects.get(name="garden")
    assert board.owner == people.admin and board.is_public
    assert list(board.sections.values_list("kind", flat=True)) == ["area"]
    entry = last_audit("board.created")
    assert entry.actor == people.admin and entry.details["via_api"] == "Setup"


def test_creating_a_board_needs_board_create(people, token_for):
    """The user manager holds no board-create; a token does not add it."""
    client = bearer(token_for(people.user_manager, "boards:write"))
    error_of(post(client, "/api/v1/boards/new", {"title": "Garden"}), 403, "forbidden")
    assert not Board.objects.filter(title="Garden").exists()


def test_an_admin_s_read_token_cannot_create_boards(people, token_for):
    client = bearer(token_for(people.admin, "boards:read"))
    error_of(post(client, "/api/v1/boards/new", {"title": "Garden"}), 403, "insufficient_scope")
    assert not Board.objects.exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{", 400),
        (b'"Garden"', 400),
        ({}, 422),  # no title
        ({"title": 7}, 422),
        ({"title": "Garden", "is_public": "yes"}, 422),
        ({"title": "Garden", "colour": "red"}, 422),  # unknown field
        ({"title": "Garden", "name": "family"}, 422),  # taken
        ({"title": "Garden", "name": "not a slug"}, 422),
    ],
)
def test_creating_a_board_refuses_bad_input(people, family_board, token_for, body, status):
    client = bearer(token_for(people.owner, "boards:write"))
    error_of(post(client, "/api/v1/boards/new", body), status)
    assert list(Board.objects.values_list("name", flat=True)) == ["family"]


def test_deleting_a_board(people, family_board, token_for):
    client = bearer(token_for(people.owner, "boards:write", name="Cleanup"))
    response = post(client, "/api/v1/boards/family/delete")
    assert response.status_code == 200 and response.json() == {"deleted": "family"}
    assert not Board.objects.exists() and not Item.objects.exists()
    entry = last_audit("board.deleted")
    assert entry.details["name"] == "family" and entry.details["via_api"] == "Cleanup"


def test_deleting_a_board_needs_full(people, family_board, editor, token_for):
    error_of(post(editor, "/api/v1/boards/family/delete"), 403, "forbidden")  # modify
    member = bearer(token_for(people.member, "boards:write"))
    error_of(post(member, "/api/v1/boards/family/delete"), 403)  # view
    outsider = bearer(token_for(people.outsider, "boards:write"))
    error_of(post(outsider, "/api/v1/boards/family/delete"), 404, "not_found")  # nothing
    owner = bearer(token_for(people.owner, "boards:write"))
    error_of(post(owner, "/api/v1/boards/nothing/delete"), 404)
    error_of(post(owner, "/api/v1/boards/family/delete", {"confirm": True}), 422)
    assert Board.objects.filter(name="family").exists()
    assert not AuditEntry.objects.filter(action="board.deleted").exists()


# --- Sections ------------------------------------------------------------------------------


def test_adding_a_section_bumps_the_version_and_drops_the_cached_body(family_board, editor):
    version = family_board.version
    before = editor.get("/api/v1/boards/family/").json()["sections"]  # now cached
    assert [s["title"] for s in before] == ["Apps"]
    response = post(editor, "/api/v1/boards/family/sections/new", {"title": "Media"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["section"]["title"] == "Media" and body["section"]["kind"] == "category"
    assert body["version"] == version + 1
    family_board.refresh_from_db()
    assert family_board.version == version + 1
    after = editor.get("/api/v1/boards/family/").json()["sections"]
    assert [s["title"] for s in after] == ["Apps", "Media"]
    entry = last_audit("board.section_added")
    assert entry.details["section"] == after[1]["id"] == body["section"]["id"]
    assert entry.details["via_api"] == "Board script"


def test_adding_a_section_at_a_position(family_board, editor):
    response = post(editor, "/api/v1/boards/family/sections/new", {"kind": "area", "position": 0})
    assert response.status_code == 200, response.content
    assert list(family_board.sections.values_list("kind", flat=True)) == ["area", "category"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"[", 400, "bad_json"),
        ({"kind": "category"}, 422, "invalid"),  # a category needs a title
        ({"kind": "sidebar", "title": "X"}, 422, "invalid"),
        ({"title": "X" * 121}, 422, "invalid"),
        ({"title": ["Media"]}, 422, "invalid"),
        ({"title": "Media", "position": "1"}, 422, "invalid"),
        ({"title": "Media", "position": True}, 422, "invalid"),
        ({"title": "Media", "version": 0}, 409, "conflict"),  # stale
    ],
)
def test_adding_a_section_refuses_bad_input(family_board, editor, body, status, code):
    before = snapshot(family_board)
    error_of(post(editor, "/api/v1/boards/family/sections/new", body), status, code)
    assert snapshot(family_board) == before
    assert not AuditEntry.objects.filter(action__startswith="board.section").exists()


def test_a_viewer_cannot_change_the_layout(people, family_board, token_for):
    before = snapshot(family_board)
    section = family_board.sections.get()
    item = family_board.items.get()
    member = bearer(token_for(people.member, "boards:write"))
    outsider = bearer(token_for(people.outsider, "boards:write"))
    calls = [
        ("sections/new", {"title": "Media"}),
        (f"sections/{section.pk}/edit", {"title": "Mine"}),
        (f"sections/{section.pk}/delete", {}),
        ("items/new", {"section": section.pk, "kind": "clock", "options": CLOCK}),
        (f"items/{item.pk}/edit", {"options": {"title": "Mine"}}),
        (f"items/{item.pk}/move", {"x": 4, "y": 0}),
        (f"items/{item.pk}/delete", {}),
    ]
    for suffix, data in calls:
        error_of(post(member, f"/api/v1/boards/family/{suffix}", data), 403, "forbidden")
        error_of(post(outsider, f"/api/v1/boards/family/{suffix}", data), 404, "not_found")
    assert snapshot(family_board) == before


def test_changing_a_section(family_board, editor):
    section = family_board.sections.get()
    Section.objects.create(board=family_board, kind="area", position=1)
    response = post(
        editor, f"/api/v1/boards/family/sections/{section.pk}/edit",
        {"title": "Apps and more", "position": 1},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["section"]["title"] == "Apps and more"
    assert len(response.json()["section"]["items"]) == 1  # its widgets stay
    assert list(family_board.sections.values_list("title", flat=True)) == ["", "Apps and more"]
    entry = last_audit("board.section_changed")
    assert entry.details["changed"] == {"title": ["Apps", "Apps and more"], "position": [0, 1]}


def test_a_section_of_another_board_is_not_found(people, family_board, editor):
    other = Board.objects.create(name="other", title="Other", owner=people.user_manager)
    foreign = Section.objects.create(board=other, kind="area")
    before = snapshot(family_board)
    for suffix in ("edit", "delete"):
        message = error_of(
            post(editor, f"/api/v1/boards/family/sections/{foreign.pk}/{suffix}", {"title": "X"}
                 if suffix == "edit" else {}),
            404, "not_found",
        )  # fmt: skip
        assert str(foreign.pk) in message
    error_of(
        post(editor, "/api/v1/boards/family/items/new", {"section": foreign.pk, "kind": "clock"}),
        404,
    )
    assert snapshot(family_board) == before
    assert Section.objects.filter(pk=foreign.pk).exists()


def test_removing_a_section_removes_its_widgets(family_board, editor):
    section = family_board.sections.get()
    response = post(editor, f"/api/v1/boards/family/sections/{section.pk}/delete")
    assert response.status_code == 200, response.content
    assert response.json()["deleted"] == section.pk
    assert not family_board.sections.exists() and not family_board.items.exists()
    entry = last_audit("board.section_removed")
    assert entry.details["widgets"] == 1 and entry.details["title"] == "Apps"


# --- Widgets -------------------------------------------------------------------------------


def test_adding_a_widget_goes_through_its_form(family_board, editor):
    section = family_board.sections.get()
    version = family_board.version
    response = post(
        editor, "/api/v1/boards/family/items/new",
        {"section": section.pk, "kind": "clock", "options": {**CLOCK, "show_seconds": True}},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    item = Item.objects.get(pk=body["item"]["id"])
    assert item.section == section and item.kind == "clock"
    assert item.options["time_zone"] == "Asia/Tokyo" and item.options["show_seconds"] is True
    # The first free spot beside the existing clock (2 columns wide), the kind's size.
    assert (item.x, item.y) == (2, 0)
    assert body["item"]["section"] == section.pk and body["version"] == version + 1
    entry = last_audit("board.widget_added")
    assert entry.details == {"widget": item.pk, "kind": "clock", "section": section.pk,
                             "via_api": "Board script"}  # fmt: skip


def test_adding_a_widget_at_a_place(family_board, editor):
    section = family_board.sections.get()
    response = post(
        editor, "/api/v1/boards/family/items/new",
        {"section": section.pk, "kind": "clock", "options": CLOCK, "x": 6, "y": 2, "w": 3,
         "h": 2},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    item = Item.objects.get(pk=response.json()["item"]["id"])
    assert (item.x, item.y, item.w, item.h) == (6, 2, 3, 2)


@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [
        ({"options": {**CLOCK, "time_zone": "Mars/Olympus"}}, 422, "invalid"),  # its form
        ({"kind": "teleporter"}, 422, "invalid"),
        ({"kind": 3}, 422, "invalid"),
        ({"options": "Paris"}, 422, "invalid"),
        ({"x": 0, "y": 0}, 422, "invalid"),  # on the existing clock
        ({"x": 11, "y": 0, "w": 2}, 422, "invalid"),  # past the grid's edge
        ({"x": 3}, 422, "invalid"),  # x without y
        ({"w": 0}, 422, "invalid"),
        ({"section": 999999}, 404, "not_found"),
        ({"section": None}, 422, "invalid"),
        ({"version": 0}, 409, "conflict"),
    ],
)
def test_adding_a_widget_refuses_bad_input(family_board, editor, extra, status, code):
    section = family_board.sections.get()
    body = {"section": section.pk, "kind": "clock", "options": CLOCK, **extra}
    before = snapshot(family_board)
    error_of(post(editor, "/api/v1/boards/family/items/new", body), status, code)
    assert snapshot(family_board) == before
    assert not AuditEntry.objects.filter(action__startswith="board.widget").exists()


def test_a_widget_form_s_message_names_the_problem(family_board, editor):
    section = family_board.sections.get()
    body = {"section": section.pk, "kind": "clock", "options": {**CLOCK, "time_zone": "Nowhere"}}
    message = error_of(post(editor, "/api/v1/boards/family/items/new", body), 422)
    assert "Widget 2" in message and "Clock" in message


def test_an_integration_widget_needs_an_integration_the_holder_may_use(
    people, family_board, editor
):
    """The editor's rule: a widget may only newly name an integration its editor may use."""
    lab_kind()
    hidden = Integration.objects.create(
        name="Hidden", kind="lab", url="http://127.0.0.1:9", owner=people.owner
    )
    section = family_board.sections.get()
    body = {"section": section.pk, "kind": "downloads", "options": {"integration": hidden.pk}}
    before = snapshot(family_board)
    error_of(post(editor, "/api/v1/boards/family/items/new", body), 422, "invalid")
    assert snapshot(family_board) == before


def test_changing_a_widget_merges_its_options(family_board, editor):
    item = family_board.items.get()
    response = post(
        editor, f"/api/v1/boards/family/items/{item.pk}/edit",
        {"options": {"title": "Osaka", "time_zone": "Asia/Tokyo"}, "w": 3},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert item.options["title"] == "Osaka" and item.options["time_zone"] == "Asia/Tokyo"
    assert item.options["show_date"] is True  # left out: kept
    assert item.w == 3
    assert response.json()["item"]["options"]["title"] == "Osaka"
    entry = last_audit("board.widget_changed")
    assert entry.details["changed"] == ["time_zone", "title", "size"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"options": {"time_zone": "Nowhere"}}, 422),
        ({"options": []}, 422),
        ({"w": 13}, 422),
        ({"kind": "notes"}, 422),  # a widget keeps its kind
        ({"options": {"title": "X"}, "version": -1}, 409),
    ],
)
def test_changing_a_widget_refuses_bad_input(family_board, editor, body, status):
    item = family_board.items.get()
    before = snapshot(family_board)
    error_of(post(editor, f"/api/v1/boards/family/items/{item.pk}/edit", body), status)
    assert snapshot(family_board) == before


def test_a_widget_of_another_board_is_not_found(people, family_board, editor):
    other = Board.objects.create(name="other", title="Other", owner=people.user_manager)
    section = Section.objects.create(board=other, kind="area")
    foreign = Item.objects.create(board=other, section=section, kind="clock", w=2, h=1,
                                  options=CLOCK)  # fmt: skip
    for suffix, body in (("edit", {"options": {"title": "X"}}), ("move", {"x": 4, "y": 0}),
                         ("delete", {})):  # fmt: skip
        path = f"/api/v1/boards/family/items/{foreign.pk}/{suffix}"
        error_of(post(editor, path, body), 404, "not_found")
    foreign.refresh_from_db()
    assert foreign.options == CLOCK and foreign.x == 0


def test_moving_a_widget_to_another_section(family_board, editor):
    item = family_board.items.get()
    old = item.section
    new = Section.objects.create(board=family_board, kind="area", position=1)
    Item.objects.create(board=family_board, section=new, kind="clock", w=2, h=1, options=CLOCK)
    response = post(editor, f"/api/v1/boards/family/items/{item.pk}/move", {"section": new.pk})
    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert item.section == new and (item.x, item.y) == (2, 0)  # first free spot there
    assert response.json()["item"]["section"] == new.pk
    entry = last_audit("board.widget_moved")
    assert entry.details["changed"]["section"] == [old.pk, new.pk]


def test_moving_a_widget_within_its_section(family_board, editor):
    item = family_board.items.get()
    response = post(editor, f"/api/v1/boards/family/items/{item.pk}/move", {"x": 4, "y": 1})
    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert (item.x, item.y, item.w) == (4, 1, 2)


@pytest.mark.parametrize(
    "body",
    [{"x": 4}, {"x": "4", "y": 0}, {"x": -1, "y": 0}, {"x": 0, "y": 0, "w": 40}, {"section": 0},
     {"y": 2, "options": {}}],
)  # fmt: skip
def test_moving_a_widget_refuses_bad_input(family_board, editor, body):
    item = family_board.items.get()
    Item.objects.create(board=family_board, section=item.section, kind="clock", x=6, w=2, h=1,
                        options=CLOCK)  # fmt: skip
    before = snapshot(family_board)
    response = post(editor, f"/api/v1/boards/family/items/{item.pk}/move", body)
    assert response.status_code in (404, 422)
    error_of(response, response.status_code)
    assert snapshot(family_board) == before


def test_moving_onto_another_widget_is_refused(family_board, editor):
    item = family_board.items.get()
    Item.objects.create(board=family_board, section=item.section, kind="clock", x=6, w=2, h=1,
                        options=CLOCK)  # fmt: skip
    before = snapshot(family_board)
    message = error_of(
        post(editor, f"/api/v1/boards/family/items/{item.pk}/move", {"x": 5, "y": 0}), 422
    )
    assert "overlap" in message
    assert snapshot(family_board) == before


def test_removing_a_widget(family_board, editor):
    item = family_board.items.get()
    response = post(editor, f"/api/v1/boards/family/items/{item.pk}/delete")
    assert response.status_code == 200, response.content
    assert response.json()["deleted"] == item.pk
    assert not family_board.items.exists() and family_board.sections.exists()
    assert last_audit("board.widget_removed").details["kind"] == "clock"
    error_of(post(editor, f"/api/v1/boards/family/items/{item.pk}/delete"), 404, "not_found")


def test_the_editor_page_still_saves_through_the_shared_code(people, family_board, login):
    """The page's Save (boards.editing.save_layout): a stale version is a 409."""
    BoardAccess.objects.create(board=family_board, user=people.user_manager, level="modify")
    client = login(people.user_manager)
    state = {"version": family_board.version - 1, "sections": []}
    response = client.post("/boards/family/save/", {"state": json.dumps(state)})
    assert response.status_code == 409
    assert family_board.items.exists()
    state["version"] = family_board.version
    response = client.post("/boards/family/save/", {"state": json.dumps(state)})
    assert response.status_code == 200 and response.json()["ok"]
    assert not family_board.sections.exists()


def test_layout_changes_read_as_sentences_in_the_audit_log(family_board, editor):
    from sessions_admin.audit_text import describe

    section = family_board.sections.get()
    item = family_board.items.get()
    post(editor, "/api/v1/boards/family/sections/new", {"title": "Media"})
    post(editor, f"/api/v1/boards/family/items/{item.pk}/edit", {"options": {"title": "Rome"}})
    post(editor, f"/api/v1/boards/family/items/{item.pk}/move", {"x": 4, "y": 0})
    post(editor, f"/api/v1/boards/family/sections/{section.pk}/delete")
    sentences = [
        describe(entry.action, entry.details)
        for entry in AuditEntry.objects.filter(action__startswith="board.").order_by("pk")
    ]
    assert sentences == [
        "added the section “Media”",
        "changed a widget's title",
        "moved a widget",
        "removed the section “Apps” and its widget",
    ]


def test_the_openapi_document_describes_the_board_writes(people):
    from django.test import Client

    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    create = paths["/api/v1/boards/{name}/items/new"]["post"]
    assert create["security"] == [{"token": ["boards:write"]}]
    body = create["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert {"section", "kind", "options", "x", "y", "w", "h", "version"} == set(body)
    assert {"403", "404", "409", "422"} <= set(create["responses"])
    assert "post" in paths["/api/v1/boards/{name}/items/{item_id}/move"]
    assert "post" in paths["/api/v1/boards/new"] and "post" in paths["/api/v1/groups/new"]
    reset = paths["/api/v1/users/{username}/reset-link"]["post"]
    assert reset["security"] == [{"token": ["users:manage"]}]


def test_a_huge_size_is_refused_without_searching_for_room(family_board, editor):
    section = family_board.sections.get()
    before = snapshot(family_board)
    for size in ({"h": 10**9}, {"w": 10**9}, {"h": 25}):
        body = {"section": section.pk, "kind": "clock", "options": CLOCK, **size}
        error_of(post(editor, "/api/v1/boards/family/items/new", body), 422, "invalid")
    assert snapshot(family_board) == before


def test_a_hand_arranged_phone_layout_survives_a_move(family_board, editor):
    """A widget moved to another section loses its phone place there (it goes below the
    others); the other widgets keep theirs."""
    item = family_board.items.get()
    other = Item.objects.create(board=family_board, section=item.section, kind="clock", x=4,
                                w=2, h=1, nx=1, ny=5, nw=1, nh=1, options=CLOCK)  # fmt: skip
    Board.objects.filter(pk=family_board.pk).update(narrow_custom=True)
    new = Section.objects.create(board=family_board, kind="area", position=1)
    response = post(editor, f"/api/v1/boards/family/items/{item.pk}/move", {"section": new.pk})
    assert response.status_code == 200, response.content
    other.refresh_from_db()
    item.refresh_from_db()
    assert (other.nx, other.ny, other.nw, other.nh) == (1, 5, 1, 1)
    assert item.section == new and (item.nx, item.ny) == (0, 0)


def test_a_holder_who_loses_modify_loses_the_layout_at_once(people, family_board, editor):
    section = family_board.sections.get()
    assert post(editor, "/api/v1/boards/family/sections/new", {"title": "A"}).status_code == 200
    BoardAccess.objects.filter(user=people.user_manager).delete()
    before = snapshot(family_board)
    error_of(post(editor, "/api/v1/boards/family/sections/new", {"title": "B"}), 404)
    error_of(post(editor, f"/api/v1/boards/family/sections/{section.pk}/delete"), 404)
    assert snapshot(family_board) == before


def test_a_token_never_edits_beyond_its_holder(people, family_board, token_for):
    """boards:write on the member, who may only view the board."""
    client = bearer(token_for(people.member, "boards:write"))
    error_of(post(client, "/api/v1/boards/family/sections/new", {"title": "B"}), 403)
    assert family_board.sections.count() == 1
