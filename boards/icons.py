"""Brand icons for app links: the Simple Icons set (CC0), bundled in one file, served by
`BrandIconMiddleware`.

The set comes as a Python package (`simple-icons-pack`) holding ~3,500 SVGs. Importing it costs
about 14 MiB of memory, so a server process never does: `BrandIconFinder`, a staticfiles finder,
draws each icon once — in white, or black for pale brand colours, on a rounded tile of the
brand's colour — into a folder (`BRAND_ICONS_DIR`) as two files: `icons/brands/tiles.bin`, every
tile one after the other, and `icons/brands/index.json`, one row per icon (slug, title, colour,
offset and length of its tile in `tiles.bin`, short hash of the tile). `collectstatic` copies
those two files; the middleware answers `/static/icons/brands/<slug>.<hash>.svg` by reading the
tile's bytes from `tiles.bin`, with the long caching of every other hashed static file.

Why not 3,500 static files: whitenoise keeps an entry with prepared headers for every file it
serves (with its compressed copies: about 14,000), which cost each server process 26 MiB.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.finders import BaseFinder
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import FileSystemStorage
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils.http import quote_etag

PREFIX = "icons/brands"
INDEX = f"{PREFIX}/index.json"
TILES = f"{PREFIX}/tiles.bin"
SLUG = re.compile(r"^[a-z0-9]{1,64}$")
# What a tile's address looks like: /static/icons/brands/jellyfin.0123456789ab.svg; without
# the hash (jellyfin.svg) it is served too, cached for a minute like an unhashed static file.
ADDRESS = re.compile(r"^(?P<slug>[a-z0-9]{1,64})(?:\.(?P<hash>[0-9a-f]{12}))?\.svg$")
FOREVER = "max-age=315360000, public, immutable"
A_MINUTE = "max-age=60, public"


def _root() -> Path:
    """The folder of this version of the set in this layout (one file of tiles)."""
    return Path(settings.BRAND_ICONS_DIR) / f"{version('simple-icons-pack')}-tiles"


def _foreground(hex_colour: str) -> str:
    """Black or white, whichever reads better on the brand's colour (WCAG relative luminance)."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000" if luminance > 0.45 else "#fff"


def _tile(svg: str, hex_colour: str) -> str:
    """The icon drawn on a rounded tile of the brand's colour, so it needs no styling (the
    page's Content-Security-Policy allows no inline styles) and reads on light and dark."""
    inner = svg[svg.index(">") + 1 : svg.rindex("</svg>")]
    inner = re.sub(r"<title>.*?</title>", "", inner)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="-7 -7 38 38">'
        f'<rect x="-7" y="-7" width="38" height="38" rx="8" fill="#{hex_colour}"/>'
        f'<g fill="{_foreground(hex_colour)}">{inner}</g></svg>'
    )


def materialise() -> Path:
    """Writes the tiles and the index once per version of the set; answers their folder."""
    root = _root()
    if (root / "index.json").exists():
        return root
    import simple_icons_pack  # 14 MiB: only in the process that writes the files

    root.mkdir(parents=True, exist_ok=True)
    icons = []
    for name in dir(simple_icons_pack):
        if not name.startswith("SI_"):
            continue
        icon = getattr(simple_icons_pack, name)
        if not SLUG.match(icon.slug) or not re.fullmatch(r"[0-9A-Fa-f]{6}", icon.hex):
            continue
        icons.append((icon.slug, icon.title, icon.hex.lower(), _tile(icon.svg, icon.hex)))
    icons.sort()
    index, offset = [], 0
    # Written aside, then moved in place: another process may be serving the set.
    tiles_part = root / f"tiles.bin.{os.getpid()}.part"
    with open(tiles_part, "wb") as tiles:
        for slug, title, colour, svg in icons:
            data = svg.encode()
            tiles.write(data)
            digest = hashlib.md5(data, usedforsecurity=False).hexdigest()[:12]
            index.append([slug, title, colour, offset, len(data), digest])
            offset += len(data)
    tiles_part.replace(root / "tiles.bin")
    partial = root / f"index.json.{os.getpid()}.part"
    partial.write_text(json.dumps(index, separators=(",", ":")))
    partial.replace(root / "index.json")  # last: an index means the tiles are all there
    return root


class BrandIconFinder(BaseFinder):
    """Finds `icons/brands/index.json` and `tiles.bin` in the materialised folder (see the
    module's docstring)."""

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path not in (INDEX, TILES):
            return []  # what Django's own finders answer for a file they do not have
        candidate = str(materialise() / path.removeprefix(PREFIX + "/"))
        return [candidate] if find_all else candidate

    def list(self, ignore_patterns):
        storage = FileSystemStorage(location=str(materialise()))
        storage.prefix = PREFIX  # type: ignore[attr-defined]  # read by staticfiles, as its finders set it
        yield "index.json", storage
        yield "tiles.bin", storage


def _source(name: str) -> str | None:
    """Where a file of the set is: in the collected static files in production, through the
    finder where files are served from their source (tests, DEBUG)."""
    if staticfiles_storage.exists(name):
        return staticfiles_storage.path(name)
    return finders.find(name)


