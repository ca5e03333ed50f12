"""Every kind of widget fits its content at its default size, on a desktop and on a phone."""

import pytest
from playwright.sync_api import expect

from boards.layout import generate_narrow
from boards.widgets import get_widget
from tests.boards.factories import KINDS, add_item, add_section, make_board

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Cut off: the widget scrolls, something in it reaches past its edges (clipped), or a line of
# text is cut short.
OVERFLOW = """e => {
  const box = e.getBoundingClientRect();
  let down = e.scrollHeight - e.clientHeight, right = e.scrollWidth - e.clientWidth;
  for (const child of e.querySelectorAll("*")) {
    const r = child.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    down = Math.max(down, r.bottom - box.bottom);
    right = Math.max(right, r.right - box.right);
    if (getComputedStyle(child).overflowX === "hidden") {  // text cut short with an ellipsis
      right = Math.max(right, child.scrollWidth - child.clientWidth);
    }
  }
  return [Math.round(down), Math.round(right)];
}"""


@pytest.mark.parametrize("size", ["default_size", "min_size"])
@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_every_kind_fits_its_default_and_smallest_sizes(
    page, live_server, people, log_in_browser, board_artifacts, viewport, size
):
    board = make_board("sizes", people.owner)
    section = add_section(board)
    boxes, x, y = [], 0, 0
    for kind in KINDS:
        w, h = getattr(get_widget(kind), size)
        if x + w > board.columns:
            x, y = 0, y + 3
        boxes.append((x, y, w, h))
        x += w
    for kind, box, narrow in zip(KINDS, boxes, generate_narrow(boxes, board.columns), strict=True):
        add_item(section, kind, box=box, narrow=narrow)
    log_in_browser(page.context, people.owner)
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.goto(live_server.url + "/boards/sizes/")
    expect(page.locator(".board-item")).to_have_count(len(KINDS))
    cut = {}
    for kind in KINDS:
        if kind == "iframe" or (kind == "notes" and size == "min_size"):
            continue  # a web page scrolls in its frame; a long note fades out (test below)
        over = page.locator(f".board-item.widget-{kind}").evaluate(OVERFLOW)
        if max(over) > 1:
            cut[kind] = over
    page.screenshot(path=board_artifacts / f"{size}-{viewport[0]}.png", full_page=True)
    assert not cut, f"cut off at the {size} (extra height, width in px): {cut}"


def test_a_long_note_fades_out_and_opens_whole(page, live_server, people, log_in_browser,
                                                board_artifacts):  # fmt: skip
    board = make_board("notes", people.owner)
    section = add_section(board)
    long_text = "\n\n".join(f"Paragraph {n} of the house rules." for n in range(1, 16))
    add_item(section, "notes", box=(0, 0, 3, 2), narrow=(0, 0, 4, 2), title="Rules",
             text=long_text + "\n\nThe very last line.")  # fmt: skip
    add_item(section, "notes", box=(3, 0, 3, 2), narrow=(0, 2, 4, 2), title="Short", text="Hi.")
    log_in_browser(page.context, people.owner)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/boards/notes/")
    long_item = page.locator(".board-item", has_text="Rules")
    more = long_item.get_by_role("button", name="More…")
    expect(more).to_be_visible()
    expect(
        page.locator(".board-item", has_text="Short").locator("[data-notes-more]")
    ).to_be_hidden()
    note = long_item.locator(".notes")
    assert note.evaluate("e => e.scrollHeight - e.clientHeight") > 0  # clipped, not scrolling
    page.screenshot(path=board_artifacts / "long-note.png")
    more.click()
    dialog = page.locator("dialog.notes-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("The very last line.")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
