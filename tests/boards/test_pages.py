"""Creating, renaming, duplicating, deleting, exporting and importing boards; the Access tab;
the look; collapsing categories."""

import io
import json

import pytest

from boards.models import Board, BoardAccess, CollapsedSection, Item, Section
from sessions_admin.models import AuditEntry
from tests.boards.factories import add_item, add_section, fill_board, grant, make_board
from tests.conftest import make_group, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator(people):
    return make_user("cora", make_group("creators", "board-create"))


def test_create_a_board(creator, login):
    client = login(creator)
    response = client.post("/boards/new/", {"title": "Media Room!", "description": "Films"})
    assert response.status_code == 302 and response["Location"] == "/boards/media-room/edit/"
    board = Board.objects.get(name="media-room")
    assert board.owner == creator and not board.is_public
    assert board.sections.count() == 1  # an area to put widgets in
    assert AuditEntry.objects.filter(action="board.created", target_id=str(board.pk)).exists()
    # The same title again gets a free name; a reserved or malformed name is refused.
    client.post("/boards/new/", {"title": "Media Room!"})
    assert Board.objects.filter(name="media-room-2").exists()
    for name in ("new", "import", "Bad Name", "-x"):
        response = client.post("/boards/new/", {"title": "X", "name": name})
        assert response.status_code == 200 and response.context["form"].errors, name


def test_rename_and_publish_need_full_and_are_audited(people, login):
    board = make_board("old", people.owner)
    grant(board, "full", user=people.outsider)
    client = login(people.outsider)
    response = client.post(
        "/boards/old/general/", {"title": "New title", "name": "new-name", "is_public": "on"}
    )
    assert response.status_code == 302 and response["Location"] == "/boards/new-name/general/"
    board.refresh_from_db()
    assert (board.name, board.title, board.is_public) == ("new-name", "New title", True)
    entry = AuditEntry.objects.get(action="board.changed")
    assert entry.details == {
        "name": ["old", "new-name"],
        "title": ["Old", "New title"],
        "public": [False, True],
    }
    assert client.get("/boards/old/").status_code == 404
    taken = make_board("taken", people.owner)
    grant(taken, "full", user=people.outsider)
    response = client.post("/boards/new-name/general/", {"title": "x", "name": "taken"})
    assert response.status_code == 400


def test_duplicate_copies_layout_and_look_but_not_access(people, login):
    board = make_board("source", people.owner, accent_color="#123456", columns=8)
    fill_board(board, 6)
    grant(board, "view", group=people.family)
    response = login(people.admin).post("/boards/source/duplicate/", {"title": "Copy"})
    assert response.status_code == 302
    copy = Board.objects.get(name="copy")
    assert copy.owner == people.admin and copy.accent_color == "#123456" and copy.columns == 8
    assert copy.items.count() == 6 and copy.sections.count() == 2
    assert not copy.access_rows.exists()
    original = sorted(board.items.values_list("kind", "x", "y", "w", "h", "options"))
    assert sorted(copy.items.values_list("kind", "x", "y", "w", "h", "options")) == original


def test_delete_a_board(people, login):
    board = make_board("doomed", people.owner)
    fill_board(board, 3)
    grant(board, "view", group=people.family)
    client = login(people.owner)
    assert "cannot be undone" in client.get("/boards/doomed/delete/").content.decode()
    assert client.post("/boards/doomed/delete/").status_code == 302
    assert not Board.objects.filter(pk=board.pk).exists()
    assert not Item.objects.exists() and not BoardAccess.objects.exists()
    assert AuditEntry.objects.filter(action="board.deleted").exists()


def test_export_has_layout_and_options_but_no_access_rows_or_owner(people, login):
    board = make_board("lab", people.owner, description="Ours", accent_color="#00ff00")
    fill_board(board, 6)
    grant(board, "full", user=people.member)
    response = login(people.owner).get("/boards/lab/export/")
    assert response["Content-Disposition"] == 'attachment; filename="board-lab.json"'
    data = json.loads(response.content)
    assert data["format"] == "homeportal-board" and data["accent_color"] == "#00ff00"
    assert sum(len(s["items"]) for s in data["sections"]) == 6
    text = response.content.decode()
    for secret in ("mia", "olivia", "access", "owner", '"id"'):
        assert secret not in text, secret


