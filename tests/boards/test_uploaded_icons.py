"""Uploaded icons: what is accepted (by content), SVGs rewritten from an allow-list, how they
are served, who uploads and deletes, and the picker that offers them."""

import hashlib
import re
import struct
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from boards import uploads
from boards.models import BoardAccess, UploadedIcon
from boards.widgets import get_widget
from sessions_admin.audit_text import describe
from sessions_admin.models import AuditEntry
from tests.boards.factories import OPTIONS, make_board

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "icon_files"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M0 0h24v24z"/></svg>'
UPLOAD = "/icons/upload/"


def png(width: int = 2, height: int = 2) -> bytes:
    """A real PNG (grey pixels) of the given size, drawn here."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def ico(image: bytes, size: int = 16) -> bytes:
    """An ICO file holding one PNG image (as Windows Vista and later write them)."""
    entry = struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(image), 22)
    return struct.pack("<HHH", 0, 1, 1) + entry + image


ACCEPTED = {
    "png": ("icon.png", png(16, 16), "image/png"),
    "jpg": ("icon.jpg", (FILES / "python.jpg").read_bytes(), "image/jpeg"),
    "gif": ("icon.gif", (FILES / "python.gif").read_bytes(), "image/gif"),
    "webp": ("icon.webp", (FILES / "python.webp").read_bytes(), "image/webp"),
    "ico": ("favicon.ico", ico(png(16, 16)), "image/vnd.microsoft.icon"),
    "svg": ("logo.svg", SVG, "image/svg+xml"),
}


def upload(client, name: str, data: bytes, **extra):
    return client.post(
        UPLOAD,
        {"icon_file": SimpleUploadedFile(name, data), **extra},
        **{k: v for k, v in extra.items() if k.startswith("HTTP_")},
    )


def refused(data: bytes, name: str = "") -> str:
    with pytest.raises(ValidationError) as error:
        uploads.check(data, name)
    return " ".join(error.value.messages)


# --- What is accepted ---------------------------------------------------------------------------


@pytest.mark.parametrize("ext", sorted(ACCEPTED))
def test_each_accepted_type_is_stored_once_and_served_as_itself(people, login, ext):
    name, data, content_type = ACCEPTED[ext]
    client = login(people.owner)
    answer = upload(client, name, data)
    assert answer.status_code == 302 and answer.url == "/icons/"
    icon = UploadedIcon.objects.get()
    assert icon.content_type == content_type and icon.extension == ext
    assert icon.sha256 == hashlib.sha256(bytes(icon.data)).hexdigest()
    assert icon.uploader == people.owner and icon.size == len(bytes(icon.data))
    assert icon.name == name.rsplit(".", 1)[0]
    if ext != "svg":
        assert bytes(icon.data) == data and (icon.width, icon.height) == (16, 16)
    served = client.get(icon.url)
    assert served.status_code == 200 and served["Content-Type"] == content_type
    assert served.content == bytes(icon.data)
    # The same file again is the same icon.
    again = upload(login(people.admin), "copy." + ext, data)
    assert again.status_code == 302 and UploadedIcon.objects.count() == 1
    entries = AuditEntry.objects.filter(action="icon.uploaded")
    assert entries.count() == 1 and entries.get().actor == people.owner
    assert entries.get().details["sha256"] == icon.sha256
    assert describe("icon.uploaded", entries.get().details) == (
        f"uploaded the icon ({content_type}, {icon.size} bytes)"
    )


def test_an_icon_is_served_locked_down_and_cached_by_its_hash(people, login, client):
    upload(login(people.owner), "logo.svg", SVG)
    icon = UploadedIcon.objects.get()
    assert re.fullmatch(r"/icons/u/[0-9a-f]{16}\.svg", icon.url)
    answer = client.get(icon.url)  # anonymous: public boards show icons to anyone
    assert answer.status_code == 200
    assert answer["Content-Type"] == "image/svg+xml"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert (
        answer["Content-Security-Policy"]
        == "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    )
    assert answer["Content-Disposition"] == 'inline; filename="logo.svg"'
    assert answer["Cache-Control"] == "max-age=315360000, public, immutable"
    assert answer["ETag"] == f'"{icon.sha256}"'
    again = client.get(icon.url, HTTP_IF_NONE_MATCH=answer["ETag"])
    assert again.status_code == 304 and again.content == b""
    # Another extension, an unknown hash, a deleted icon: not found.
    assert client.get(icon.url.replace(".svg", ".png")).status_code == 404
    assert client.get("/icons/u/0123456789abcdef.svg").status_code == 404
    assert client.post(icon.url).status_code == 405


# --- What is refused ----------------------------------------------------------------------------


@override_settings(ICON_UPLOAD_MAX_BYTES=2048)
def test_a_file_over_the_limit_is_refused_with_nothing_stored(people, login):
    big = png(16, 16) + b"\x00" * 4096
    assert "at most 2 KiB" in refused(big, "big.png")
    answer = upload(login(people.owner), "big.png", big)
    assert answer.status_code == 400 and "at most 2 KiB" in answer.content.decode()
    assert (
        not UploadedIcon.objects.exists()
        and not AuditEntry.objects.filter(action="icon.uploaded").exists()
    )


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"MZ\x90\x00" + b"\x00" * 64, "icon.png", "not an image homeportal accepts"),
        (b"%PDF-1.7\n", "icon.svg", "not an image homeportal accepts"),
        (png(), "icon.svg", "name says SVG but its content is PNG"),
        (SVG, "icon.png", "name says PNG but its content is SVG"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "icon.png", "damaged or incomplete"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "icon.jpg", "damaged or incomplete"),
        (b"", "icon.png", "empty"),
        (b"<html><body>hello", "icon", "not an SVG image"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><g></svg>', "", "well-formed SVG"),
        (b"<?xml version='1.0'?><note>x</note>", "icon.svg", "not an SVG"),
    ],
)
def test_what_is_not_an_accepted_image_is_refused(data, name, message):
    assert message in refused(data, name)


def test_a_raster_declaring_huge_dimensions_is_refused():
    """A decompression bomb: a small file whose header claims a canvas of billions of pixels."""
    bomb = png(1, 1)
    bomb = bomb[:16] + struct.pack(">II", 60000, 60000) + bomb[24:]
    assert "60000×60000 pixels" in refused(bomb, "bomb.png")  # noqa: RUF001
    gif = b"GIF89a" + struct.pack("<HH", 5000, 16) + (FILES / "python.gif").read_bytes()[10:]
    assert "5000×16" in refused(gif)  # noqa: RUF001


def svg(body: str, extra: str = "") -> bytes:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 24 24"{extra}>{body}</svg>'
    ).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (svg('<script>alert(1)</script><path d="M0 0"/>'), "<script>"),
        (svg('<path d="M0 0"/>', ' onload="alert(1)"'), "event handler (onload)"),
        (svg('<g><rect width="1" height="1" onclick="x()"/></g>'), "event handler (onclick)"),
        (svg('<use xlink:href="javascript:alert(1)"/>'), "javascript:alert(1)"),
        (svg('<a href="javascript:alert(1)"><path d="M0 0"/></a>'), "javascript:"),
        (svg('<animate attributeName="href" to="javascript:alert(1)"/>'), "javascript:"),
        (svg('<use href="https://evil.example/sprite.svg#a"/>'), "outside itself"),
        (svg('<image href="http://evil.example/x.png" width="1" height="1"/>'), "outside itself"),
        (
            svg('<rect width="1" height="1" fill="url(https://evil.example/p.svg#x)"/>'),
            "another file",
        ),
        (svg('<rect width="1" height="1" style="fill: url(//evil.example/x)"/>'), "another file"),
        (svg("<style>@import url(https://evil.example/a.css);</style>"), "@import"),
        (
            svg('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'),
            "<foreignObject>",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
            b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&lol2;</text></svg>',
            "document type",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>',
            "document type",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><text>&undefined;</text></svg>', "well-formed"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"', "well-formed"),
    ],
)
def test_an_svg_that_could_run_or_load_anything_is_refused(data, message):
    assert message in refused(data, "icon.svg")


def test_an_svg_whose_copies_would_multiply_is_refused():
    """A "use bomb": each level copies the previous one ten times."""
    levels = '<path id="l0" d="M0 0h1v1z"/>' + "".join(
        f'<g id="l{n}">' + f'<use href="#l{n - 1}"/>' * 10 + "</g>" for n in range(1, 8)
    )
    assert "too often" in refused(svg(f"<defs>{levels}</defs><use href='#l7'/>"))
    many = '<path id="p" d="M0 0h1v1z"/>' + '<use href="#p"/>' * 300
    assert "too often" in refused(svg(many))
    fine = '<path id="p" d="M0 0h1v1z"/>' + '<use href="#p"/>' * 20
    assert uploads.check(svg(fine)).data.count(b"<use") == 20


def test_a_refused_svg_is_a_form_error_and_nothing_is_stored(people, login):
    answer = upload(login(people.owner), "evil.svg", svg("<script>alert(1)</script>"))
    assert answer.status_code == 400
    assert "The SVG holds a &lt;script&gt; element" in answer.content.decode()
    assert not UploadedIcon.objects.exists()


def test_an_svg_is_rewritten_without_what_is_not_allowed():
    """Editor metadata, comments, unknown elements and attributes go; the drawing stays."""
    source = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- made by hand -->\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        b'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
        b'xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" '
        b'viewBox="0 0 24 24" width="24" inkscape:version="1.3" data-secret="x">'
        b'<?php echo 1; ?><sodipodi:namedview id="nv"/><metadata><rdf/></metadata>'
        b'<defs><linearGradient id="g"><stop offset="0" stop-color="#f00"/></linearGradient></defs>'
        b"<style>.a { fill: url(#g) }</style>"
        b'<a href="https://example.org/"><circle r="3"/></a>'
        b'<animate attributeName="fill" to="red"/>'
        b'<path class="a" d="M0 0h24v24z" fill="url(#g)" unknown="1"/>'
        b'<use xlink:href="#g" x="1"/><text x="1">R&amp;D &lt;3</text></svg>'
    )
    clean = uploads.check(source, "logo.svg").data.decode()
    for gone in (
        "inkscape",
        "sodipodi",
        "metadata",
        "rdf",
        "php",
        "made by hand",
        "data-secret",
        "example.org",
        "<a",
        "circle",
        "animate",
        "unknown",
        "xlink",
        "<?xml",
    ):
        assert gone not in clean, gone
    root = ET.fromstring(clean)
    ns = "{http://www.w3.org/2000/svg}"
    assert (
        root.tag == f"{ns}svg" and root.get("viewBox") == "0 0 24 24" and root.get("width") == "24"
    )
    assert [child.tag.removeprefix(ns) for child in root] == [
        "defs",
        "style",
        "path",
        "use",
        "text",
    ]
    assert root.find(f"{ns}path").attrib == {"class": "a", "d": "M0 0h24v24z", "fill": "url(#g)"}
    assert root.find(f"{ns}use").get("href") == "#g"
    assert root.find(f"{ns}text").text == "R&D <3"
    assert root.find(f"{ns}style").text == ".a { fill: url(#g) }"


def test_an_svg_may_embed_a_raster_image_as_data():
    data = svg('<image href="data:image/png;base64,iVBORw0KGgo=" width="24" height="24"/>')
    assert b'href="data:image/png;base64,iVBORw0KGgo="' in uploads.check(data).data
    assert "outside itself" in refused(svg('<image href="data:image/svg+xml;base64,PHN2Zz4="/>'))


# --- Who may upload and delete ------------------------------------------------------------------


def test_uploading_is_for_those_who_can_use_an_icon_field(people, login):
    """The member only views the family board: no upload. Modifying a board is enough."""
    board = make_board("lab", people.owner)
    assert upload(login(people.member), "a.svg", SVG).status_code == 403
    assert upload(login(people.outsider), "a.svg", SVG).status_code == 403
    assert not UploadedIcon.objects.exists()
    BoardAccess.objects.create(board=board, user=people.member, level="modify")
    assert upload(login(people.member), "a.svg", SVG).status_code == 302
    assert UploadedIcon.objects.get().uploader == people.member
    page = login(people.outsider).get("/icons/").content.decode()
    assert 'action="/icons/upload/"' not in page and "/icons/u/" in page


def test_the_uploader_and_admins_delete_an_icon_others_do_not(people, login):
    board = make_board("lab", people.owner)
    BoardAccess.objects.create(board=board, user=people.member, level="modify")
    BoardAccess.objects.create(board=board, user=people.outsider, level="modify")
    upload(login(people.member), "a.svg", SVG)
    icon = UploadedIcon.objects.get()
    url = f"/icons/{icon.pk}/delete/"
    page = login(people.outsider).get("/icons/").content.decode()
    assert url not in page
    assert login(people.outsider).post(url).status_code == 403
    assert UploadedIcon.objects.exists()
    assert url in login(people.member).get("/icons/").content.decode()
    assert login(people.member).post(url).status_code == 302
    assert not UploadedIcon.objects.exists()
    entry = AuditEntry.objects.get(action="icon.deleted")
    assert entry.actor == people.member and entry.details["sha256"] == icon.sha256
    upload(login(people.member), "a.svg", SVG)
    assert (
        login(people.admin).post(f"/icons/{UploadedIcon.objects.get().pk}/delete/").status_code
        == 302
    )
    assert login(people.admin).post(url).status_code == 404


def settings_tabs(page: str) -> str:
    """The Settings area's navigation in a page ("" when the page shows none)."""
    found = re.search(r'<nav class="admin-tabs".*?</nav>', page, re.S)
    return found.group(0) if found else ""