@lru_cache(maxsize=1)
def _index() -> tuple[tuple[str, str, str, int, int, str], ...]:
    """(slug, title, colour, offset, length, hash) of every icon."""
    found = _source(INDEX)
    rows = json.loads(Path(found).read_text()) if found else []
    return tuple(tuple(row) for row in rows)


@lru_cache(maxsize=1)
def _by_slug() -> dict[str, tuple[str, str, str, int, int, str]]:
    return {row[0]: row for row in _index()}


@lru_cache(maxsize=1)
def _static_prefix() -> str:
    """STATIC_URL's path as requests see it (without the script name), like whitenoise's."""
    prefix = urlparse(settings.STATIC_URL or "").path
    script_name = (settings.FORCE_SCRIPT_NAME or "").rstrip("/")
    if script_name and prefix.startswith(script_name):
        prefix = prefix[len(script_name) :]
    return "/" + prefix.strip("/") + f"/{PREFIX}/"


def _fold(text: str) -> str:
    """Lowercase letters and digits only: "Home Assistant" → "homeassistant"."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text.casefold() if c.isascii() and c.isalnum())


def icon(slug: str) -> dict | None:
    row = _by_slug().get(slug)
    if row is None:
        return None
    return {
        "slug": row[0],
        "title": row[1],
        "colour": "#" + row[2],
        "url": f"{settings.STATIC_URL}{PREFIX}/{row[0]}.{row[5]}.svg",
    }


def tile(slug: str) -> bytes | None:
    """The SVG of one icon, read from the one file that holds them all."""
    row = _by_slug().get(slug)
    found = _source(TILES) if row else None
    if row is None or found is None:
        return None
    descriptor = os.open(found, os.O_RDONLY)
    try:
        return os.pread(descriptor, row[4], row[3])
    finally:
        os.close(descriptor)


# How an icon field names an uploaded icon (boards.models.UploadedIcon.reference): the start
# of its hash and its extension, enough to draw its address without reading the database.
UPLOAD_REFERENCE = re.compile(r"^upload:(?P<key>[0-9a-f]{16})\.(?P<ext>png|jpg|gif|webp|ico|svg)$")


def resolve(value) -> dict | None:
    """What an icon field's value shows: a bundled brand icon by its slug, an uploaded icon by
    its reference; None for an empty value, "-" (the name's letter) or anything unknown."""
    if not isinstance(value, str) or value in ("", "-"):
        return None
    found = UPLOAD_REFERENCE.match(value)
    if found is None:
        return icon(value)
    from django.urls import reverse

    url = reverse("icons:uploaded", args=[found["key"], found["ext"]])
    return {"slug": value, "title": "", "colour": "", "url": url, "uploaded": True}


def search(query: str, limit: int = 30) -> list[dict]:
    """Icons whose name or slug contains the query; those that start with it first."""
    folded = _fold(query)
    if not folded:
        return []
    hits = []
    for slug, title, *_rest in _index():
        name = _fold(title)
        if folded in name or folded in slug:
            rank = 0 if (name == folded or slug == folded) else 1 if name.startswith(folded) else 2
            hits.append((rank, len(name), slug))
    hits.sort()
    return [found for _rank, _length, slug in hits[:limit] if (found := icon(slug)) is not None]


def match(name: str, url: str = "") -> str:
    """The icon an app most likely has, from its name ("Jellyfin") or its address
    (https://jellyfin.home.lan/): an exact match only, never a guess; "" when none."""
    known = _by_slug()
    candidates = [_fold(name)]
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.lower()).split("/")[0].split(":")[0]
    candidates += [_fold(label) for label in host.split(".")[:2]]
    for candidate in candidates:
        if candidate in known:
            return candidate
    titles = {_fold(row[1]): row[0] for row in _index()}
    for candidate in candidates:
        if candidate in titles:
            return titles[candidate]
    return ""


class BrandIconMiddleware:
    """Answers `/static/icons/brands/<slug>[.<hash>].svg` from `tiles.bin`, before sessions and
    everything else an image does not need (placed beside whitenoise). A hash that is not the
    tile's own answers 404, as a stale hashed static file would."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        prefix = _static_prefix()
        if not request.path_info.startswith(prefix):
            return self.get_response(request)
        found = ADDRESS.match(request.path_info[len(prefix) :])
        row = _by_slug().get(found["slug"]) if found else None
        if found is None or row is None or (found["hash"] and found["hash"] != row[5]):
            return HttpResponseNotFound(b"", content_type="text/plain")
        if request.method not in ("GET", "HEAD"):
            response = HttpResponse(status=405)
            response["Allow"] = "GET, HEAD"
            return response
        etag = quote_etag(row[5])
        if request.headers.get("If-None-Match") == etag:
            response = HttpResponse(status=304)
        else:
            body = tile(row[0])
            if body is None:
                return HttpResponseNotFound(b"", content_type="text/plain")
            response = HttpResponse(body, content_type="image/svg+xml")
        response["ETag"] = etag
        response["Cache-Control"] = FOREVER if found["hash"] else A_MINUTE
        # Opened on its own, the image may run nothing and load nothing.
        response["Content-Security-Policy"] = "default-src 'none'"
        if request.method == "HEAD":
            response.content = b""
        return response
