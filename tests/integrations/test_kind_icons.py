"""Every icon address a page emits for an integration kind answers with an image: with the static
files served from their source (as in development) and after collectstatic with hashed names
(as in production, where an address the manifest does not know is an error)."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from integrations.kinds import all_kinds
from integrations.models import Integration
from tests.boards.factories import add_item, add_section, make_board

pytestmark = pytest.mark.django_db

ICON = re.compile(r'<img\b[^>]*\bsrc="(/static/icons/[^"]+)"')
PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    """The static files as `collectstatic` writes them for production (about 3 s)."""
    root = tmp_path_factory.mktemp("collected")
    with override_settings(STATIC_ROOT=root, STORAGES=PRODUCTION_STORAGES):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


@pytest.fixture(params=["source", "collected"])
def static_files(request):
    if request.param == "source":
        yield
        return
    root = request.getfixturevalue("collected")
    with override_settings(STATIC_ROOT=root, STORAGES=PRODUCTION_STORAGES):
        yield


def kind_pages(people) -> list[str]:
    """The pages that show kinds' own icons: the list, the kind picker, each kind's form, an
    integration's form, and every widget of every kind with an icon (on its board and alone)."""
    board = make_board("lab", people.owner)
    section = add_section(board)
    pages = ["/settings/integrations/", "/settings/integrations/new/", f"/boards/{board.name}/"]
    for kind in all_kinds():
        if not kind.icon:
            continue
        integration = Integration.objects.create(
            name=f"My {kind.name}", kind=kind.slug, url="http://127.0.0.1:9", owner=people.owner
        )
        assert integration.icon == ""  # so its own icon is the kind's
        pages += [
            f"/settings/integrations/new/?kind={kind.slug}",
            f"/settings/integrations/{integration.pk}/",
        ]
        for widget in kind.widgets:
            item = add_item(section, widget, integration=integration.pk)
            pages.append(f"/boards/{board.name}/items/{item.pk}/data/")
    return pages


def body_of(response) -> bytes:
    """Streamed static files are read to the end, which also closes them."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_every_kind_icon_address_answers_with_an_image(people, login, static_files):
    client = login(people.owner)
    seen: dict[str, str] = {}
    for page in kind_pages(people):
        response = client.get(page)
        assert response.status_code == 200, page
        for src in ICON.findall(response.content.decode()):
            seen.setdefault(src, page)
    kinds_with_icons = [kind for kind in all_kinds() if kind.icon]
    assert kinds_with_icons and len(seen) >= len(kinds_with_icons)
    for kind in kinds_with_icons:
        assert any(f"/icons/brands/{kind.icon}." in src for src in seen), kind.slug
    for src, page in seen.items():
        response = client.get(src)
        body = body_of(response)
        assert response.status_code == 200, f"{src} (on {page})"
        assert response["Content-Type"].startswith("image/"), src
        assert body.startswith(b"<svg") or response["Content-Type"] != "image/svg+xml", src


def test_every_kind_names_a_bundled_icon():
    from boards import icons

    for kind in all_kinds():
        if kind.icon:
            assert icons.icon(kind.icon) is not None, kind.slug
            assert kind.icon_url == icons.icon(kind.icon)["url"]
