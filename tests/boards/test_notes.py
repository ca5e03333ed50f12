"""Notes: Markdown rendered once when the note is saved (CommonMark, linear time), sanitised,
and stored; board pages show the stored HTML; exports leave it out; imports render again."""

import importlib
import json

import pytest
from django.apps import apps

from boards.layout import state
from boards.models import Item
from boards.render import load_sections
from tests.boards.factories import add_item, add_section, make_board

pytestmark = pytest.mark.django_db


def note(text: str, **extra) -> dict:
    return {"kind": "notes", "options": {"title": "N", "text": text, **extra},
            "desktop": [0, 0, 3, 2], "narrow": None}  # fmt: skip


def save(client, board, items) -> dict:
    data = state(board, load_sections(board))
    data["sections"] = [{"id": None, "kind": "area", "title": "", "items": items}]
    response = client.post(f"/boards/{board.name}/save/", {"state": json.dumps(data)})
    assert response.status_code == 200, response.content
    return response.json()


def test_a_saved_note_stores_its_clean_html(people, login):
    board = make_board("mine", people.owner)
    text = "# Hi\n\n**bold** ~~gone~~ <img src=x onerror=alert(1)>\n\n| a |\n|---|\n| 1 |"
    save(login(people.owner), board, [note(text)])
    html = Item.objects.get().options["html"]
    assert "<h1>Hi</h1>" in html and "<strong>bold</strong>" in html and "<del>gone</del>" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "onerror" not in html and "<img" in html


def test_html_sent_by_a_client_is_replaced_by_the_rendering_of_the_text(people, login):
    board = make_board("mine", people.owner)
    save(login(people.owner), board, [note("plain", html="<script>alert(1)</script>")])
    assert Item.objects.get().options["html"] == "<p>plain</p>\n"


def test_the_board_page_shows_the_stored_html(people, login):
    board = make_board("mine", people.owner)
    section = add_section(board)
    add_item(section, "notes", text="*text*", html="<p>rendered when saved</p>")
    page = login(people.owner).get("/boards/mine/").content.decode()
    assert "<p>rendered when saved</p>" in page
    assert "<em>text</em>" not in page


def test_the_options_preview_renders_a_pathological_note(people, login):
    """Twenty thousand "[" never finished with the old renderer (quadratic); CommonMark's
    parser is linear (bench/bench_markdown.py has the figures)."""
    board = make_board("mine", people.owner)
    response = login(people.owner).post(
        f"/boards/{board.name}/widget-form/",
        {"kind": "notes", "opt-title": "", "opt-text": "[" * 20000},
    )
    body = response.json()
    assert response.status_code == 200 and body["ok"]
    assert body["options"]["html"] == "<p>" + "[" * 20000 + "</p>\n"


def test_exports_leave_the_html_out_and_imports_render_it_again(people, login):
    board = make_board("mine", people.owner)
    client = login(people.owner)
    save(client, board, [note("**x**")])
    exported = client.get("/boards/mine/export/").json()
    options = exported["sections"][0]["items"][0]["options"]
    assert "html" not in options and options["text"] == "**x**"
    options["html"] = '<a href="javascript:alert(1)">forged</a>'
    response = client.post("/boards/import/", {"text": json.dumps(exported), "title": "Copy"})
    assert response.status_code == 302
    imported = Item.objects.exclude(board=board).get()
    assert imported.options["html"] == "<p><strong>x</strong></p>\n"


def test_the_migration_renders_existing_notes(people):
    section = add_section(make_board("mine", people.owner))
    old = add_item(section, "notes")
    Item.objects.filter(pk=old.pk).update(options={"text": "# Old\n\n<script>x</script>ok"})
    migration = importlib.import_module("boards.migrations.0003_notes_store_rendered_html")
    migration.render_notes(apps, None)
    old.refresh_from_db()
    assert old.options["html"].startswith("<h1>Old</h1>")
    assert "<script" not in old.options["html"] and "ok" in old.options["html"]


@pytest.mark.parametrize(
    "text",
    [">" * 20000, "- a\n" + "".join("  " * i + "- a\n" for i in range(1, 40)), "<div>" * 4000,
     "<b><div></b>" * 1600, "<ul><li>" * 2500],
    ids=["quotes", "indented lists", "raw divs", "misnested formatting", "raw lists"],
)  # fmt: skip
def test_a_note_nesting_too_deep_is_refused_with_a_reason(people, login, text):
    """The sanitiser's HTML parser is quadratic in nesting depth: 20,000 ">" cost seconds.
    Such a note is refused (the options dialog and the layout save alike), nothing stored."""
    board = make_board("mine", people.owner)
    client = login(people.owner)
    response = client.post(
        f"/boards/{board.name}/widget-form/", {"kind": "notes", "opt-text": text}
    )
    assert response.status_code == 422
    assert "more than 32 levels deep" in response.json()["form"]
    data = state(board, load_sections(board))
    data["sections"] = [{"id": None, "kind": "area", "title": "", "items": [note(text)]}]
    response = client.post(f"/boards/{board.name}/save/", {"state": json.dumps(data)})
    assert response.status_code == 400
    assert any("more than 32 levels deep" in e for e in response.json()["errors"])
    assert not Item.objects.exists()


def test_a_note_nesting_a_few_levels_renders(people, login):
    board = make_board("mine", people.owner)
    save(login(people.owner), board, [note("> - quoted **list** with <b><i>tags</i></b>")])
    html = Item.objects.get().options["html"]
    assert "<blockquote>" in html and "<li>quoted <strong>list</strong>" in html
    assert "<b><i>tags</i></b>" in html