ICONS_TAB = '<a href="/icons/"'


def test_the_settings_navigation_links_the_icons_page_for_those_who_may_upload(people, login):
    """Beside the other settings pages, for whoever may upload; the icons page shows the same
    navigation, with its tab current."""
    for page in (
        "/settings/users/",
        "/settings/groups/",
        "/settings/invites/",
        "/boards/home-boards/",
    ):
        assert ICONS_TAB in settings_tabs(login(people.owner).get(page).content.decode()), page
    icons_page = settings_tabs(login(people.owner).get("/icons/").content.decode())
    assert '<a href="/icons/" aria-current="page">Icons</a>' in icons_page
    assert '<a href="/settings/users/"' in icons_page

    # The user manager may not upload until they may modify a board.
    users = "/settings/users/"
    assert ICONS_TAB not in settings_tabs(login(people.user_manager).get(users).content.decode())
    board = make_board("lab", people.owner)
    BoardAccess.objects.create(board=board, user=people.user_manager, level="modify")
    tabs = settings_tabs(login(people.user_manager).get(users).content.decode())
    assert ICONS_TAB in tabs and '<a href="/settings/users/"' in tabs

    # Someone with no other settings page who may upload gets the icons tab on its page;
    # someone who may not gets no settings navigation at all.
    assert settings_tabs(login(people.member).get("/icons/").content.decode()) == ""
    BoardAccess.objects.create(board=board, user=people.member, level="modify")
    tabs = settings_tabs(login(people.member).get("/icons/").content.decode())
    assert ICONS_TAB in tabs and "/settings/users/" not in tabs
    assert settings_tabs(login(people.outsider).get("/icons/").content.decode()) == ""


