"""Hostile or broken input to the board editor's save, the import page and the widget options
dialog: a clear 4xx naming what was wrong, and nothing stored. Never a 500."""

import json

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection

from boards.layout import state
from boards.models import Board, Item, Section
from boards.render import load_sections
from boards.safety import LinkField
from boards.widgets import get_widget
from tests.boards.factories import OPTIONS, fill_board, make_board

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000
GOOD_EXPORT = {
    "format": "homeportal-board",
    "format_version": 1,
    "title": "T",
    "columns": 12,
    "sections": [
        {
            "kind": "category",
            "title": "Media",
            "items": [{"kind": "app", "options": OPTIONS["app"], "desktop": [0, 0, 2, 1]}],
        }
    ],
}


def snapshot(board: Board):
    board.refresh_from_db()
    return (
        board.version,
        list(Section.objects.order_by("pk").values()),
        list(Item.objects.order_by("pk").values()),
    )


def editor_state(board: Board) -> dict:
    return state(board, load_sections(board))


@pytest.fixture
def filled(people):
    board = make_board("mine", people.owner)
    fill_board(board, 3, sections=1)
    return board


def first_item(data):
    return data["sections"][0]["items"][0]


WRONG_SHAPES = {
    "the layout is a list": (lambda d: [d], "expected an object, got a list"),
    "sections is an object": (lambda d: {**d, "sections": {"a": 1}}, "sections: expected a list"),
    "sections is a number": (lambda d: {**d, "sections": 5}, "sections: expected a list"),
    "items is a number": (
        lambda d: {**d, "sections": [{**d["sections"][0], "items": 7}]},
        "sections[0].items: expected a list",
    ),
    "a section id is a list": (
        lambda d: {**d, "sections": [{**d["sections"][0], "id": [1]}]},
        "sections[0].id: expected a whole number or null, got a list",
    ),
    "an item id is an object": (
        lambda d: (first_item(d).update(id={"pk": 1}), d)[1],
        "sections[0].items[0].id: expected a whole number or null, got an object",
    ),
    "an item id is a list": (
        lambda d: (first_item(d).update(id=[1, 2]), d)[1],
        "sections[0].items[0].id",
    ),
    "a position is a number": (
        lambda d: (first_item(d).update(desktop=4), d)[1],
        "sections[0].items[0].desktop: expected a list of 4, got a whole number",
    ),
    "options are a list": (
        lambda d: (first_item(d).update(options=["name", "x"]), d)[1],
        "sections[0].items[0].options",
    ),
    "an unknown key": (lambda d: {**d, "owner": 1}, "owner: unknown key"),
}


@pytest.mark.parametrize("case", WRONG_SHAPES, ids=list(WRONG_SHAPES))
def test_layout_save_refuses_json_of_the_wrong_shape(filled, people, login, case):
    change, message = WRONG_SHAPES[case]
    before = snapshot(filled)
    data = change(editor_state(filled))
    response = login(people.owner).post("/boards/mine/save/", {"state": json.dumps(data)})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any(message in e for e in errors), errors
    assert snapshot(filled) == before


def test_layout_save_refuses_deep_nesting_without_recursing(filled, people, login):
    before = snapshot(filled)
    for text in (DEEP, '{"sections":' + "[" * 5000 + "]" * 5000 + "}"):
        response = login(people.owner).post("/boards/mine/save/", {"state": text})
        assert response.status_code == 400
        assert any("nests deeper than" in e for e in response.json()["errors"])
    assert snapshot(filled) == before


def test_brackets_inside_strings_do_not_count_as_nesting(filled, people, login):
    data = editor_state(filled)
    data["sections"][0]["title"] = "[" * 100
    data["sections"][0]["kind"] = "category"
    response = login(people.owner).post("/boards/mine/save/", {"state": json.dumps(data)})
    assert response.status_code == 200, response.content
    assert Section.objects.get().title == "[" * 100


@pytest.mark.parametrize(
    ("text", "message"),
    [("Media \ud800", "invalid Unicode"), ("Media\x00", "NUL character")],
    ids=["lone surrogate", "NUL"],
)
@pytest.mark.parametrize("where", ["section title", "widget title"])
def test_layout_save_refuses_unstorable_text(filled, people, login, text, message, where):
    before = snapshot(filled)
    data = editor_state(filled)
    if where == "section title":
        data["sections"][0].update(kind="category", title=text)
        place = "sections[0].title"
    else:
        clock = next(i for i in data["sections"][0]["items"] if "title" in i["options"])
        clock["options"]["title"] = text
        place = "options.title"
    response = login(people.owner).post("/boards/mine/save/", {"state": json.dumps(data)})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any(place in e and message in e for e in errors), errors
    assert snapshot(filled) == before


def post_import(client, document):
    text = document if isinstance(document, str) else json.dumps(document)
    return client.post("/boards/import/", {"text": text})


IMPORT_CASES = {
    "sections is an object": ({**GOOD_EXPORT, "sections": {}}, "sections: expected a list"),
    "columns is a list": ({**GOOD_EXPORT, "columns": [12]}, "columns: expected a whole number"),
    "an item is a number": (
        {**GOOD_EXPORT, "sections": [{"kind": "area", "items": [3]}]},
        "sections[0].items[0]: expected an object",
    ),
    "deep nesting": (DEEP, "nests deeper than"),
    "a lone surrogate in the title": ({**GOOD_EXPORT, "title": "Lab \ud800"}, "invalid Unicode"),
    "a NUL in the title": ({**GOOD_EXPORT, "title": "Lab\x00"}, "NUL character"),
    "a NUL in a section title": (
        {**GOOD_EXPORT, "sections": [{**GOOD_EXPORT["sections"][0], "title": "M\x00"}]},
        "sections[0].title: contains a NUL character",
    ),
    "a lone surrogate in a key": ({**GOOD_EXPORT, "\udfff": 1}, "a key contains invalid"),
}


@pytest.mark.parametrize("case", IMPORT_CASES, ids=list(IMPORT_CASES))
def test_import_refuses_bad_json_with_the_form_and_a_reason(people, login, case):
    document, message = IMPORT_CASES[case]
    response = post_import(login(people.owner), document)
    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert any(message in e for e in errors), errors
    assert message in response.content.decode()
    assert not Board.objects.exists() and not Item.objects.exists()


def test_import_of_a_good_file_still_works(people, login):
    response = post_import(login(people.owner), GOOD_EXPORT)
    assert response.status_code == 302
    assert Section.objects.get().title == "Media"


WIDGET_CASES = {
    "options are a list": ('["name"]', "expected an object, got a list"),
    "options are a number": ("5", "expected an object, got a whole number"),
    "deep nesting": ('{"name":' + DEEP, "nests deeper than"),
    "a lone surrogate": (json.dumps({"name": "\ud800"}), "name: contains invalid Unicode"),
    "a NUL": (json.dumps({"name": "a\x00"}), "name: contains a NUL character"),
}


@pytest.mark.parametrize("case", WIDGET_CASES, ids=list(WIDGET_CASES))
def test_widget_options_dialog_refuses_bad_json(people, login, case):
    board = make_board("mine", people.owner)
    options, message = WIDGET_CASES[case]
    response = login(people.owner).post(
        f"/boards/{board.name}/widget-form/", {"kind": "app", "load": "on", "options": options}
    )
    assert response.status_code == 400
    errors = response.json()["errors"]["options"]
    assert any(message in e for e in errors), errors
    assert not Item.objects.exists()


def test_widget_options_posted_as_a_form_refuse_a_nul(people, login):
    board = make_board("mine", people.owner)
    response = login(people.owner).post(
        f"/boards/{board.name}/widget-form/",
        {"kind": "app", "opt-name": "Films\x00", "opt-url": "https://x.example"},
    )
    assert response.status_code == 422
    assert "NUL character" in response.json()["form"]


@pytest.mark.parametrize("value", ["Films \ud800", "Films\x00", "\udc00x"])
def test_every_text_form_field_refuses_unstorable_text(value):
    """Form posts cannot carry a lone surrogate (Django decodes them as U+FFFD), but text
    reaches forms from JSON too (stored and imported widget options): the check sits on every
    forms.CharField, of every app."""
    options, form = get_widget("app").validate({"name": value, "url": "https://x.example"})
    assert options is None and "name" in form.errors
    for field in (forms.CharField(), forms.EmailField(), forms.SlugField(), LinkField()):
        with pytest.raises(ValidationError):
            field.clean(value)


def test_board_title_with_a_nul_gets_the_form_back(people, login):
    response = login(people.owner).post("/boards/new/", {"title": "Lab\x00", "name": "lab"})
    assert response.status_code == 200 and response.context["form"].errors
    assert "NUL character" in response.content.decode()
    assert not Board.objects.exists()
    assert connection.vendor in ("sqlite", "postgresql")
