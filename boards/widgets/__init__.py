"""The widget registry: every kind of widget is one module of this package.

A module declares a `WidgetKind`: its options form (a `WidgetForm`), its template partial, its
default size and, optionally,

- `loader(items, request) -> [data, ...]`: data for every item of this kind on a page (one
  entry per item, in order), in one call, so a board of 60 widgets costs the same number of
  queries as a board of 5;
- `default_size` and `min_size` (columns, rows): where it fits its content at the default
  font size (tests/boards/browser/test_sizes.py checks every kind on a desktop and a phone);
- `suggest(options) -> options`: what the editor's options dialog fills in for the person
  editing (an app's icon from its name), never applied to stored or imported options;
- `refresh(item, request) -> data` with `refresh_seconds`: live data the page asks for again
  with htmx (the app link's status ping);
- `integration`: the kind of integration the widget reads (integration widgets, later), which
  the editor offers only to users who may `use` one of that kind;
- `csp_sources(options) -> {directive: [origin, ...]}`: what the page's Content-Security-Policy
  must allow for this item (an iframe's frame source, a search engine's form action);
- `export_exclude`: option names never written to an export (secrets of later widgets).

Items are rendered with the context `item`, `options`, `data`, `board`, `editing`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

Loader = Callable[[list, Any], list]


class WidgetForm(forms.Form):
    """Base of every widget's options form. Options are stored as the form's cleaned data."""

    prefix = "opt"

    @classmethod
    def data_from_options(cls, options: dict) -> dict:
        """Form data (as a browser would post it) for stored options."""
        return {f"{cls.prefix}-{key}": value for key, value in options.items()}

    @classmethod
    def initial_from_options(cls, options: dict) -> dict:
        return dict(options)

    def to_options(self) -> dict:
        return {key: value for key, value in self.cleaned_data.items()}


@dataclass(frozen=True)
class WidgetKind:
    name: str
    label: str
    description: str
    form_class: type[WidgetForm]
    template: str
    default_size: tuple[int, int] = (2, 1)  # (columns, rows) on the desktop grid
    # The smallest size its content reads at (the editor does not resize below it).
    min_size: tuple[int, int] = (1, 1)
    loader: Loader | None = None
    suggest: Callable[[dict], dict] | None = None
    refresh: Callable[[Any, Any], Any] | None = None
    refresh_seconds: int = 0
    integration: str | None = None
    csp_sources: Callable[[dict], dict[str, list[str]]] | None = None
    export_exclude: tuple[str, ...] = field(default_factory=tuple)

    def validate(self, options) -> tuple[dict | None, WidgetForm]:
        """(clean options, form) for stored or imported options; (None, form) when invalid."""
        if not isinstance(options, dict):
            options = {}
        form = self.form_class(data=self.form_class.data_from_options(options))
        if form.is_valid():
            return form.to_options(), form
        return None, form

    def bound_form(self, data) -> WidgetForm:
        return self.form_class(data=data)

    def unbound_form(self, options: dict | None = None) -> WidgetForm:
        initial = self.form_class.initial_from_options(options) if options else None
        return self.form_class(initial=initial)

    def export(self, options: dict) -> dict:
        return {k: v for k, v in options.items() if k not in self.export_exclude}


_REGISTRY: dict[str, WidgetKind] = {}


def register(kind: WidgetKind) -> WidgetKind:
    if kind.name in _REGISTRY:
        raise ValueError(f"widget kind {kind.name!r} is registered twice")
    _REGISTRY[kind.name] = kind
    return kind


def get_widget(name: str) -> WidgetKind | None:
    return _REGISTRY.get(name)


def all_widgets() -> list[WidgetKind]:
    return list(_REGISTRY.values())


def title_field() -> forms.CharField:
    return forms.CharField(
        label=_("Title"), max_length=120, required=False, help_text=_("Shown above the widget.")
    )


from boards.widgets import app, bookmarks, clock, iframe, notes, search  # noqa: E402, F401
