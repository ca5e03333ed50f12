"""Brand icons for app links: the Simple Icons set (CC0), bundled, served as static files.

The set comes as a Python package (`simple-icons-pack`) holding ~3,500 SVGs. Importing it costs
about 14 MiB of memory, so a server process never does: `BrandIconFinder`, a staticfiles finder,
writes each icon once into a folder (`BRAND_ICONS_DIR`) as `icons/brands/<slug>.svg` — drawn in
white, or black for pale brand colours, on a rounded tile of the brand's colour — plus
`icons/brands/index.json` (slug, title, colour). `collectstatic` then serves them like every other
static file (hashed names, long caching, no CDN at run time), and the picker searches the index.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.finders import BaseFinder
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import FileSystemStorage

PREFIX = "icons/brands"
INDEX = f"{PREFIX}/index.json"
SLUG = re.compile(r"^[a-z0-9]{1,64}$")


def _root() -> Path:
    return Path(settings.BRAND_ICONS_DIR) / version("simple-icons-pack")


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
    """Writes the icons and the index once per version of the set; answers their folder."""
    root = _root()
    if (root / "index.json").exists():
        return root
    import simple_icons_pack  # 14 MiB: only in the process that writes the files

    root.mkdir(parents=True, exist_ok=True)
    index = []
    for name in dir(simple_icons_pack):
        if not name.startswith("SI_"):
            continue
        icon = getattr(simple_icons_pack, name)
        if not SLUG.match(icon.slug) or not re.fullmatch(r"[0-9A-Fa-f]{6}", icon.hex):
            continue
        # Written aside, then moved in place: another process may be serving these files.
        part = root / f"{icon.slug}.svg.{os.getpid()}.part"
        part.write_text(_tile(icon.svg, icon.hex))
        part.replace(root / f"{icon.slug}.svg")
        index.append([icon.slug, icon.title, icon.hex.lower()])
    index.sort()
    partial = root / f"index.json.{os.getpid()}.part"
    partial.write_text(json.dumps(index, separators=(",", ":")))
    partial.replace(root / "index.json")  # last: an index means every icon is there
    return root


class BrandIconFinder(BaseFinder):
    """Finds `icons/brands/…` in the materialised folder (see the module's docstring)."""

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if not path.startswith(PREFIX + "/"):
            return [] if find_all else None
        candidate = materialise() / path.removeprefix(PREFIX + "/")
        if candidate.is_file():
            return [str(candidate)] if find_all else str(candidate)
        return [] if find_all else None

    def list(self, ignore_patterns):
        storage = FileSystemStorage(location=str(materialise()))
        storage.prefix = PREFIX  # type: ignore[attr-defined]  # read by staticfiles, as its finders set it
        for path in sorted(Path(storage.location).iterdir()):
            if path.suffix in (".svg", ".json"):
                yield path.name, storage


@lru_cache(maxsize=1)
def _index() -> tuple[tuple[str, str, str], ...]:
    """(slug, title, colour) of every icon: from the collected static files in production,
    through the finder where files are served from their source (tests, DEBUG)."""
    if staticfiles_storage.exists(INDEX):
        with staticfiles_storage.open(INDEX) as handle:
            rows = json.load(handle)
    else:
        found = finders.find(INDEX)
        rows = json.loads(Path(found).read_text()) if found else []
    return tuple((slug, title, colour) for slug, title, colour in rows)


@lru_cache(maxsize=1)
def _by_slug() -> dict[str, tuple[str, str, str]]:
    return {row[0]: row for row in _index()}


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
        "path": f"{PREFIX}/{row[0]}.svg",
    }


def search(query: str, limit: int = 30) -> list[dict]:
    """Icons whose name or slug contains the query; those that start with it first."""
    folded = _fold(query)
    if not folded:
        return []
    hits = []
    for slug, title, _colour in _index():
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
    titles = {_fold(title): slug for slug, title, _colour in _index()}
    for candidate in candidates:
        if candidate in titles:
            return titles[candidate]
    return ""
