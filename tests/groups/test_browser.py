"""Reordering groups in a real Chromium: by dragging, and with the arrows without JavaScript."""

import pytest

from groups.models import Group
from tests.groups.browser import chromium, log_in, screenshot, server  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.browser,
    # Transactional: a flush empties the tables; `Group.objects.everyone()` makes that row again.
    pytest.mark.django_db(transaction=True),
]


def db_order() -> list[str]:
    return list(Group.objects.regular().order_by("position").values_list("name", flat=True))


def page_order(page) -> list[str]:
    return page.locator("tbody[data-sortable] tr td:nth-child(2) a").all_inner_texts()


def test_reorder_groups_by_dragging(server, chromium, people):  # noqa: F811
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, server.url, "olivia")
    page.goto(f"{server.url}/settings/groups/")
    assert page_order(page) == ["admins", "managers", "family"]
    handle = page.locator(f"tr[data-id='{people.family.pk}'] td.handle")
    first_row = page.locator(f"tr[data-id='{people.admins.pk}']")
    with page.expect_response(lambda r: r.url.endswith("/settings/groups/reorder/")) as answer:
        handle.drag_to(first_row, target_position={"x": 10, "y": 3})
    assert answer.value.status == 200
    assert db_order() == ["family", "admins", "managers"]
    page.wait_for_function(
        "document.querySelector('tbody[data-sortable] tr td:nth-child(2) a').textContent"
        " === 'family'"
    )
    page.reload()
    assert page_order(page) == ["family", "admins", "managers"]
    screenshot(page, "groups-reordered")


def test_reorder_groups_without_javascript(server, chromium, people):  # noqa: F811
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, server.url, "olivia")
    page.goto(f"{server.url}/settings/groups/")
    page.click("button[aria-label='Move family up']")
    page.wait_for_url(f"{server.url}/settings/groups/")
    assert db_order() == ["admins", "family", "managers"]
    assert page_order(page) == ["admins", "family", "managers"]
