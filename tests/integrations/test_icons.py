"""An integration's icon: the shared picker in its form, found from the kind, name or address
when left empty at creation, shown on the list and on its widgets' headers."""

import hashlib

import pytest

from boards import icons
from boards.models import BoardAccess, Item, UploadedIcon
from integrations.models import Integration
from tests.boards.factories import add_section, make_board

pytestmark = pytest.mark.django_db

NEW = "/settings/integrations/new/"
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4"/></svg>'
)


def uploaded(people) -> UploadedIcon:
    return UploadedIcon.objects.create(
        name="Rack",
        content_type="image/svg+xml",
        data=SVG,
        sha256=hashlib.sha256(SVG).hexdigest(),
        size=len(SVG),
        uploader=people.owner,
    )


def test_the_integration_form_has_the_icon_picker(people, login):
    body = login(people.owner).get(NEW + "?kind=transmission").content.decode()
    assert 'name="icon"' in body
    assert 'name="icon_q"' in body and 'hx-get="/boards/icons/"' in body
    assert 'name="icon_file"' in body and 'hx-post="/icons/upload/"' in body
    assert 'href="/icons/"' in body  # uploading without JavaScript


@pytest.mark.parametrize(
    ("name", "url", "expected"),
    [
        ("Seedbox", "http://127.0.0.1:9091", "transmission"),  # from the kind
        ("Jellyfin", "http://127.0.0.1:9091", "jellyfin"),  # from the name
        ("Media", "http://plex.home.lan:9091", "plex"),  # from the address
    ],
)
def test_an_empty_icon_is_found_when_the_integration_is_created(people, login, name, url, expected):
    answer = login(people.owner).post(
        NEW + "?kind=transmission", {"name": name, "url": url, "icon": ""}
    )
    assert answer.status_code == 302
    integration = Integration.objects.get()
    assert integration.icon == expected
    assert integration.icon_url == icons.icon(expected)["url"]


def test_a_chosen_icon_is_kept_and_an_unknown_one_refused(people, login):
    icon = uploaded(people)
    client = login(people.owner)
    answer = client.post(
        NEW + "?kind=transmission",
        {"name": "Seedbox", "url": "http://127.0.0.1:9091", "icon": "upload:0000000000000000.svg"},
    )
    assert answer.status_code == 400 and "There is no icon named" in answer.content.decode()
    assert not Integration.objects.exists()
    client.post(
        NEW + "?kind=transmission",
        {"name": "Seedbox", "url": "http://127.0.0.1:9091", "icon": icon.reference},
    )
    integration = Integration.objects.get()
    assert integration.icon == icon.reference and integration.icon_url == icon.url
    # "-": the kind's own icon; editing never matches again.
    client.post(
        f"/settings/integrations/{integration.pk}/",
        {"name": "Seedbox", "url": "http://127.0.0.1:9091", "icon": "-"},
    )
    integration.refresh_from_db()
    assert integration.icon == "-" and integration.icon_url.endswith(".svg")
    assert (
        "/static/integrations/" in integration.icon_url or "/static/icons/" in integration.icon_url
    )


def test_the_list_and_the_widget_header_show_the_icon(people, login):
    icon = uploaded(people)
    integration = Integration.objects.create(
        name="Seedbox",
        kind="transmission",
        url="http://127.0.0.1:9",
        owner=people.owner,
        icon=icon.reference,
    )
    listing = login(people.owner).get("/settings/integrations/").content.decode()
    assert f'src="{icon.url}"' in listing
    board = make_board("lab", people.owner)
    BoardAccess.objects.create(board=board, group=people.family, level="view")
    item = Item.objects.create(
        board=board,
        section=add_section(board),
        kind="downloads",
        x=0,
        y=0,
        w=4,
        h=3,
        nx=0,
        ny=0,
        nw=4,
        nh=3,
        options={"title": "", "integration": integration.pk},
    )
    # The upstream is closed: the widget says so, under its header with the icon.
    body = login(people.owner).get(f"/boards/lab/items/{item.pk}/data/").content.decode()
    assert '<h3 class="widget-title"><img class="widget-title-icon" src="' + icon.url in body
    assert "Seedbox" in body


def test_the_protected_app_form_has_the_same_picker(people, login):
    icon = uploaded(people)
    client = login(people.owner)
    body = client.get("/settings/protected-apps/new/").content.decode()
    assert 'name="icon_q"' in body and 'name="icon_file"' in body
    form = {"name": "NAS", "host": "nas.lab.test", "path_prefix": ""}
    assert (
        client.post(
            "/settings/protected-apps/new/", {**form, "icon": "nope-not-an-icon"}
        ).status_code
        == 400
    )
    for value in (icon.reference, "grafana", "https://nas.lab.test/favicon.png"):
        from protected_apps.models import ProtectedApp

        ProtectedApp.objects.all().delete()
        answer = client.post("/settings/protected-apps/new/", {**form, "icon": value})
        assert answer.status_code == 302, answer.content.decode()[:2000]
        assert ProtectedApp.objects.get().icon == value
