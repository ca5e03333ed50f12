"""What every widget kind declares (`WidgetKind`, its options `WidgetForm`) and the registry
they join; see the package's docstring."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.functional import Promise
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
    label: str | Promise  # lazy translations, read when shown
    description: str | Promise
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
    # Options that only a user with `full` on the widget's integration may set or change
    # (a Prometheus widget's PromQL): checked when a layout is saved or imported.
    full_options: tuple[str, ...] = field(default_factory=tuple)
    # The editor's extra form arguments for a user (their grants): choices they may make.
    form_choices: Callable[[Any], dict] | None = None

    def validate(self, options) -> tuple[dict | None, WidgetForm]:
        """(clean options, form) for stored or imported options; (None, form) when invalid."""
        if not isinstance(options, dict):
            options = {}
        form = self.form_class(data=self.form_class.data_from_options(options))
        if form.is_valid():
            return form.to_options(), form
        return None, form

    def bound_form(self, data, **kwargs) -> WidgetForm:
        return self.form_class(data=data, **kwargs)

    def unbound_form(self, options: dict | None = None, **kwargs) -> WidgetForm:
        initial = self.form_class.initial_from_options(options) if options else None
        return self.form_class(initial=initial, **kwargs)

    def accepts(self, connection) -> bool:
        """Whether this widget can show an integration's data (integration widgets only)."""
        kind = connection.kind_module if connection is not None else None
        return bool(self.integration and kind is not None and self.integration in kind.widgets)

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
