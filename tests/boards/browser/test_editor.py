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

    # Drag the app six columns to the right and one row down, then make it wider and taller.
    # Nothing is above it there, so it rises back to the first row: sections keep no holes.
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
    assert (app_item.x, app_item.y, app_item.w, app_item.h) == (6, 0, 3, 2)
    assert app_item.options["name"] == "Jellyfin"
    assert Item.objects.filter(board=board).count() == 3

    page.goto(live_server.url + "/boards/home-lab/")
    placed = page.locator(f"#item-{app_item.pk}")
    expect(placed).to_contain_text("Jellyfin")
    style = placed.evaluate(
        "e => { const s = getComputedStyle(e); return [s.gridColumnStart, s.gridColumnEnd,"
        " s.gridRowStart, s.gridRowEnd]; }"
    )
    assert style == ["7", "span 3", "1", "span 2"]
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


def _boxes(board) -> dict[str, tuple]:
    return {i.options["name"]: (i.x, i.y, i.w, i.h) for i in Item.objects.filter(board=board)}


def test_moving_down_swaps_and_nothing_leaves_a_hole(
    page, live_server, people, log_in_browser, board_artifacts
):
    from tests.boards.factories import add_item, add_section, make_board

    board = make_board("stack", people.owner)
    area = add_section(board)
    for n, name in enumerate(("A", "B", "C")):
        add_item(area, "app", box=(0, n, 2, 1), narrow=(0, n, 2, 1), name=name)
    log_in_browser(page.context, people.owner)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/boards/stack/edit/")
    page.locator(".editor-item", has_text="A").focus()
    page.keyboard.press("ArrowDown")  # onto B: they swap
    page.locator(".editor-item", has_text="C").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # C moves right: it rises to the first row
    page.locator(".editor-item", has_text="B").locator("[data-remove]").click()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#editor-status")).to_have_text("Saved.")
    assert _boxes(board) == {"A": (0, 0, 2, 1), "C": (2, 0, 2, 1)}


def test_tidy_closes_the_gaps_of_an_old_layout(
    page, live_server, people, log_in_browser, board_artifacts
):
    from tests.boards.factories import add_item, add_section, make_board

    board = make_board("holes", people.owner)
    area = add_section(board)
    add_item(area, "app", box=(0, 2, 3, 1), narrow=(0, 2, 2, 1), name="Low")
    add_item(area, "app", box=(4, 5, 3, 2), narrow=(0, 5, 2, 1), name="Lower")
    add_item(area, "app", box=(0, 8, 6, 1), narrow=(0, 8, 4, 1), name="Lowest")
    log_in_browser(page.context, people.owner)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/boards/holes/edit/")
    page.screenshot(path=board_artifacts / "editor-before-tidy.png", full_page=True)
    page.get_by_role("button", name="Tidy").click()
    expect(page.locator("#editor-status")).to_have_text("Tidied: every gap is closed.")
    page.screenshot(path=board_artifacts / "editor-after-tidy.png", full_page=True)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#editor-status")).to_have_text("Saved.")
    assert _boxes(board) == {
        "Low": (0, 0, 3, 1),
        "Lower": (4, 0, 3, 2),
        "Lowest": (0, 2, 6, 1),
    }


def test_drop_on_a_category_title_and_move_through_the_options_dialog(
    page, live_server, people, log_in_browser
):
    from tests.boards.factories import add_item, add_section, make_board

    board = make_board("cats", people.owner)
    first = add_section(board, "category", "First", 0)
    second = add_section(board, "category", "Second", 1)
    third = add_section(board, "category", "Third", 2)
    by_title = add_item(first, "app", box=(0, 0, 2, 1), narrow=(0, 0, 2, 1), name="ByTitle")
    by_dialog = add_item(first, "app", box=(2, 0, 2, 1), narrow=(2, 0, 2, 1), name="ByDialog")
    add_item(third, "app", box=(0, 0, 4, 2), narrow=(0, 0, 4, 2), name="Resident")
    log_in_browser(page.context, people.owner)
    page.set_viewport_size({"width": 1280, "height": 1400})
    page.goto(live_server.url + "/boards/cats/edit/")

    source = page.locator(".editor-item", has_text="ByTitle").locator("[data-drag]")
    title = page.locator(".editor-section-header").nth(2)
    start, end = source.bounding_box(), title.bounding_box()
    drag(page, source, end["x"] + 40 - start["x"], end["y"] + end["height"] / 2 - start["y"])
    expect(page.locator(".editor-grid").nth(2).locator(".editor-item")).to_have_count(2)

    page.locator(".editor-item", has_text="ByDialog").locator("[data-options]").click()
    dialog = page.locator("#widget-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Section").select_option(label="Second")
    dialog.get_by_role("button", name="Apply").click()
    expect(page.locator(".editor-grid").nth(1).locator(".editor-item")).to_have_count(1)
    expect(page.locator(".editor-grid").nth(0).locator(".editor-item")).to_have_count(0)

    page.get_by_role("button", name="Save").click()
    expect(page.locator("#editor-status")).to_have_text("Saved.")
    by_title.refresh_from_db()
    by_dialog.refresh_from_db()
    assert by_title.section_id == third.pk and by_dialog.section_id == second.pk
    assert (by_title.y, by_dialog.y) == (2, 0)  # below what the section held; at the top


