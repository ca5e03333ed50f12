"""Bundled brand icons: written once as static files, searched, matched, shown on app links."""

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from boards import icons
from boards.widgets import get_widget
from tests.boards.factories import OPTIONS, add_item, add_section, make_board

pytestmark = pytest.mark.django_db


def app_options(**options) -> dict | None:
    """Options as the editor's dialog answers them: checked, then completed for the person."""
    widget = get_widget("app")
    cleaned, _form = widget.validate({**OPTIONS["app"], **options})
    return widget.suggest(cleaned) if cleaned is not None else None


def test_icons_are_one_file_of_tiles_with_an_index():
    """Two static files, not one per icon: whitenoise keeps an entry per file it serves, in
    every server process (26 MiB for the 3,500 icons and their compressed copies)."""
    storage_paths = [path for path, _storage in icons.BrandIconFinder().list([])]
    assert storage_paths == ["index.json", "tiles.bin"]
    index = json.loads(Path(finders.find(icons.INDEX)).read_text())
    assert len(index) > 3000
    slugs = {row[0] for row in index}
    assert {"jellyfin", "plex", "homeassistant", "pihole", "nextcloud"} <= slugs
    assert finders.find("icons/brands/jellyfin.svg") is None
    svg = icons.tile("jellyfin").decode()
    tile = ET.fromstring(svg)
    assert tile.find("{http://www.w3.org/2000/svg}rect").get("fill").lower() == "#00a4dc"
    assert "<script" not in svg and "<title" not in svg
    # Every tile parses on its own: offsets and lengths are right to the last byte.
    for slug, *_rest in index[:: len(index) // 50] + index[-1:]:
        assert ET.fromstring(icons.tile(slug)).tag == "{http://www.w3.org/2000/svg}svg"


def test_a_tile_is_served_with_long_caching_under_its_hash(client):
    found = icons.icon("jellyfin")
    assert re.fullmatch(r"/static/icons/brands/jellyfin\.[0-9a-f]{12}\.svg", found["url"])
    response = client.get(found["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content == icons.tile("jellyfin")
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert "Set-Cookie" not in response and "Vary" not in response  # no session, no language
    again = client.get(found["url"], HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""
    head = client.head(found["url"])
    assert head.status_code == 200 and head.content == b""
    plain = client.get("/static/icons/brands/jellyfin.svg")
    assert plain.content == response.content and plain["Cache-Control"] == "max-age=60, public"


@pytest.mark.parametrize(
    "path",
    [
        "/static/icons/brands/no-such-icon.svg",
        "/static/icons/brands/nosuchicon.svg",
        "/static/icons/brands/jellyfin.000000000000.svg",  # not its hash
        "/static/icons/brands/../../settings.py",
        "/static/icons/brands/jellyfin.png",
        "/static/icons/brands/",
    ],
)
def test_anything_else_under_the_icons_is_not_found(client, path):
    assert client.get(path).status_code == 404


def test_a_tile_costs_no_query(client, django_assert_num_queries):
    url = icons.icon("plex")["url"]
    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200


def test_changes_to_a_tile_are_refused(client):
    response = client.post(icons.icon("plex")["url"])
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"


def test_pale_brands_get_a_dark_drawing_and_dark_ones_a_white_one():
    assert icons._foreground("FFFFFF") == "#000" and icons._foreground("000000") == "#fff"
    assert icons._foreground("00A4DC") == "#fff"


def test_search_puts_names_that_start_with_the_query_first():
    found = [icon["slug"] for icon in icons.search("jelly")]
    assert found[0] == "jellyfin"
    assert icons.search("") == [] and icons.search("   ") == []
    assert all(icon["url"].startswith("/static/icons/brands/") for icon in icons.search("home"))


@pytest.mark.parametrize(
    ("name", "url", "slug"),
    [
        ("Jellyfin", "https://media.home.lan/", "jellyfin"),
        ("Films", "https://plex.home.lan:32400/web", "plex"),
        ("Home Assistant", "http://10.0.0.5:8123/", "homeassistant"),
        ("Pi-hole", "http://dns.lan/admin", "pihole"),
        ("Family photos", "https://photos.lan/", ""),  # no guess
    ],
)
def test_a_new_app_gets_its_icon_from_its_name_or_address(name, url, slug):
    assert app_options(name=name, url=url)["brand_icon"] == slug


def test_imported_or_stored_options_without_an_icon_stay_as_they_are():
    cleaned, _form = get_widget("app").validate(dict(OPTIONS["app"], name="Jellyfin"))
    assert cleaned["brand_icon"] == ""


def test_a_chosen_icon_an_own_image_or_letters_are_kept():
    assert app_options(name="Jellyfin", brand_icon="plex")["brand_icon"] == "plex"
    assert app_options(name="Jellyfin", brand_icon="-")["brand_icon"] == "-"
    own = app_options(name="Jellyfin", icon="https://img.example/j.png")
    assert own["brand_icon"] == "" and own["icon"] == "https://img.example/j.png"
    assert app_options(name="Jellyfin", brand_icon="../../etc/passwd") is None
    assert app_options(name="Jellyfin", brand_icon="no-such-icon") is None


def test_the_board_shows_the_brand_tile_and_falls_back_to_letters(people, login):
    board = make_board("lab", people.owner)
    section = add_section(board)
    add_item(section, "app", name="Jellyfin", brand_icon="jellyfin")
    add_item(section, "app", box=(2, 0, 2, 1), name="Zeta", brand_icon="-")
    page = login(people.owner).get("/boards/lab/").content.decode()
    assert f'src="{icons.icon("jellyfin")["url"]}"' in page
    assert 'app-letter" aria-hidden="true">Z<' in page


def test_the_picker_searches_for_logged_in_users_only(people, login, client):
    page = login(people.member).get("/boards/icons/", {"icon_q": "plex"}).content.decode()
    assert 'data-brand-icon="plex"' in page and "<html" not in page
    none = login(people.member).get("/boards/icons/", {"icon_q": "zzzznothing"}).content.decode()
    assert "No icon by that name" in none
    assert client.get("/boards/icons/", {"icon_q": "plex"}).status_code == 302
    long = login(people.member).get("/boards/icons/", {"icon_q": "x" * 500})
    assert long.status_code == 200 and "data-brand-icon" not in long.content.decode()


def test_no_board_can_be_named_like_the_icon_search(people, login):
    from boards.models import Board

    response = login(people.owner).post("/boards/new/", {"title": "Icons", "name": "icons"})
    assert "is reserved" in response.content.decode()
    assert not Board.objects.filter(name="icons").exists()
