"""Uploaded icons: what a file must be to be stored, and SVGs rewritten from an allow-list.

A file is typed by its content, never by its name or the browser's word: the first bytes say
PNG, JPEG, GIF, WebP or ICO, and anything else must parse as an SVG document. A raster's pixel
size is read from its header (no image library is needed, and none decodes the pixels here) and
bounded, so a small file that declares a huge canvas — a decompression bomb for whoever draws
it — is refused. A name whose extension says another type than the content is refused too (a
PNG called `.svg` is a mistake or a trick, either way not what the person meant).

SVGs are parsed with the standard library's expat with every document type declaration refused
(so no entity can expand: no "billion laughs", no external entity), then written anew from an
allow-list of SVG elements and attributes. What can run or load anything is refused with a
clear error rather than quietly dropped, so the person knows why their file changed nothing:
`<script>`, `<foreignObject>`, event handler attributes (`on…`), links other than to a
`#fragment` of the same document, `url()` other than `url(#…)`, `@import` in styles.
Everything else outside the allow-list (editor metadata, comments, unknown elements and
attributes, other namespaces) is left out of the new document. The drawing's cost is bounded
too: at most MAX_ELEMENTS elements, MAX_DEPTH levels, MAX_USES `<use>` copies, none of a part
that holds a `<use>` itself.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

MAX_DIMENSION = 4096  # pixels, each side of a raster icon
MAX_ELEMENTS = 10_000  # of an SVG, a bound on the work its drawing costs
MAX_DEPTH = 64
MAX_USES = 256  # <use> elements of an SVG, none copying another <use>

# type: (content type, extension)
TYPES = {
    "png": ("image/png", "png"),
    "jpeg": ("image/jpeg", "jpg"),
    "gif": ("image/gif", "gif"),
    "webp": ("image/webp", "webp"),
    "ico": ("image/vnd.microsoft.icon", "ico"),
    "svg": ("image/svg+xml", "svg"),
}
EXTENSION_TYPES = {
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "jpe": "jpeg",
    "gif": "gif",
    "webp": "webp",
    "ico": "ico",
    "svg": "svg",
}
EXTENSIONS = {ext for _type, ext in TYPES.values()}
TYPE_NAMES = {
    "png": "PNG",
    "jpeg": "JPEG",
    "gif": "GIF",
    "webp": "WebP",
    "ico": "ICO",
    "svg": "SVG",
}


@dataclass(frozen=True)
class Checked:
    """An accepted file: the bytes to store (an SVG's are the rewritten document)."""

    kind: str
    data: bytes
    width: int | None = None
    height: int | None = None

    @property
    def content_type(self) -> str:
        return TYPES[self.kind][0]

    @property
    def extension(self) -> str:
        return TYPES[self.kind][1]


def max_bytes() -> int:
    return settings.ICON_UPLOAD_MAX_BYTES


def check(data: bytes, filename: str = "") -> Checked:
    """The file as it will be stored, or ValidationError saying what is wrong with it."""
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    if len(data) > max_bytes():
        raise ValidationError(
            _("The file is too large: icons may be at most %(size)s KiB.")
            % {"size": max_bytes() // 1024},
            code="too_large",
        )
    kind = sniff(data)
    if kind is None:
        raise ValidationError(
            _("This is not an image homeportal accepts: PNG, JPEG, GIF, WebP, ICO or SVG."),
            code="type",
        )
    named = EXTENSION_TYPES.get(filename.rsplit(".", 1)[-1].lower()) if "." in filename else None
    if named is not None and named != kind:
        raise ValidationError(
            _("The file's name says %(named)s but its content is %(actual)s.")
            % {"named": TYPE_NAMES[named], "actual": TYPE_NAMES[kind]},
            code="mismatch",
        )
    if kind == "svg":
        return Checked("svg", sanitise_svg(data))
    width, height = raster_size(kind, data)
    if not (0 < width <= MAX_DIMENSION and 0 < height <= MAX_DIMENSION):
        raise ValidationError(
            _("The image is %(w)s×%(h)s pixels; icons may be at most %(max)s×%(max)s.")  # noqa: RUF001
            % {"w": width, "h": height, "max": MAX_DIMENSION},
            code="dimensions",
        )
    return Checked(kind, data, width, height)


def sniff(data: bytes) -> str | None:
    """The type the content is, from its first bytes; "svg" for what looks like XML text."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:4] == b"\x00\x00\x01\x00":
        return "ico"
    head = data[:512].lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<") and b"\x00" not in head:
        return "svg"
    return None


def _broken(kind: str) -> ValidationError:
    return ValidationError(
        _("The file starts like a %(type)s image but is damaged or incomplete.")
        % {"type": TYPE_NAMES[kind]},
        code="damaged",
    )


def raster_size(kind: str, data: bytes) -> tuple[int, int]:
    """Width and height as the image's header declares them; ValidationError when the header
    is not whole or not what its type requires."""
    try:
        if kind == "png":
            length, chunk = struct.unpack(">I4s", data[8:16])
            if chunk != b"IHDR" or length != 13:
                raise _broken(kind)
            return struct.unpack(">II", data[16:24])
        if kind == "gif":
            return struct.unpack("<HH", data[6:10])
        if kind == "webp":
            return _webp_size(data)
        if kind == "ico":
            return _ico_size(data)
        return _jpeg_size(data)
    except (struct.error, IndexError) as error:
        raise _broken(kind) from error


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and data[20:21] == b"\x2f":
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    raise _broken("webp")


def _ico_size(data: bytes) -> tuple[int, int]:
    (count,) = struct.unpack("<H", data[4:6])
    if not 0 < count <= 64 or len(data) < 6 + 16 * count:
        raise _broken("ico")
    largest = (0, 0)
    for number in range(count):
        entry = data[6 + 16 * number : 22 + 16 * number]
        width, height = entry[0] or 256, entry[1] or 256
        size, offset = struct.unpack("<II", entry[8:16])
        if size == 0 or offset < 6 + 16 * count or offset + size > len(data):
            raise _broken("ico")
        largest = max(largest, (width, height))
    return largest


# Start-of-frame markers (baseline, progressive, lossless, arithmetic), which hold the size.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int]:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise _broken("jpeg")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if length < 2:
            raise _broken("jpeg")
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        if marker == 0xDA:  # image data before any frame header
            break
        position += 2 + length
    raise _broken("jpeg")


# --- SVG ---------------------------------------------------------------------------------------

PRESENTATION = {
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "stroke-dashoffset",
    "stroke-opacity",
    "opacity",
    "color",
    "display",
    "visibility",
    "clip-path",
    "clip-rule",
    "mask",
    "transform",
    "style",
    "class",
    "id",
    "vector-effect",
    "paint-order",
    "shape-rendering",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "text-anchor",
    "dominant-baseline",
    "letter-spacing",
}
GEOMETRY = {
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "width",
    "height",
    "d",
    "points",
    "dx",
    "dy",
    "pathLength",
}
# element: attributes it may have beyond PRESENTATION and GEOMETRY
ELEMENTS: dict[str, set[str]] = {
    "svg": {"viewBox", "preserveAspectRatio", "version"},
    "g": set(),
    "defs": set(),
    "symbol": {"viewBox", "preserveAspectRatio"},
    "use": {"href"},
    "path": set(),
    "rect": set(),
    "circle": set(),
    "ellipse": set(),
    "line": set(),
    "polyline": set(),
    "polygon": set(),
    "text": set(),
    "tspan": set(),
    "title": set(),
    "desc": set(),
    "style": {"type", "media"},
    "linearGradient": {"gradientUnits", "gradientTransform", "spreadMethod", "href"},
    "radialGradient": {
        "gradientUnits",
        "gradientTransform",
        "spreadMethod",
        "fx",
        "fy",
        "fr",
        "href",
    },
    "stop": {"offset", "stop-color", "stop-opacity"},
    "clipPath": {"clipPathUnits"},
    "mask": {"maskUnits", "maskContentUnits"},
    "pattern": {
        "patternUnits",
        "patternContentUnits",
        "patternTransform",
        "viewBox",
        "preserveAspectRatio",
        "href",
    },
    "image": {"href", "preserveAspectRatio"},
}
TEXT_ELEMENTS = {"text", "tspan", "title", "desc", "style"}
# Elements refused outright: they run code or embed another document.
REFUSED = {"script", "foreignObject", "iframe", "embed", "object", "handler", "listener"}
LOCAL_REF = re.compile(r"^#[A-Za-z_][\w.:-]*$")
RASTER_DATA = re.compile(r"^data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+$")
URL_CALL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)


class _Refused(Exception):
    """Something an icon may not hold; its message is shown to the person."""


@dataclass
class _Node:
    tag: str
    attributes: dict[str, str]
    children: list  # of _Node and str


def _check_css(text: str) -> None:
    lowered = text.lower()
    if "@import" in lowered:
        raise _Refused(_("The SVG's style imports another file (@import)."))
    if "\\" in text or "expression(" in lowered or "javascript:" in lowered:
        raise _Refused(_("The SVG's style holds escapes or code that icons may not use."))
    if "url(" in re.sub(r"\s+", "", lowered):
        for _quote, target in URL_CALL.findall(text):
            if not LOCAL_REF.match(target.strip()):
                raise _Refused(
                    _("The SVG refers to another file (url(%(target)s)).")
                    % {"target": target.strip()[:60]}
                )
        if len(URL_CALL.findall(text)) != re.sub(r"\s+", "", lowered).count("url("):
            raise _Refused(_("The SVG's style holds a url() that cannot be read."))


def _clean_attributes(local: str, raw: dict[str, str]) -> dict[str, str]:
    allowed = PRESENTATION | GEOMETRY | ELEMENTS[local]
    kept: dict[str, str] = {}
    for name, value in raw.items():
        namespace, _space, attribute = name.rpartition(" ")
        if attribute.lower().startswith("on"):
            raise _Refused(
                _("The SVG has an event handler (%(name)s), which would run code.")
                % {"name": attribute}
            )
        if attribute == "href" and namespace in ("", XLINK_NS):
            target = value.strip()
            if LOCAL_REF.match(target) or (local == "image" and RASTER_DATA.match(target)):
                kept["href"] = target
                continue
            raise _Refused(
                _("The SVG links to something outside itself (%(target)s).")
                % {"target": target[:60]}
            )
        if namespace == XML_NS and attribute == "space":
            kept["xml:space"] = value
            continue
        if namespace not in ("", SVG_NS) or attribute not in allowed:
            continue  # editor metadata, unknown attributes: left out
        if "url(" in value.lower() or attribute == "style":
            _check_css(value)
        if "javascript:" in value.lower().replace(" ", ""):
            raise _Refused(_("The SVG holds a javascript: address."))
        kept[attribute] = value
    return kept


def _parse(data: bytes) -> _Node:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root: list[_Node] = []
    stack: list[_Node | None] = []  # None: inside an element that is left out
    count = [0]

    def refuse_doctype(*_args) -> Any:
        raise _Refused(
            _("The SVG declares a document type (DOCTYPE or entities), which icons may not.")
        )

    def start(name: str, attributes: dict[str, str]) -> None:
        count[0] += 1
        if count[0] > MAX_ELEMENTS or len(stack) >= MAX_DEPTH:
            raise _Refused(_("The SVG is too complex for an icon."))
        namespace, _space, local = name.rpartition(" ")
        if local in REFUSED or local.lower() in {e.lower() for e in REFUSED}:
            raise _Refused(
                _("The SVG holds a <%(name)s> element, which icons may not.") % {"name": local}
            )
        if not root and (local != "svg" or namespace not in ("", SVG_NS)):
            raise _Refused(_("This is an XML document but not an SVG image."))
        skipped = bool(stack) and stack[-1] is None
        if skipped or namespace not in ("", SVG_NS) or local not in ELEMENTS:
            # Left out with everything inside it, still checked for refused content.
            for attribute, value in attributes.items():
                local_name = attribute.rpartition(" ")[2]
                if local_name.lower().startswith("on"):
                    raise _Refused(
                        _("The SVG has an event handler (%(name)s), which would run code.")
                        % {"name": local_name}
                    )
                if "javascript:" in value.lower().replace(" ", ""):
                    raise _Refused(_("The SVG holds a javascript: address."))
            stack.append(None)
            return
        node = _Node(local, _clean_attributes(local, attributes), [])
        if stack:
            parent = stack[-1]
            assert parent is not None
            parent.children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(_name: str) -> None:
        stack.pop()

    def text(content: str) -> None:
        if stack and stack[-1] is not None and stack[-1].tag in TEXT_ELEMENTS:
            stack[-1].children.append(content)

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    parser.UnparsedEntityDeclHandler = refuse_doctype
    parser.ExternalEntityRefHandler = refuse_doctype
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.Parse(data, True)
    if not root:
        raise _Refused(_("This is not an SVG image."))
    return root[0]


def _write(node: _Node, out: list[str], top: bool = False) -> None:
    attributes = dict(node.attributes)
    if top:
        attributes = {"xmlns": SVG_NS, **{k: v for k, v in attributes.items() if k != "xmlns"}}
    out.append("<" + node.tag)
    out.extend(f" {name}={quoteattr(value)}" for name, value in attributes.items())
    if not node.children:
        out.append("/>")
        return
    out.append(">")
    if node.tag == "style":
        css = "".join(c for c in node.children if isinstance(c, str))
        _check_css(css)
        out.append(escape(css))
    else:
        for child in node.children:
            if isinstance(child, str):
                out.append(escape(child))
            else:
                _write(child, out)
    out.append(f"</{node.tag}>")


def _walk(node: _Node):
    yield node
    for child in node.children:
        if isinstance(child, _Node):
            yield from _walk(child)


def _check_uses(root: _Node) -> None:
    """`<use>` copies another part of the drawing: a few, each of a part holding no `<use>`
    itself, so copies of copies cannot multiply the drawing's cost (a "use bomb")."""
    by_id = {node.attributes["id"]: node for node in _walk(root) if "id" in node.attributes}
    uses = [node for node in _walk(root) if node.tag == "use"]
    if len(uses) > MAX_USES:
        raise _Refused(_("The SVG repeats parts of itself too often for an icon."))
    for use in uses:
        target = by_id.get(use.attributes.get("href", "").lstrip("#"))
        if target is not None and any(node.tag == "use" for node in _walk(target)):
            raise _Refused(_("The SVG repeats parts of itself too often for an icon."))


def sanitise_svg(data: bytes) -> bytes:
    """A new SVG document holding only the allowed parts of `data`."""
    try:
        root = _parse(data)
        _check_uses(root)
        out: list[str] = []
        _write(root, out, top=True)
    except _Refused as refusal:
        raise ValidationError(str(refusal), code="svg_refused") from refusal
    except (expat.ExpatError, ValueError) as error:
        raise ValidationError(
            _("The file is neither a raster image nor a well-formed SVG document (%(error)s).")
            % {"error": str(error)[:120]},
            code="svg_unreadable",
        ) from error
    return "".join(out).encode()
