"""Creating a board and arranging its widgets in a real browser."""

import pytest
from playwright.sync_api import expect

from boards.models import Board, Item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def drag(page, source, dx: float, dy: float) -> None:
    """Presses the mouse on `source`'s centre and drags it by (dx, dy) in small steps."""
    box = source.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=5)
    page.mouse.move(x + dx, y + dy, steps=5)
    page.mouse.up()


def add_widget(page, kind_label: str, fields: dict[str, str]) -> None:
    page.get_by_role("button", name="Add widget").click()
    picker = page.locator("#picker-dialog")
    expect(picker).to_be_visible()
    picker.get_by_role("button", name=kind_label).click()
    dialog = page.locator("#widget-dialog")
    expect(dialog).to_be_visible()
    for name, value in fields.items():
        dialog.locator(f"#id_opt-{name}").fill(value)
    dialog.get_by_role("button", name="Apply").click()
    expect(dialog).to_be_hidden()


def test_create_board_add_widgets_drag_resize_save_and_reload(
    page, live_server, people, log_in_browser, board_artifacts
):
    log_in_browser(page.context, people.owner)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/boards/")
    page.get_by_role("link", name="New board").click()
    page.get_by_label("Title").fill("Home lab")
    page.get_by_role("button", name="Create").click()
    expect(page).to_have_url(live_server.url + "/boards/home-lab/edit/")

    add_widget(page, "App link", {"name": "Jellyfin", "url": "https://jellyfin.example.org"})
    add_widget(page, "Clock", {"title": "Here"})
    add_widget(page, "Notes", {"text": "**Backups** run at night."})
    items = page.locator(".editor-item")
    expect(items).to_have_count(3)
    page.screenshot(path=board_artifacts / "editor-added.png", full_page=True)

    # Bad options: a clear error in the dialog, and nothing added.
    page.get_by_role("button", name="Add widget").click()
    page.locator("#picker-dialog").get_by_role("button", name="App link").click()
    dialog = page.locator("#widget-dialog")
    dialog.locator("#id_opt-name").fill("Evil")
    dialog.locator("#id_opt-url").fill("javascript:alert(1)")
    dialog.get_by_role("button", name="Apply").click()
    expect(dialog.get_by_role("alert")).to_contain_text("javascript")
    dialog.get_by_role("button", name="Cancel").click()
    expect(items).to_have_count(3)

    # Drag the app two columns to the right and one row down, then make it wider and taller.
    app = page.locator(".editor-item.widget-app")
    grid = page.locator(".editor-grid").first
    width = grid.bounding_box()["width"]
    step = (width + 12) / 12
    drag(page, app.locator("[data-drag]"), 6 * step, 100)
    drag(page, app.locator("[data-resize]"), 2 * step, 100)
    # Undo the resize, then redo it by keyboard: Shift+ArrowRight widens by one column.
    page.get_by_role("button", name="Undo").click()
    app.focus()
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    page.screenshot(path=board_artifacts / "editor-arranged.png", full_page=True)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#editor-status")).to_have_text("Saved.")

    board = Board.objects.get(name="home-lab")
    assert board.owner == people.owner
    app_item = Item.objects.get(board=board, kind="app")
    assert (app_item.x, app_item.y, app_item.w, app_item.h) == (6, 1, 3, 2)
    assert app_item.options["name"] == "Jellyfin"
    assert Item.objects.filter(board=board).count() == 3

    page.goto(live_server.url + "/boards/home-lab/")
    placed = page.locator(f"#item-{app_item.pk}")
    expect(placed).to_contain_text("Jellyfin")
    style = placed.evaluate(
        "e => { const s = getComputedStyle(e); return [s.gridColumnStart, s.gridColumnEnd,"
        " s.gridRowStart, s.gridRowEnd]; }"
    )
    assert style == ["7", "span 3", "2", "span 2"]
    expect(page.get_by_text("Backups")).to_be_visible()
    page.screenshot(path=board_artifacts / "board-after-save.png", full_page=True)

    # Editing again keeps the ids: a second save does not duplicate anything.
    page.goto(live_server.url + "/boards/home-lab/edit/")
    page.locator(".editor-item.widget-clock").focus()
    page.keyboard.press("ArrowRight")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#editor-status")).to_have_text("Saved.")
    assert Item.objects.filter(board=board).count() == 3
    assert Item.objects.get(pk=app_item.pk).x == 6


@pytest.mark.parametrize("layout", ["Desktop", "Phone"])
def test_drag_a_widget_into_another_section(page, live_server, people, log_in_browser, layout):
    from tests.boards.factories import add_item, add_section, make_board

    board = make_board("sections", people.owner)
    first = add_section(board, "category", "First", 0)
    second = add_section(board, "category", "Second", 1)
    mover = add_item(first, "app", box=(0, 0, 2, 1), narrow=(0, 0, 2, 1), name="Mover")
    add_item(second, "app", box=(0, 0, 2, 1), narrow=(0, 0, 2, 1), name="Stayer")
    log_in_browser(page.context, people.owner)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/boards/sections/edit/")
    page.get_by_role("button", name=layout, exact=True).click()
    source = page.locator(".editor-item", has_text="Mover").locator("[data-drag]")
    target = page.locator(".editor-grid").nth(1).bounding_box()
    start = source.bounding_box()
    # Drop it on the second section's first cell, where "Stayer" is: Stayer moves down.
    drag(page, source, target["x"] + 20 - start["x"], target["y"] + 20 - start["y"])
    expect(page.locator(".editor-grid").nth(1).locator(".editor-item")).to_have_count(2)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#editor-status")).to_have_text("Saved.")
    mover.refresh_from_db()
    assert mover.section_id == second.pk