def test_the_editor_opens_the_phone_layout_on_a_phone(
    page, live_server, people, log_in_browser, board_artifacts
):
    from tests.boards.factories import add_item, add_section, make_board

    board = make_board("pocket", people.owner)
    area = add_section(board)
    add_item(area, "app", box=(0, 0, 3, 1), narrow=(0, 0, 2, 1), name="Jellyfin")
    add_item(area, "clock", box=(3, 0, 3, 1), narrow=(2, 0, 2, 1))
    log_in_browser(page.context, people.owner)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/boards/pocket/edit/")
    expect(page.get_by_role("button", name="Phone", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#editor-status")).to_contain_text("This is the phone layout")
    grid = page.locator(".editor-grid").first
    assert grid.evaluate("g => getComputedStyle(g).gridTemplateColumns.split(' ').length") == 4
    # Widgets are wide enough to read and their buttons do not cover the title.
    item = page.locator(".editor-item", has_text="Jellyfin")
    assert item.bounding_box()["width"] > 150
    controls = item.locator(".item-controls").bounding_box()
    name = item.get_by_text("Jellyfin").bounding_box()
    assert controls["y"] + controls["height"] <= name["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=board_artifacts / "editor-phone.png", full_page=True)


def test_icon_picker_searches_picks_and_matches_automatically(
    page, live_server, people, log_in_browser, board_artifacts
):
    from tests.boards.factories import add_section, make_board

    board = make_board("apps", people.owner)
    add_section(board)
    log_in_browser(page.context, people.owner)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/boards/apps/edit/")

    # Picked from the search.
    page.get_by_role("button", name="Add widget").click()
    page.locator("#picker-dialog").get_by_role("button", name="App link").click()
    dialog = page.locator("#widget-dialog")
    dialog.locator("#id_opt-name").fill("Films")
    dialog.locator("#id_opt-url").fill("https://films.home.lan/")
    dialog.get_by_label("Search the icons").fill("jelly")
    choice = dialog.locator('[data-brand-icon="jellyfin"]')
    expect(choice).to_be_visible()
    page.screenshot(path=board_artifacts / "icon-picker.png")
    choice.click()
    expect(dialog.locator("#id_opt-brand_icon")).to_have_value("jellyfin")
    expect(dialog.locator("[data-brand-preview] img")).to_be_visible()
    dialog.get_by_role("button", name="Apply").click()
    expect(dialog).to_be_hidden()

    # Matched from the name, with nothing picked.
    add_widget(page, "App link", {"name": "Plex", "url": "https://tv.home.lan/"})
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#editor-status")).to_have_text("Saved.")
    chosen = {i.options["name"]: i.options["brand_icon"] for i in Item.objects.filter(board=board)}
    assert chosen == {"Films": "jellyfin", "Plex": "plex"}
    page.goto(live_server.url + "/boards/apps/")
    expect(page.locator('img[src*="/icons/brands/jellyfin."]')).to_be_visible()
    expect(page.locator('img[src*="/icons/brands/plex."]')).to_be_visible()
    page.screenshot(path=board_artifacts / "board-with-brand-icons.png")


def test_a_widget_is_not_resized_below_its_smallest_size(page, live_server, people, log_in_browser):
    from tests.boards.factories import add_item, add_section, make_board

    board = make_board("small", people.owner)
    item = add_item(add_section(board), "search", box=(0, 0, 4, 1), narrow=(0, 0, 4, 1))
    log_in_browser(page.context, people.owner)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/boards/small/edit/")
    page.locator(".editor-item.widget-search").focus()
    for _ in range(3):
        page.keyboard.press("Shift+ArrowLeft")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#editor-status")).to_have_text("Saved.")
    item.refresh_from_db()
    assert (item.w, item.h) == (3, 1)  # the search box's smallest width


def test_the_editor_shows_apps_status_below_its_buttons(
    page, live_server, people, log_in_browser, board_artifacts
):
    from tests.boards.factories import add_item, add_section, make_board
    from tests.boards.local_http import http_server

    board = make_board("uptime", people.owner)
    area = add_section(board)
    with http_server() as url:
        add_item(area, "app", box=(0, 0, 3, 1), name="Jellyfin", ping=True, ping_url=url + "/ok")
        add_item(area, "app", box=(3, 0, 3, 1), name="Sonarr", ping=True, ping_url=url + "/broken")
        log_in_browser(page.context, people.owner)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(live_server.url + "/boards/uptime/edit/")
        up_item = page.locator(".editor-item", has_text="Jellyfin")
        down_item = page.locator(".editor-item", has_text="Sonarr")
        expect(up_item.locator(".status")).to_have_class("status status-up")
        expect(down_item.locator(".status")).to_have_class("status status-down")
    expect(up_item.locator(".status")).to_contain_text("Up")
    expect(down_item.locator(".status")).to_contain_text("Down")
    for item in (up_item, down_item):
        strip = item.locator(".item-controls").bounding_box()
        status = item.locator(".status").bounding_box()
        assert strip["y"] + strip["height"] <= status["y"]  # not under the buttons
    # The status stays through a change that draws the editor again.
    up_item.focus()
    page.keyboard.press("ArrowRight")
    expect(up_item.locator(".status")).to_have_class("status status-up")
    page.screenshot(path=board_artifacts / "editor-app-status.png")
