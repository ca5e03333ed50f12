"""The whole administration story in a real Chromium: create a group with permissions,
invite someone into it, register through the link in a second browser, see the new user's
access. Screenshots of the users, groups and invites pages go to test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from groups.models import Group
from tests.groups.browser import chromium, log_in, screenshot, server  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.browser,
    # Transactional: a flush empties the tables; `Group.objects.everyone()` makes that row again.
    pytest.mark.django_db(transaction=True),
]
PASSWORD = "a-long-and-uncommon-passphrase-7"


def test_group_invite_registration_and_access(server, chromium, people):  # noqa: F811
    base = server.url
    admin_context = chromium.new_context(viewport={"width": 1280, "height": 900})
    admin_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = admin_context.new_page()
    log_in(page, base, "olivia")

    # A group with a permission, created in the modal.
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Groups", exact=True).click()
    page.get_by_role("link", name="New group").click()
    dialog = page.locator("dialog#modal")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Name").fill("friends")
    dialog.locator("#perm-audit-view").check()
    dialog.locator("#perm-board-full-all").check()
    # Implications show as soon as a box is ticked.
    expect(dialog.locator("li[data-permission=board-view-all]")).to_have_class("implied")
    dialog.get_by_role("button", name="Create group").click()
    page.wait_for_url(re.compile(r"/settings/groups/\d+/$"))
    expect(page.locator("#perm-audit-view")).to_be_checked()
    friends = Group.objects.get(name="friends")
    assert friends.permissions == ["audit-view", "board-full-all"]

    # An invite into it; its link is shown once and copied with one click.
    page.get_by_role("link", name="Invites").click()
    page.get_by_role("link", name="New invite").click()
    expect(dialog).to_be_visible()
    dialog.get_by_label("friends").check()
    dialog.get_by_label("Note").fill("For Nina")
    dialog.get_by_role("button", name="Create the link").click()
    link = dialog.locator("#invite-url")
    expect(link).to_be_visible()
    url = link.input_value()
    assert url.startswith(f"{base}/invite/")
    dialog.get_by_role("button", name="Copy").click()
    expect(dialog.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == url
    screenshot(page, "admin-invite-link")
    dialog.get_by_role("button", name="Close").click()
    # The list behind the modal refreshed itself.
    expect(page.locator("#invite-list")).to_contain_text("For Nina")
    screenshot(page, "admin-invites")

    # Registration in a second browser, with no session.
    guest = chromium.new_context().new_page()
    guest.goto(url)
    guest.get_by_label("Username").fill("nina")
    guest.get_by_label("Display name").fill("Nina Newcomer")
    guest.locator("input[name=password1]").fill(PASSWORD)
    guest.locator("input[name=password2]").fill(PASSWORD)
    guest.get_by_role("button", name="Create my account").click()
    guest.wait_for_url(f"{base}/")
    expect(guest.locator("main")).to_contain_text("Welcome, Nina Newcomer!")
    # Her group gives audit-view: the Settings entry leads her to the audit log.
    guest.get_by_role("link", name="Settings").click()
    expect(guest.locator("h1")).to_have_text("Audit log")
    expect(guest.locator("#audit-list")).to_contain_text("invite.redeemed")
    screenshot(guest, "new-user-audit-log")
    assert guest.goto(f"{base}/settings/users/").status == 403

    # The link is used up now, for anyone.
    assert chromium.new_context().new_page().goto(url).status == 404

    # The admin sees the new user, her group and what it gives her.
    page.get_by_role("link", name="Users").click()
    page.get_by_label("Search").fill("nin")
    expect(page.locator("#user-list")).to_contain_text("nina")
    expect(page.locator("#user-list")).not_to_contain_text("olivia")
    page.get_by_label("Search").fill("")
    expect(page.locator("#user-list")).to_contain_text("olivia")
    screenshot(page, "admin-users")
    page.get_by_role("link", name="nina", exact=True).click()
    access = page.locator("section[aria-labelledby=access-title]")
    expect(access).to_contain_text("audit-view")
    expect(access).to_contain_text("board-view-all")
    assert User.objects.get(username="nina").user_groups.get() == friends

    page.get_by_role("link", name="Groups", exact=True).click()
    screenshot(page, "admin-groups")


def test_disable_in_place_from_the_list(server, chromium, people):  # noqa: F811
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, server.url, "adam")
    page.goto(f"{server.url}/settings/users/")
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm
    row = page.locator(f"#user-{people.member.pk}")
    row.get_by_role("button", name="Disable").click()
    expect(row.get_by_role("button", name="Enable")).to_be_visible()
    expect(row).to_contain_text("disabled")
    assert not User.objects.get(pk=people.member.pk).is_active
    assert page.url == f"{server.url}/settings/users/"  # updated in place
