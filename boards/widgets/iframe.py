"""Iframe: another web page inside the board, sandboxed. The board page's
Content-Security-Policy allows exactly the origins of the iframes on it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from boards.safety import WebURLField, web_origin
from boards.widgets import WidgetForm, WidgetKind, register, title_field


class IframeForm(WidgetForm):
    title = title_field()
    url = WebURLField(label=_("Address"))
    height = forms.IntegerField(
        label=_("Height in pixels"),
        min_value=0,
        max_value=4000,
        initial=0,
        required=False,
        help_text=_("0 or empty: fill the widget."),
    )
    allow_scripts = forms.BooleanField(label=_("Allow scripts"), required=False, initial=True)
    allow_same_origin = forms.BooleanField(
        label=_("Let the page keep its own login (same-origin)"), required=False, initial=True
    )
    allow_forms = forms.BooleanField(label=_("Allow forms"), required=False)
    allow_popups = forms.BooleanField(label=_("Allow pop-ups and new tabs"), required=False)
    allow_fullscreen = forms.BooleanField(label=_("Allow full screen"), required=False)

    def clean_height(self):
        return self.cleaned_data.get("height") or 0


SANDBOX_TOKENS = {
    "allow_scripts": "allow-scripts",
    "allow_same_origin": "allow-same-origin",
    "allow_forms": "allow-forms",
    "allow_popups": "allow-popups allow-popups-to-escape-sandbox",
}


def load(items, request) -> list:
    return [
        {"sandbox": " ".join(t for k, t in SANDBOX_TOKENS.items() if item.options.get(k))}
        for item in items
    ]


def csp_sources(options: dict) -> dict[str, list[str]]:
    origin = web_origin(options.get("url"))
    return {"frame-src": [origin]} if origin else {}


KIND = register(
    WidgetKind(
        name="iframe",
        label=_("Web page (iframe)"),
        description=_("Another web page shown inside the board."),
        form_class=IframeForm,
        template="boards/widgets/iframe.html",
        default_size=(4, 3),
        min_size=(2, 2),
        loader=load,
        csp_sources=csp_sources,
    )
)
