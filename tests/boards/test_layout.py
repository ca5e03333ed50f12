"""The layout the editor saves and the file an import reads: checked whole, applied whole."""

import json

import pytest

from boards.layout import (
    LayoutError,
    apply_layout,
    fit_to_columns,
    generate_narrow,
    parse_layout,
    state,
)
from boards.models import Board, Item, Section
from boards.render import load_sections
from tests.boards.factories import OPTIONS, add_item, add_section, fill_board, make_board

pytestmark = pytest.mark.django_db


def layout(*items, kind="area", title="", columns=12, **extra) -> dict:
    return {
        "columns": columns,
        "sections": [{"kind": kind, "title": title, "items": list(items)}],
        **extra,
    }


def app(box, narrow=None, **options) -> dict:
    return {
        "kind": "app",
        "options": {**OPTIONS["app"], **options},
        "desktop": list(box),
        "narrow": list(narrow) if narrow else None,
    }


def errors(data, columns=12) -> list[str]:
    with pytest.raises(LayoutError) as caught:
        parse_layout(data, columns=columns)
    return caught.value.messages


def test_a_valid_layout_parses():
    parsed = parse_layout(layout(app((0, 0, 2, 1)), app((2, 0, 2, 1))), columns=12)
    assert [i.desktop for i in parsed.sections[0].items] == [(0, 0, 2, 1), (2, 0, 2, 1)]


@pytest.mark.parametrize(
    "box",
    [
        (11, 0, 2, 1),
        (-1, 0, 1, 1),
        (0, -1, 1, 1),
        (0, 0, 0, 1),
        (0, 0, 1, 0),
        (0, 0, 1, 25),
        (0, 0, 13, 1),
        (0, 999, 1, 2),
        ("0", 0, 1, 1),
        (0, 0, 1),
        (0, 0, 1.5, 1),
        (True, 0, 1, 1),
    ],
)
def test_positions_outside_the_grid_are_refused(box):
    assert "does not fit a grid of 12 columns" in errors(layout(app(box)))[0]


def test_narrow_positions_must_fit_the_phone_grid():
    data = layout(app((0, 0, 2, 1), narrow=(3, 0, 2, 1)), narrow_custom=True)
    assert "phone position" in errors(data)[0]
    # Not arranged by hand: phone places are regenerated, so what was sent does not matter.
    assert parse_layout(layout(app((0, 0, 2, 1), narrow=(3, 0, 2, 1))), columns=12)


def test_overlapping_items_are_refused_in_either_layout():
    assert "overlap (desktop layout)" in errors(layout(app((0, 0, 2, 2)), app((1, 1, 2, 1))))[0]
    both = layout(
        app((0, 0, 2, 1), narrow=(0, 0, 4, 1)),
        app((2, 0, 2, 1), narrow=(0, 0, 2, 1)),
        narrow_custom=True,
    )
    assert "overlap (phone layout)" in errors(both)[0]


def test_bad_options_are_refused_with_the_widget_and_field_named():
    messages = errors(layout(app((0, 0, 2, 1), url="javascript:alert(1)", name="")))
    assert any("App link" in m and "Name" in m for m in messages)
    assert any("javascript" in m for m in messages)


def test_unknown_kinds_sections_and_shapes_are_refused():
    assert "unknown kind" in errors(layout({"kind": "bitcoin-miner", "options": {}}))[0]
    assert "unknown kind" in errors({"sections": [{"kind": "sidebar", "items": []}]})[0]
    assert "category needs a title" in errors(layout(kind="category"))[0]
    assert "not understood" in errors({"sections": "all"})[0]
    assert "not understood" in errors([1, 2])[0]