def test_import_round_trip(people, login):
    board = make_board("lab", people.owner, title="Lab", columns=10, color_scheme="dark")
    fill_board(board, 8)
    client = login(people.owner)
    exported = client.get("/boards/lab/export/").content
    upload = io.BytesIO(exported)
    upload.name = "board-lab.json"
    response = client.post("/boards/import/", {"file": upload, "title": "Imported"})
    assert response.status_code == 302
    imported = Board.objects.get(title="Imported")
    assert imported.name == "lab-2" and imported.columns == 10 and imported.color_scheme == "dark"
    assert imported.owner == people.owner and not imported.is_public
    fields = ("kind", "x", "y", "w", "h", "nx", "ny", "nw", "nh", "options")
    assert sorted(imported.items.values_list(*fields)) == sorted(board.items.values_list(*fields))


def test_import_refuses_hostile_or_broken_files(people, login):
    client = login(people.owner)
    good = {
        "format": "homeportal-board",
        "format_version": 1,
        "title": "T",
        "columns": 12,
        "sections": [{"kind": "area", "items": []}],
    }
    cases = {
        "not json": "{",
        "not ours": json.dumps({"sections": []}),
        "bad url": json.dumps(
            {
                **good,
                "sections": [
                    {
                        "kind": "area",
                        "items": [
                            {
                                "kind": "app",
                                "options": {"name": "x", "url": "javascript:alert(1)"},
                                "desktop": [0, 0, 1, 1],
                            }
                        ],
                    }
                ],
            }
        ),
        "bad background": json.dumps({**good, "background_url": 'x")</style>'}),
        "bad columns": json.dumps({**good, "columns": 99}),
        "overlap": json.dumps(
            {
                **good,
                "sections": [
                    {
                        "kind": "area",
                        "items": [
                            {
                                "kind": "clock",
                                "options": {"time_zone": "UTC"},
                                "desktop": [0, 0, 2, 1],
                            },
                            {
                                "kind": "clock",
                                "options": {"time_zone": "UTC"},
                                "desktop": [1, 0, 2, 1],
                            },
                        ],
                    }
                ],
            }
        ),
    }
    for label, text in cases.items():
        response = client.post("/boards/import/", {"text": text})
        assert response.status_code == 400, label
        assert response.context["form"].errors, label
    assert not Board.objects.exists()
    assert client.post("/boards/import/", {"text": json.dumps(good)}).status_code == 302


def test_access_tab_lists_rows_and_inherited_access_and_edits_rows(people, login):
    board = make_board("lab", people.owner, public=True)
    grant(board, "view", group=people.family)
    viewers = make_group("viewers", "board-view-all")
    client = login(people.admin)
    page = client.get("/boards/lab/access/")
    inherited = {(str(r["who"]), r["level"]) for r in page.context["inherited"]}
    assert ("olivia", "full") in inherited  # owner
    assert ("admins", "full") in inherited and ("viewers", "view") in inherited
    assert any(r["kind"] == "public" for r in page.context["inherited"])
    assert viewers.name in page.content.decode()
    # Add a user row, then raise it; one row per principal.
    client.post("/boards/lab/access/", {"principal": f"u:{people.outsider.pk}", "level": "view"})
    client.post("/boards/lab/access/", {"principal": f"u:{people.outsider.pk}", "level": "full"})
    row = BoardAccess.objects.get(board=board, user=people.outsider)
    assert row.level == "full"
    assert login(people.outsider).get("/boards/lab/general/").status_code == 200
    bad = client.post("/boards/lab/access/", {"principal": "u:999999", "level": "view"})
    assert bad.status_code == 400
    client.post(f"/boards/lab/access/{row.pk}/remove/")
    assert not BoardAccess.objects.filter(pk=row.pk).exists()
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions.count("board.access_changed") == 2 and "board.access_removed" in actions