# --- The picker ---------------------------------------------------------------------------------


def test_the_picker_uploads_with_htmx_and_offers_the_icon(people, login):
    client = login(people.owner)
    answer = client.post(
        UPLOAD, {"icon_file": SimpleUploadedFile("My NAS.svg", SVG)}, HTTP_HX_REQUEST="true"
    )
    icon = UploadedIcon.objects.get()
    body = answer.content.decode()
    assert answer.status_code == 200
    assert f'data-brand-icon="{icon.reference}"' in body and f'data-brand-src="{icon.url}"' in body
    assert "icon-uploaded" in body and "Uploaded: choose it to use it." in body
    assert icon.name == "My NAS"
    # Found by name in the search, before the bundled icons.
    found = client.get("/boards/icons/?icon_q=nas").content.decode()
    brand = found.find("/static/icons/brands/")
    assert icon.reference in found and (brand == -1 or found.index(icon.reference) < brand)
    # A refusal is said in the picker, nothing stored.
    bad = client.post(
        UPLOAD, {"icon_file": SimpleUploadedFile("x.svg", svg("<script/>"))}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 200 and "&lt;script&gt;" in bad.content.decode()
    assert UploadedIcon.objects.count() == 1


def test_the_icons_page_uploads_without_javascript(people, login):
    client = login(people.owner)
    page = client.get("/icons/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="icon_file"' in page
    answer = client.post(
        UPLOAD,
        {"icon_file": SimpleUploadedFile("x.png", png()), "icon_name": "Router"},
        follow=True,
    )
    assert "Icon uploaded: Router." in answer.content.decode()
    assert UploadedIcon.objects.get().name == "Router"


def test_an_app_link_shows_an_uploaded_icon_chosen_in_the_picker(people, login):
    upload(login(people.owner), "nas.svg", SVG)
    icon = UploadedIcon.objects.get()
    widget = get_widget("app")
    cleaned, form = widget.validate({**OPTIONS["app"], "brand_icon": icon.reference})
    assert cleaned is not None and cleaned["brand_icon"] == icon.reference
    missing = {**OPTIONS["app"], "brand_icon": "upload:0123456789abcdef.svg"}
    # In the editor's dialog, an icon that is not there is an error…
    form = widget.bound_form(widget.form_class.data_from_options(missing), protected_apps=[])
    assert not form.is_valid() and "There is no icon named" in str(form.errors)
    # …in a stored or imported board (from another server), the letter instead.
    cleaned, form = widget.validate(missing)
    assert cleaned is not None and cleaned["brand_icon"] == ""
    cleaned, form = widget.validate({**OPTIONS["app"], "brand_icon": "nosuchbrandicon"})
    assert cleaned is None and "There is no icon named" in str(form.errors)
    from django.template.loader import render_to_string

    html = render_to_string(
        "boards/widgets/app.html",
        {"options": {**OPTIONS["app"], "brand_icon": icon.reference, "icon": ""}, "data": {}},
    )
    assert f'src="{icon.url}"' in html


def test_deleting_an_icon_removes_it_from_what_showed_it(people, login):
    from integrations.models import Integration
    from protected_apps.models import ProtectedApp
    from tests.boards.factories import add_item, add_section

    upload(login(people.owner), "nas.svg", SVG)
    icon = UploadedIcon.objects.get()
    board = make_board("lab", people.owner)
    item = add_item(add_section(board), "app", **{**OPTIONS["app"], "brand_icon": icon.reference})
    other = add_item(add_section(board), "app", **{**OPTIONS["app"], "brand_icon": "plex"})
    integration = Integration.objects.create(
        name="NAS", kind="transmission", url="http://127.0.0.1:9", icon=icon.reference
    )
    app = ProtectedApp.objects.create(name="NAS", host="nas.lab.test", icon=icon.reference)
    board.refresh_from_db()
    before = board.updated
    assert login(people.owner).post(f"/icons/{icon.pk}/delete/").status_code == 302
    (
        item.refresh_from_db(),
        other.refresh_from_db(),
        integration.refresh_from_db(),
        app.refresh_from_db(),
    )
    assert item.options["brand_icon"] == "-" and other.options["brand_icon"] == "plex"
    assert integration.icon == "" and app.icon == ""
    board.refresh_from_db()
    assert board.updated > before  # no cached body shows the missing icon
    assert login(people.owner).get(icon.url).status_code == 404
