"""App link: a named link with an icon, and optionally its live status (up / down / unknown)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from boards import ping
from boards.safety import WEB_SCHEMES, LinkField, WebURLField, safe_link, safe_web_url
from boards.widgets.base import WidgetForm, WidgetKind, register


class AppForm(WidgetForm):
    name = forms.CharField(label=_("Name"), max_length=80)
    url = LinkField(label=_("Address"), help_text=_("Where the link leads."))
    icon = LinkField(
        label=_("Icon"),
        schemes=WEB_SCHEMES,
        required=False,
        help_text=_("Address of an image (PNG, SVG…). Empty: the name's first letter."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    new_tab = forms.BooleanField(label=_("Open in a new tab"), required=False, initial=True)
    ping = forms.BooleanField(
        label=_("Show whether the app is up"),
        required=False,
        help_text=_("The server checks the address every minute or so."),
    )
    ping_url = WebURLField(
        label=_("Address to check"),
        required=False,
        help_text=_("Empty: the link's address. Use an internal address if the link's is public."),
    )

    def clean(self):
        data = super().clean()
        if data.get("ping") and not (data.get("ping_url") or safe_web_url(data.get("url"))):
            self.add_error(
                "ping_url",
                _("The status check needs an http:// or https:// address; give one here."),
            )
        return data


def ping_target(options: dict) -> str:
    if not options.get("ping"):
        return ""
    return safe_web_url(options.get("ping_url")) or safe_web_url(options.get("url"))


def load(items, request) -> list:
    """The remembered status of every pinged app on the page, in one cache round-trip."""
    targets = [ping_target(item.options) for item in items]
    known = ping.cached_statuses([t for t in targets if t])
    return [
        {
            "status": known.get(t, ping.UNKNOWN) if t else None,
            "href": safe_link(i.options.get("url")),
        }
        for t, i in zip(targets, items, strict=True)
    ]


def refresh(item, request) -> dict:
    target = ping_target(item.options)
    return {"status": ping.status(target) if target else None}


KIND = register(
    WidgetKind(
        name="app",
        label=_("App link"),
        description=_("A link to an app, with its icon and whether it is up."),
        form_class=AppForm,
        template="boards/widgets/app.html",
        default_size=(2, 1),
        loader=load,
        refresh=refresh,
        refresh_seconds=60,
    )
)