def test_look_is_validated(people, login):
    make_board("lab", people.owner)
    client = login(people.owner)
    for field, value in (
        ("accent_color", "red"),
        ("background_url", "javascript:alert(1)"),
        ("background_url", 'https://x.example/a").png'),
        ("columns", 40),
    ):
        data = {"columns": 12, "color_scheme": "", field: value}
        response = client.post("/boards/lab/settings/", data)
        assert response.status_code == 400, (field, value)
    ok = {
        "columns": 12,
        "color_scheme": "dark",
        "accent_color": "#AA3300",
        "background_url": "https://img.example/bg.jpg",
    }
    assert client.post("/boards/lab/settings/", ok).status_code == 302
    page = client.get("/boards/lab/").content.decode()
    assert "--accent:#aa3300" in page and 'url("https://img.example/bg.jpg")' in page


def test_accent_colour_has_a_picker_and_the_hex_box_as_fallback(people, login):
    board = make_board("lab", people.owner, accent_color="#112233")
    client = login(people.owner)
    page = client.get("/boards/lab/settings/").content.decode()
    assert 'type="color" name="accent_color__picker" value="#112233"' in page
    assert 'name="accent_color" value="#112233"' in page

    def post(typed, picked, initial="#112233"):
        data = {"columns": 12, "color_scheme": "", "accent_color": typed,
                "accent_color__picker": picked, "accent_color__initial": initial}  # fmt: skip
        return client.post("/boards/lab/settings/", data)

    assert post("#112233", "#ff8800").status_code == 302  # only the picker changed
    board.refresh_from_db()
    assert board.accent_color == "#ff8800"
    assert post("#00AA00", "#ff8800", initial="#ff8800").status_code == 302  # typed wins
    board.refresh_from_db()
    assert board.accent_color == "#00AA00"
    assert post("", "#00aa00", initial="#00aa00").status_code == 302  # emptied: the default
    board.refresh_from_db()
    assert board.accent_color == ""
    # An untouched empty field with the picker showing its default keeps the default.
    assert post("", "#2563eb", initial="").status_code == 302
    board.refresh_from_db()
    assert board.accent_color == ""
    assert post("red", "#2563eb", initial="").status_code == 400


def test_collapsing_a_category_is_remembered_for_that_user_only(people, login):
    board = make_board("lab", people.owner)
    grant(board, "view", group=people.everyone)
    category = add_section(board, "category", "Media")
    add_item(category, "clock")
    member = login(people.member)
    url = f"/boards/lab/sections/{category.pk}/collapse/"
    assert (
        member.post(url, {"collapsed": "on"}, headers={"X-Requested-With": "fetch"}).status_code
        == 204
    )
    assert CollapsedSection.objects.filter(user=people.member, section=category).exists()
    assert (
        f'id="section-{category.pk}" data-collapse' in member.get("/boards/lab/").content.decode()
    )
    assert (
        "open"
        in login(people.outsider)
        .get("/boards/lab/")
        .content.decode()
        .split(f'id="section-{category.pk}"')[1][:20]
    )
    member.post(url, {})
    assert not CollapsedSection.objects.exists()
    area = add_section(board, "area")
    assert member.post(f"/boards/lab/sections/{area.pk}/collapse/", {}).status_code == 404


def test_nav_has_boards_and_preferences(people, login):
    body = login(people.member).get("/boards/").content.decode()
    assert 'href="/boards/"' in body and 'href="/preferences/"' in body


def test_unknown_widget_kinds_render_a_placeholder(people, login):
    board = make_board("lab", people.owner)
    section = add_section(board)
    Item.objects.create(board=board, section=section, kind="gone", options={})
    body = login(people.owner).get("/boards/lab/").content.decode()
    assert "This widget (gone) is not available." in body
    assert login(people.owner).get("/boards/lab/edit/").status_code == 200
    assert Section.objects.count() == 1
