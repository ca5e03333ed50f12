"""The downloads and system widgets in Chromium: they load their data after the page, fit a
phone, work in light and dark, and their buttons act (screenshots in test-artifacts/widgets)."""

import pytest
from django.conf import settings

from boards.models import Item
from integrations.models import Integration
from tests.boards.factories import add_section, make_board
from tests.conftest import client_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def lab_board(lab, people):
    url, _state = lab
    integration = Integration.objects.create(name="Seedbox", kind="lab", url=url,
                                             owner=people.owner)  # fmt: skip
    board = make_board("home-lab", people.owner, title="Home lab")
    section = add_section(board)
    Item.objects.create(board=board, section=section, kind="downloads", x=0, y=0, w=6, h=4,
                        nx=0, ny=0, nw=4, nh=4,
                        options={"title": "", "integration": integration.pk})  # fmt: skip
    Item.objects.create(board=board, section=section, kind="system", x=6, y=0, w=4, h=4,
                        nx=0, ny=4, nw=4, nh=4,
                        options={"title": "NAS", "integration": integration.pk})  # fmt: skip
    return board


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_widgets_load_fit_and_act(browser, live_server, people, lab, lab_board, artifacts,
                                  size, scheme):  # fmt: skip
    _url, state = lab
    folder = artifacts / "widgets"
    folder.mkdir(exist_ok=True)
    phone = size == "phone"
    context = browser.new_context(viewport=SIZES[size], is_mobile=phone, has_touch=phone,
                                  color_scheme=scheme)  # fmt: skip
    cookie = client_for(people.owner).cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie,
                          "url": live_server.url}])  # fmt: skip
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        page.goto(live_server.url + "/boards/home-lab/")
        page.get_by_text("debian-13.iso").wait_for(timeout=10000)
        page.get_by_text("Memory").wait_for(timeout=10000)
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
        page.screenshot(path=folder / f"widgets-{size}-{scheme}.png", full_page=True)
        page.on("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Pause: debian-13.iso").click()
        page.get_by_role("button", name="Resume: debian-13.iso").wait_for(timeout=10000)
        assert state.torrents[0]["state"] == "paused"
        assert not errors, errors  # no CSP violation, no script error
    finally:
        context.close()
