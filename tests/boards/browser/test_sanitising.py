"""Hostile text in every text option, board title and note is shown as text, never run.

The rows are written straight into the database (as an old version or a careless import
might have left them), so the forms' checks are not what saves the page: escaping, the
link/URL filters and nh3 are. The page is loaded once with the Content-Security-Policy
bypassed, so a payload that got through would run and be seen, and once with it, where any
violation report would show a payload that got through escaping.
"""

import pytest
from playwright.sync_api import expect

from boards.models import Board, BoardAccess, Item, Section

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def payloads(tag: str) -> str:
    return (
        f'<script>window.__xss="{tag}-script"</script>'
        f"<img src=x onerror=\"window.__xss='{tag}-img'\">"
        f"<svg onload=\"window.__xss='{tag}-svg'\"></svg>"
        f'" onmouseover="window.__xss=\'{tag}-attr\'" x="'
        f'" autofocus onfocus="window.__xss=\'{tag}-focus\'" x="'
    )


def short_payload(tag: str) -> str:
    """Payloads that fit a 120-character title."""
    return f"<img src=x onerror=\"window.__xss='{tag}'\"><script>window.__xss='{tag}'</script>"


JS = 'javascript:window.__xss="js-url"'
DATA_URL = "data:text/html,<script>1</script>"
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(
    e.violatedDirective + " " + e.blockedURI));
"""


def hostile_board(owner) -> Board:
    board = Board.objects.create(
        name="hostile",
        title=short_payload("title"),
        description=payloads("description"),
        owner=owner,
        is_public=True,
        accent_color="#f}</st",
        background_url='x")}</style><script>window.__xss="background"</script>',
    )
    category = Section.objects.create(board=board, kind="category", title=short_payload("section"))
    text = payloads("option")
    options = {
        "app": {
            "name": text,
            "url": JS,
            "icon": JS,
            "description": text,
            "new_tab": True,
            "ping": True,
            "ping_url": JS,
        },
        "bookmarks": {
            "title": text,
            "new_tab": False,
            "links": [{"name": text, "url": JS}, {"name": "data", "url": DATA_URL}],
        },
        "clock": {"title": text, "time_zone": text, "hour12": False, "show_date": True},
        "notes": {
            "title": text,
            "text": (
                f'{payloads("note")}\n\n[click]({JS})\n\n<a href="{JS}">raw</a>\n\n'
                f'<iframe src="{JS}"></iframe>\n\n![img](x "t" onerror=alert(1))\n\n'
                '<form action="https://evil.example"><button>go</button></form>'
                "<style>body{display:none}</style>"
            ),
        },
        "iframe": {"title": text, "url": JS, "height": 100, "allow_scripts": True},
        "search": {"title": text, "engine": JS + "?q=%s", "placeholder": text, "new_tab": True},
    }
    for n, (kind, opts) in enumerate(options.items()):
        Item.objects.create(
            board=board,
            section=category,
            kind=kind,
            options=opts,
            x=n % 4 * 3,
            y=n // 4 * 2,
            w=3,
            h=2,
            nx=0,
            ny=n * 2,
            nw=4,
            nh=2,
        )
    return board


def exercise(page) -> None:
    """Hovers, focuses and clicks everything a person could."""
    for item in page.locator(".board-item").all():
        item.hover()
    page.evaluate(
        """() => { for (const a of document.querySelectorAll("main a[href]")) {
            const href = a.getAttribute("href");
            if (href.startsWith("#") || href.toLowerCase().startsWith("javascript")) {
                a.removeAttribute("target");
                a.click();
            }
        } }"""
    )
    page.wait_for_timeout(300)


def assert_harmless(page) -> None:
    assert page.evaluate("window.__xss") is None
    # No element the payloads try to create exists in the board.
    board = page.locator("#board, #board-editor")
    assert (
        board.locator(
            "script, svg, iframe[src^='javascript'], [onerror], [onload], [onmouseover], [onfocus]"
        ).count()
        == 0
    )
    hrefs = page.eval_on_selector_all(
        "a[href], iframe[src], form[action]",
        "els => els.map(e => e.getAttribute('href') || e.getAttribute('src')"
        " || e.getAttribute('action'))",
    )
    assert not [h for h in hrefs if h.lower().startswith(("javascript", "data"))], hrefs


def test_no_payload_runs_even_without_the_csp(
    browser, live_server, people, log_in_browser, board_artifacts
):
    board = hostile_board(people.owner)
    BoardAccess.objects.create(board=board, group=people.family, level="view")
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in_browser(context, people.owner)
    for path in (
        "/boards/hostile/",
        "/boards/hostile/edit/",
        "/boards/",
        "/boards/hostile/access/",
        "/boards/hostile/settings/",
        "/boards/hostile/general/",
        "/preferences/",
    ):
        page.goto(live_server.url + path)
        assert page.url == live_server.url + path  # logged in: no detour to the login page
        exercise(page)
        assert_harmless(page)
    page.goto(live_server.url + "/boards/hostile/")
    # The payloads are there, as text.
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "<script>window.__xss='title'</script>"
    )
    page.screenshot(path=board_artifacts / "hostile-board.png", full_page=True)
    context.close()


def test_no_csp_violation_on_a_hostile_board(browser, live_server, people, log_in_browser):
    hostile_board(people.owner)
    for user in (people.owner, None):  # logged in, and an anonymous visitor of the public board
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(WATCH)
        page = context.new_page()
        if user is not None:
            log_in_browser(context, user)
        page.goto(live_server.url + "/boards/hostile/")
        exercise(page)
        assert_harmless(page)
        assert page.evaluate("window.__violations") == []
        # The board's own style sheet, allowed by its nonce, applies: the grid has the board's
        # columns (the site's style sheet alone would leave it one column).
        columns = page.evaluate(
            "getComputedStyle(document.querySelector('.board-grid')).gridTemplateColumns"
        )
        assert len(columns.split()) == Board.objects.get(name="hostile").columns
        context.close()
