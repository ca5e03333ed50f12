"""Search box: sends the words typed to a search engine, e.g. https://duckduckgo.com/?q=%s.

The box is a plain GET form to the engine (it works without JavaScript); the board page's
Content-Security-Policy allows forms to be sent to exactly the engines on it.
"""

from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from boards.safety import WebURLField, safe_web_url, web_origin
from boards.widgets.base import WidgetForm, WidgetKind, register, title_field

PLACEHOLDER = "%s"


def split_template(template: str) -> tuple[str, tuple[tuple[str, str], ...], str] | None:
    """(form action, hidden fields, name of the words' field) for an engine's template;
    worked out once per process for the same template (every first view of a board asks for
    each search box's, for its form and for the page's policy)."""
    return _split_template(str(template or ""))


@lru_cache(maxsize=512)
def _split_template(template: str) -> tuple[str, tuple[tuple[str, str], ...], str] | None:
    url = safe_web_url(template)
    if not url or url.count(PLACEHOLDER) != 1:
        return None
    parts = urlsplit(url)
    if PLACEHOLDER in parts.netloc or PLACEHOLDER in parts.path or PLACEHOLDER in parts.fragment:
        return None
    fields = parse_qsl(parts.query, keep_blank_values=True)
    names = [name for name, value in fields if value == PLACEHOLDER]
    if len(names) != 1 or any(PLACEHOLDER in name for name, _ in fields):
        return None
    hidden = tuple((name, value) for name, value in fields if value != PLACEHOLDER)
    action = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
    return action, hidden, names[0]


class SearchForm(WidgetForm):
    title = title_field()
    engine = WebURLField(
        label=_("Search address"),
        initial="https://duckduckgo.com/?q=%s",
        help_text=_(
            "The engine's address with %s where the words go, e.g. https://duckduckgo.com/?q=%s"
        ),
    )
    placeholder = forms.CharField(label=_("Hint in the box"), max_length=80, required=False)
    new_tab = forms.BooleanField(label=_("Open results in a new tab"), required=False)

    def clean_engine(self):
        engine = self.cleaned_data["engine"]
        if split_template(engine) is None:
            raise ValidationError(
                _("Put %s once, as the value of a parameter: https://duckduckgo.com/?q=%s"),
                code="placeholder",
            )
        return engine


def load(items, request) -> list:
    result: list[dict | None] = []
    for item in items:
        parts = split_template(item.options.get("engine", ""))
        if parts is None:
            result.append(None)
        else:
            action, hidden, field = parts
            result.append({"action": action, "hidden": list(hidden), "field": field})
    return result


def csp_sources(options: dict) -> dict[str, list[str]]:
    parts = split_template(options.get("engine", ""))
    origin = web_origin(parts[0]) if parts else None
    return {"form-action": [origin]} if origin else {}


KIND = register(
    WidgetKind(
        name="search",
        label=_("Search box"),
        description=_("Search the web, or any site with a search address."),
        form_class=SearchForm,
        template="boards/widgets/search.html",
        default_size=(4, 1),
        min_size=(3, 1),
        loader=load,
        csp_sources=csp_sources,
    )
)
