from django import forms
from django.apps import AppConfig

from homeportal.text import validate_text


class HomeportalConfig(AppConfig):
    """Project-wide input rules that belong to no one app."""

    name = "homeportal"
    verbose_name = "homeportal"

    def ready(self) -> None:
        install_text_check()


def install_text_check() -> None:
    """Every form field that holds text (forms.CharField and all its subclasses: email, URL,
    slug, password and the project's own fields) refuses NUL characters and unpaired surrogates,
    with a sentence on the field, before any clean_* method or model sees the value. Done once
    on the class, so forms of every app, present and future, are covered without each one
    remembering to."""
    if getattr(forms.CharField.to_python, "checks_text", False):
        return
    original = forms.CharField.to_python

    def to_python(self, value):
        value = original(self, value)
        validate_text(value)
        return value

    to_python.checks_text = True  # type: ignore[attr-defined]  # a mark: patched once
    forms.CharField.to_python = to_python  # type: ignore[method-assign]  # on every text field
