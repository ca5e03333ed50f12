"""Every page fits a phone: at 390 by 844 pixels no page is wider than the screen.

The pages are those of the authorization matrix (tests/matrix.py), so a new page is measured
as soon as it has its expectations there. Each is opened as the first persona that may see it
(the owner sees the most), in Chromium, and the document's scroll width is compared with the
viewport's. Tables may scroll inside their own box; the page itself must not.
"""

import pytest
from django.conf import settings

from tests.conftest import PERSONAS, client_for
from tests.matrix import Route, all_routes, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# Where to look: the elements sticking out past the right edge that have no child doing so.
STICKING_OUT = """() => {
  const out = [...document.querySelectorAll("body *")].filter(
    (el) => el.getBoundingClientRect().right > window.innerWidth + 1);
  return out.filter((el) => !out.some((other) => other !== el && el.contains(other)))
    .slice(0, 5).map((el) => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
}"""


def _is_page(people, persona: str, url: str) -> bool:
    """An HTML page a browser shows, not a download (exports) or a fragment."""
    response = client_for(people.get(persona)).get(url)
    return (
        response["Content-Type"].startswith("text/html")
        and not response.has_header("Content-Disposition")
        and b"<html" in response.content
    )


def _pages(people, world) -> list[tuple[str, str, str]]:
    pages = []
    for name, route in sorted(all_routes().items()):
        if route.htmx:
            continue  # fragments are measured inside the pages that show them
        persona = next((p for p in PERSONAS if Route.expected(route.get, p) == 200), None)
        if persona is not None and _is_page(people, persona, route.url(world)):
            pages.append((name, persona, route.url(world)))
    return pages


def test_every_page_fits_a_phone(browser, live_server, people, artifacts):
    world = build_world(people)
    pages = _pages(people, world)
    assert len(pages) > 20, "the matrix should give many pages to measure"
    folder = artifacts / "phone"
    folder.mkdir(exist_ok=True)
    contexts = {}
    too_wide = []
    try:
        for name, persona, url in pages:
            if persona not in contexts:
                context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
                user = people.get(persona)
                if user is not None:
                    cookie = client_for(user).cookies[settings.SESSION_COOKIE_NAME].value
                    session = {"name": settings.SESSION_COOKIE_NAME, "value": cookie}
                    context.add_cookies([{**session, "url": live_server.url}])
                contexts[persona] = context.new_page()
            page = contexts[persona]
            page.goto(live_server.url + url)
            width = page.evaluate("document.documentElement.scrollWidth")
            page.screenshot(path=folder / f"{name.replace(':', '-')}.png", full_page=True)
            if width > PHONE["width"]:
                culprit = page.evaluate(STICKING_OUT)
                too_wide.append(f"{name} ({url}) as {persona}: {width}px, sticking out: {culprit}")
    finally:
        for page in contexts.values():
            page.context.close()
    assert not too_wide, "pages wider than a 390px phone:\n" + "\n".join(too_wide)
