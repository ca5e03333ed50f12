"""Uploading an icon through the picker and choosing it, in a real browser: in the board
editor's widget dialog and on an integration's page (the same picker)."""

import pytest
from playwright.sync_api import expect

from boards.models import Item, UploadedIcon
from integrations.models import Integration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" '
    b'height="24" rx="5" fill="#2a7"/><circle cx="12" cy="12" r="6" fill="#fff"/></svg>'
)


def test_an_icon_uploaded_in_the_picker_is_chosen_and_shown(
    page, live_server, people, log_in_browser, board_artifacts
):
    from tests.boards.factories import add_section, make_board

    board = make_board("apps", people.owner)
    add_section(board)
    log_in_browser(page.context, people.owner)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/boards/apps/edit/")
    page.get_by_role("button", name="Add widget").click()
    page.locator("#picker-dialog").get_by_role("button", name="App link").click()
    dialog = page.locator("#widget-dialog")
    dialog.locator("#id_opt-name").fill("Home rack")
    dialog.locator("#id_opt-url").fill("https://rack.home.lan/")
    upload = dialog.get_by_label("Upload an icon")
    expect(upload).to_be_visible()  # shown by the script; without it, the icons page
    upload.set_input_files({"name": "rack.svg", "mimeType": "image/svg+xml", "buffer": SVG})
    expect(dialog.locator(".icon-uploaded")).to_be_visible()
    icon = UploadedIcon.objects.get()
    assert icon.name == "rack" and icon.uploader == people.owner
    choice = dialog.locator(f'[data-brand-icon="{icon.reference}"]')
    choice.locator("img").evaluate(
        "img => img.complete ? null : new Promise(done => img.addEventListener('load', done))"
    )
    assert choice.locator("img").evaluate("img => img.naturalWidth") > 0
    page.screenshot(path=board_artifacts / "icon-picker-upload.png")
    choice.click()
    expect(dialog.locator("#id_opt-brand_icon")).to_have_value(icon.reference)
    expect(dialog.locator(f'[data-brand-preview] img[src="{icon.url}"]')).to_be_visible()
    dialog.get_by_role("button", name="Apply").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#editor-status")).to_have_text("Saved.")
    assert Item.objects.get(board=board).options["brand_icon"] == icon.reference
    page.goto(live_server.url + "/boards/apps/")
    shown = page.locator(f'img.app-icon[src="{icon.url}"]')
    expect(shown).to_be_visible()
    assert shown.evaluate("img => img.naturalWidth") > 0  # the image loaded, as an image

    # The same icon found by name on an integration's page, with the same picker.
    integration = Integration.objects.create(
        name="Seedbox", kind="transmission", url="http://127.0.0.1:9", owner=people.owner
    )
    page.goto(live_server.url + f"/settings/integrations/{integration.pk}/")
    page.get_by_label("Search the icons").fill("rac")
    page.locator(f'[data-brand-icon="{icon.reference}"]').click()
    expect(page.locator("#id_icon")).to_have_value(icon.reference)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages, [role=status]").first).to_be_visible()
    integration.refresh_from_db()
    assert integration.icon == icon.reference
    page.goto(live_server.url + "/settings/integrations/")
    expect(page.locator(f'img[src="{icon.url}"]')).to_be_visible()
    page.screenshot(path=board_artifacts / "integrations-with-icon.png")


def test_the_icons_page_and_the_picker_fit_a_phone(
    page, live_server, people, log_in_browser, board_artifacts
):
    log_in_browser(page.context, people.owner)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/icons/")
    page.get_by_label("Icon file").set_input_files(
        {"name": "A rather long icon name for a phone.svg", "mimeType": "image/svg+xml",
         "buffer": SVG}
    )  # fmt: skip
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_text("Icon uploaded: A rather long icon name for a phone.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=board_artifacts / "icons-page-phone.png", full_page=True)
    integration = Integration.objects.create(
        name="Seedbox", kind="transmission", url="http://127.0.0.1:9", owner=people.owner
    )
    page.goto(live_server.url + f"/settings/integrations/{integration.pk}/")
    page.get_by_label("Search the icons").fill("a rather")
    expect(page.locator(".icon-uploaded")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