def test_limits_on_sections_and_items():
    assert "at most 50 sections" in errors({"sections": [{"kind": "area"}] * 51})[0]
    many = [app((n % 6 * 2, n // 6, 2, 1)) for n in range(251)]
    assert "at most 250 widgets" in errors(layout(*many))[0]


def test_ids_must_belong_to_the_board(people):
    mine = make_board("mine", people.owner)
    other = make_board("other", people.owner)
    other_item = add_item(add_section(other), "app")
    data = layout({**app((0, 0, 2, 1)), "id": other_item.pk})
    with pytest.raises(LayoutError) as caught:
        parse_layout(data, columns=12, sections_by_id={}, items_by_id={})
    assert "not part of this board" in caught.value.messages[0]
    sections = load_sections(mine)
    assert sections == []


def test_an_item_cannot_change_its_kind(people):
    board = make_board("mine", people.owner)
    item = add_item(add_section(board), "app")
    data = layout(
        {"id": item.pk, "kind": "clock", "options": OPTIONS["clock"], "desktop": [0, 0, 2, 1]}
    )
    with pytest.raises(LayoutError) as caught:
        parse_layout(data, columns=12, sections_by_id={}, items_by_id={item.pk: item})
    assert "cannot change its kind" in caught.value.messages[0]


def test_options_are_cleaned_by_the_widget_form():
    parsed = parse_layout(
        layout(app((0, 0, 2, 1), extra="dropped", name="  Jellyfin ")), columns=12
    )
    options = parsed.sections[0].items[0].options
    assert "extra" not in options
    assert options["name"] == "Jellyfin"


def test_generated_phone_layout_follows_reading_order():
    desktop = [(6, 0, 2, 1), (0, 0, 6, 2), (8, 0, 2, 1), (0, 2, 12, 1)]
    assert generate_narrow(desktop, 12) == [(0, 2, 2, 1), (0, 0, 4, 2), (2, 2, 2, 1), (0, 3, 4, 1)]


def test_fit_to_columns_moves_shrinks_and_pushes_down():
    boxes = [(0, 0, 6, 1), (6, 0, 6, 1), (10, 1, 2, 1)]
    assert fit_to_columns(boxes, 4) == [(0, 0, 4, 1), (0, 1, 4, 1), (2, 2, 2, 1)]


def test_apply_keeps_ids_creates_updates_deletes_and_orders(people):
    board = make_board("mine", people.owner)
    keep = add_section(board, "category", "Keep", 0)
    gone = add_section(board, "area", "", 1)
    kept_item = add_item(keep, "app", box=(0, 0, 2, 1))
    add_item(keep, "clock", box=(2, 0, 2, 1))
    add_item(gone, "notes")
    data = {
        "sections": [
            {"kind": "area", "items": [app((0, 0, 3, 1), name="New")]},
            {
                "id": keep.pk,
                "kind": "category",
                "title": "Kept",
                "items": [{**app((4, 0, 2, 2)), "id": kept_item.pk}],
            },
        ],
    }
    sections = load_sections(board)
    parsed = parse_layout(
        data,
        columns=12,
        sections_by_id={s.pk: s for s in sections},
        items_by_id={i.pk: i for s in sections for i in s.item_list},
    )
    saved = apply_layout(board, parsed)
    assert saved[1]["id"] == keep.pk and saved[1]["items"][0]["id"] == kept_item.pk
    assert not Section.objects.filter(pk=gone.pk).exists()
    assert [s.title for s in board.sections.all()] == ["", "Kept"]
    kept_item.refresh_from_db()
    assert (kept_item.x, kept_item.y, kept_item.w, kept_item.h) == (4, 0, 2, 2)
    assert Item.objects.filter(board=board).count() == 2
    assert board.version == 2


def test_phone_layout_regenerated_until_arranged_by_hand(people):
    board = make_board("mine", people.owner)
    parsed = parse_layout(
        layout(app((0, 0, 2, 1), narrow=(2, 5, 2, 1)), app((2, 0, 2, 1))), columns=12
    )
    apply_layout(board, parsed)
    assert sorted(Item.objects.values_list("nx", "ny", "nw", "nh")) == [(0, 0, 2, 1), (2, 0, 2, 1)]
    custom = layout(app((0, 0, 2, 1), narrow=(2, 5, 2, 1)), app((2, 0, 2, 1)), narrow_custom=True)
    apply_layout(board, parse_layout(custom, columns=12))
    board.refresh_from_db()
    assert board.narrow_custom
    # The hand-placed item stays; the one without a phone place goes below everything.
    assert sorted(Item.objects.values_list("nx", "ny", "nw", "nh")) == [(0, 6, 2, 1), (2, 5, 2, 1)]


# --- The editor's save endpoint --------------------------------------------------------------


def editor_state(board: Board) -> dict:
    return state(board, load_sections(board))


def save(client, board, data):
    return client.post(f"/boards/{board.name}/save/", {"state": json.dumps(data)})


def test_save_applies_the_whole_layout(people, login):
    board = make_board("mine", people.owner)
    fill_board(board, 4, sections=1)
    data = editor_state(board)
    data["sections"][0]["items"][0]["desktop"] = [0, 3, 4, 2]
    data["sections"].append(
        {
            "id": None,
            "kind": "category",
            "title": "More",
            "items": [app((0, 0, 2, 1), name="Added")],
        }
    )
    response = save(login(people.owner), board, data)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] and body["version"] == 2
    new_id = body["state"]["sections"][1]["items"][0]["id"]
    assert Item.objects.get(pk=new_id).options["name"] == "Added"
    first = Item.objects.get(pk=data["sections"][0]["items"][0]["id"])
    assert (first.x, first.y, first.w, first.h) == (0, 3, 4, 2)


def test_save_with_bad_options_or_positions_changes_nothing(people, login):
    board = make_board("mine", people.owner)
    fill_board(board, 4, sections=1)
    before = list(Item.objects.order_by("pk").values())
    client = login(people.owner)
    for change in (
        lambda d: d["sections"][0]["items"][0]["options"].update(url="javascript:alert(1)"),
        lambda d: d["sections"][0]["items"][1].update(desktop=[0, 0, 2, 1]),  # overlaps item 0
        lambda d: d["sections"][0]["items"][2].update(desktop=[11, 0, 2, 1]),
        lambda d: d["sections"][0]["items"].append({"kind": "nope", "options": {}}),
    ):
        data = editor_state(board)
        change(data)
        response = save(client, board, data)
        assert response.status_code == 400
        assert response.json()["errors"]
    assert list(Item.objects.order_by("pk").values()) == before
    board.refresh_from_db()
    assert board.version == 1


def test_save_from_an_outdated_editor_is_refused(people, login):
    board = make_board("mine", people.owner)
    fill_board(board, 2, sections=1)
    client = login(people.owner)
    first = editor_state(board)
    assert save(client, board, first).status_code == 200
    response = save(client, board, first)  # the same, still at version 1
    assert response.status_code == 409
    assert "changed this board meanwhile" in response.json()["errors"][0]


def test_save_refuses_items_of_another_board(people, login):
    board = make_board("mine", people.owner)
    other = make_board("other", people.owner)
    theirs = add_item(add_section(other), "app")
    data = editor_state(board)
    data["sections"] = [
        {"id": None, "kind": "area", "items": [{**app((0, 0, 2, 1)), "id": theirs.pk}]}
    ]
    assert save(login(people.owner), board, data).status_code == 400
    assert Item.objects.get(pk=theirs.pk).board == other


def test_widget_form_checks_options_without_saving(people, login):
    board = make_board("mine", people.owner)
    client = login(people.owner)
    url = f"/boards/{board.name}/widget-form/"
    loaded = client.post(url, {"kind": "app", "load": "on", "options": json.dumps({"name": "A"})})
    assert loaded.status_code == 200 and 'value="A"' in loaded.json()["form"]
    bad = client.post(url, {"kind": "app", "opt-name": "X", "opt-url": "javascript:alert(1)"})
    assert bad.status_code == 422
    assert "not allowed" in bad.json()["form"] and not bad.json()["ok"]
    good = client.post(url, {"kind": "app", "opt-name": "X", "opt-url": "https://x.example"})
    assert good.json()["ok"] and good.json()["options"]["url"] == "https://x.example"
    assert "https://x.example" in good.json()["html"]
    assert client.post(url, {"kind": "nope"}).status_code == 400
    assert Item.objects.count() == 0


def test_changing_columns_refits_the_layout(people, login):
    board = make_board("mine", people.owner)
    section = add_section(board)
    add_item(section, "app", box=(8, 0, 4, 1))
    add_item(section, "clock", box=(0, 0, 6, 1))
    response = login(people.owner).post(
        "/boards/mine/settings/", {"columns": 4, "color_scheme": "", "description": ""}
    )
    assert response.status_code == 302
    boxes = sorted(Item.objects.values_list("x", "y", "w", "h"))
    # Each keeps its place relative to the width: the clock on the left half, the app at the
    # right edge, side by side as before.
    assert boxes == [(0, 0, 2, 1), (3, 0, 1, 1)]


def test_columns_twelve_to_six_and_back_give_the_layout_back(people, login):
    board = make_board("mine", people.owner)
    section = add_section(board)
    boxes = [(0, 0, 4, 2), (4, 0, 4, 1), (8, 0, 4, 1), (4, 1, 8, 1), (0, 2, 12, 2)]
    for box in boxes:
        add_item(section, "clock", box=box)
    client = login(people.owner)
    for columns in (6, 12):
        data = {"columns": columns, "color_scheme": "", "description": ""}
        assert client.post("/boards/mine/settings/", data).status_code == 302
    assert sorted(Item.objects.values_list("x", "y", "w", "h")) == sorted(boxes)
    assert Item.objects.filter(x__gte=6).exists()  # not squashed into the left half


def test_compact_closes_holes_in_reading_order():
    from boards.layout import compact

    assert compact([(0, 3, 2, 1), (2, 5, 2, 2), (0, 6, 4, 1)]) == [
        (0, 0, 2, 1),
        (2, 0, 2, 2),
        (0, 2, 4, 1),
    ]
