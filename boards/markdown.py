"""Markdown to safe HTML: parsed by cmark-gfm (GitHub's C implementation of CommonMark, whose
parsing is linear in the length of the text, pathological inputs included), then cleaned by
`nh3` (an allow-list of tags, attributes and URL schemes), so raw HTML, event handlers and
javascript: links in a note come out as harmless text or not at all.

A note is rendered once, when it is saved (the notes widget stores the clean HTML next to
the text), never while a board page is drawn. bench/bench_markdown.py measures the growth.
"""

import re
from collections import Counter
from html import escape

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
        "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "abbr": {"title"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# GitHub's extensions that produce only tags of the list above: tables, ~~strikethrough~~ and
# bare links. Raw HTML is passed through (CMARK_OPT_UNSAFE) for nh3 to clean: one sanitiser,
# with one allow-list, decides what a note may hold.
EXTENSIONS = ["table", "strikethrough", "autolink"]
OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_VALIDATE_UTF8


# The sanitiser's HTML parser (html5ever) pays for every element in proportion to the
# elements open around it, so a note nesting thousands of levels (20,000 ">" make 20,000
# nested quotes; raw "<div>" likewise) costs seconds. A note may nest this deep, no deeper:
# checked on the parser's output, in one pass, before nh3 sees it.
MAX_NESTING = 32
VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr"}
)  # fmt: skip
# Their closing tags run the HTML parser's "adoption agency", which can nest the elements
# between again instead of closing them: counted as closed only when innermost.
FORMATTING_TAGS = frozenset(
    {"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong",
     "tt", "u"}
)  # fmt: skip
TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)")


class TooDeep(ValueError):
    """The note nests more than MAX_NESTING levels of blocks or tags."""


def nesting_depth_exceeds(html: str, limit: int = MAX_NESTING) -> bool:
    """Whether elements nest deeper than `limit` in `html`, counted as an HTML parser would
    nest them or deeper: a closing tag closes the innermost open element of its name and all
    those inside it (a formatting tag only itself, when innermost), and is ignored when none
    is open; `<div/>` opens a div. Linear in the length of `html`."""
    stack: list[str] = []
    open_names: Counter[str] = Counter()
    for match in TAG.finditer(html):
        name = match.group(2).lower()
        if name in VOID_TAGS:
            continue
        if match.group(1):
            if name in FORMATTING_TAGS:
                if stack and stack[-1] == name:
                    stack.pop()
                    open_names[name] -= 1
            elif open_names[name]:
                while True:
                    top = stack.pop()
                    open_names[top] -= 1
                    if top == name:
                        break
            continue
        stack.append(name)
        open_names[name] += 1
        if len(stack) > limit:
            return True
    return False


def render_markdown(text: str) -> str:
    """Clean HTML for `text`; TooDeep when it nests deeper than MAX_NESTING levels."""
    html = cmarkgfm.markdown_to_html_with_extensions(text, options=OPTIONS, extensions=EXTENSIONS)
    if nesting_depth_exceeds(html):
        raise TooDeep(text)
    return sanitize(html)


def render_or_plain(text: str) -> str:
    """For notes stored before these rules: clean HTML, or the text shown as written."""
    try:
        return render_markdown(text)
    except TooDeep:
        return f"<pre>{escape(text)}</pre>"


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )
