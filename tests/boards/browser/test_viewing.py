"""Viewing boards in a real browser: a `view` user, an anonymous visitor, a phone."""

import pytest
from playwright.sync_api import expect

from boards.models import Board, Item
from tests.boards.factories import add_item, add_section, fill_board, grant, make_board

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)


def test_view_user_sees_the_board_without_editing_controls(
    page, live_server, people, log_in_browser, board_artifacts
):
    board = make_board("family", people.owner, title="Family")
    fill_board(board, 8)
    grant(board, "view", group=people.family)
    log_in_browser(page.context, people.member)
    page.goto(live_server.url + "/boards/family/")
    expect(page.get_by_role("heading", name="Family", level=1)).to_be_visible()
    expect(page.locator(".board-item")).to_have_count(8)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)
    expect(page.locator("[data-drag], [data-resize], .editor-toolbar")).to_have_count(0)
    page.screenshot(path=board_artifacts / "view-user.png", full_page=True)

    # A forged save from the page itself is refused, and nothing changes.
    status = page.evaluate(
        """async () => {
            const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
            const body = new URLSearchParams({state: JSON.stringify({version: 1, sections: []})});
            const r = await fetch("/boards/family/save/", {method: "POST", body,
                                  headers: {"X-CSRFToken": token}});
            return r.status;
        }"""
    )
    assert status == 403
    assert Item.objects.filter(board=board).count() == 8
    response = page.goto(live_server.url + "/boards/family/edit/")
    assert response.status == 403


def test_anonymous_visitor_sees_a_public_board_and_nothing_else(
    page, live_server, people, board_artifacts
):
    public = make_board("lobby", people.owner, public=True, title="Lobby")
    fill_board(public, 6)
    private = make_board("private", people.owner)
    fill_board(private, 2)
    page.goto(live_server.url + "/boards/lobby/")
    expect(page.get_by_role("heading", name="Lobby", level=1)).to_be_visible()
    expect(page.locator(".board-item")).to_have_count(6)
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.screenshot(path=board_artifacts / "anonymous-public.png", full_page=True)
    for path in ("/boards/private/", "/boards/", "/boards/lobby/edit/", "/preferences/"):
        page.goto(live_server.url + path)
        assert page.url.startswith(live_server.url + "/accounts/login/"), path
        expect(page.locator(".board-item")).to_have_count(0)


def test_phone_layout_on_a_narrow_window(
    page, live_server, people, log_in_browser, board_artifacts
):
    board = make_board("phone", people.owner, title="Phone")
    section = add_section(board)
    wide = add_item(section, "notes", box=(0, 0, 6, 2), narrow=(0, 0, 4, 2))
    left = add_item(section, "app", box=(6, 0, 2, 1), narrow=(0, 2, 2, 1), name="Left")
    right = add_item(section, "app", box=(8, 0, 2, 1), narrow=(2, 2, 2, 1), name="Right")
    log_in_browser(page.context, people.owner)

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + "/boards/phone/")
    desk = {i.pk: page.locator(f"#item-{i.pk}").bounding_box() for i in (wide, left, right)}
    assert desk[left.pk]["y"] == desk[wide.pk]["y"]  # side by side on a wide screen
    assert desk[right.pk]["x"] > desk[left.pk]["x"]

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/boards/phone/")
    boxes = {i.pk: page.locator(f"#item-{i.pk}").bounding_box() for i in (wide, left, right)}
    main = page.locator("#board").bounding_box()
    assert boxes[wide.pk]["width"] > main["width"] * 0.9  # full width on the phone
    assert boxes[left.pk]["y"] > boxes[wide.pk]["y"] + boxes[wide.pk]["height"] - 1  # below it
    assert boxes[left.pk]["y"] == boxes[right.pk]["y"]  # the two apps share a row
    assert boxes[right.pk]["x"] > boxes[left.pk]["x"]
    page.screenshot(path=board_artifacts / "phone-layout.png", full_page=True)


def test_phone_layout_arranged_on_its_own_in_the_editor(
    page, live_server, people, log_in_browser, board_artifacts
):
    board = make_board("arrange", people.owner, title="Arrange")
    items = fill_board(board, 4, sections=1)
    desktop_before = {i.pk: (i.x, i.y, i.w, i.h) for i in items}
    log_in_browser(page.context, people.owner)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/boards/arrange/edit/")
    page.get_by_role("button", name="Phone").click()
    expect(page.locator(".editor-grid").first).to_have_css(
        "grid-template-columns", __import__("re").compile(r"^(\S+ ){3}\S+$")
    )
    first = page.locator(".editor-item").first
    first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("button", name="Rebuild phone layout from desktop")).to_be_visible()
    page.screenshot(path=board_artifacts / "editor-phone-layout.png", full_page=True)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#editor-status")).to_have_text("Saved.")
    board = Board.objects.get(pk=board.pk)
    assert board.narrow_custom
    for item in Item.objects.filter(board=board):
        assert (item.x, item.y, item.w, item.h) == desktop_before[item.pk]  # desktop untouched
    # Moved down past everything in its column: it is last there (nothing floats in a hole).
    moved = Item.objects.get(pk=items[0].pk)
    same_column = [
        i for i in Item.objects.filter(board=board).exclude(pk=moved.pk)
        if i.nx < moved.nx + moved.nw and moved.nx < i.nx + i.nw
    ]  # fmt: skip
    assert same_column and moved.ny > 0
    assert all(i.ny + i.nh <= moved.ny for i in same_column)


def test_app_status_is_fetched_by_htmx_and_shown(page, live_server, people, log_in_browser):
    from tests.boards.local_http import http_server

    board = make_board("status", people.owner, title="Status")
    section = add_section(board)
    with http_server() as url:
        up = add_item(section, "app", box=(0, 0, 2, 1), name="Up", ping=True, ping_url=url + "/ok")
        down = add_item(
            section, "app", box=(2, 0, 2, 1), name="Down", ping=True, ping_url=url + "/broken"
        )
        log_in_browser(page.context, people.owner)
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(live_server.url + "/boards/status/")
        expect(page.locator(f"#item-{up.pk} .status")).to_have_class("status status-up")
        expect(page.locator(f"#item-{down.pk} .status")).to_have_class("status status-down")
        expect(page.locator(f"#item-{up.pk} .status")).to_have_attribute("hx-trigger", "every 60s")
    assert problems == []


def test_board_list_filters_as_you_type(page, live_server, people, log_in_browser, board_artifacts):
    for n, title in enumerate(("Kitchen", "Garage", "Garden", "Office")):
        grant(make_board(f"b{n}", people.owner, title=title), "view", group=people.family)
    make_board("secret-garden", people.owner, title="Secret garden")
    log_in_browser(page.context, people.member)
    page.goto(live_server.url + "/boards/")
    rows = page.locator(".board-table tbody tr")
    expect(rows).to_have_count(4)
    page.get_by_label("Search").fill("gar")
    expect(rows).to_have_count(2)
    expect(page.locator(".board-table")).not_to_contain_text("Secret")
    assert page.url.endswith("/boards/?q=gar&level=&visibility=")
    page.screenshot(path=board_artifacts / "board-list-filtered.png", full_page=True)
