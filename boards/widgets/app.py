"""App link: a named link with an icon, and optionally its live status (up / down / unknown)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from boards import icons, ping
from boards.safety import WEB_SCHEMES, LinkField, WebURLField, safe_link, safe_web_url
from boards.widgets.base import WidgetForm, WidgetKind, register


class BrandIconInput(forms.TextInput):
    """The icon's name, with a search of the bundled icons (htmx) and a preview."""

    template_name = "boards/forms/brand_icon_input.html"


class AppForm(WidgetForm):
    name = forms.CharField(label=_("Name"), max_length=80)
    url = LinkField(label=_("Address"), help_text=_("Where the link leads."))
    brand_icon = forms.CharField(
        label=_("Icon"),
        max_length=64,
        required=False,
        widget=BrandIconInput(attrs={"size": 14}),
        help_text=_(
            "Search the bundled brand icons by name. Empty: found from the app's name or "
            "address when one matches; “-” for the name's first letter."
        ),
    )
    icon = LinkField(
        label=_("Icon address"),
        schemes=WEB_SCHEMES,
        required=False,
        help_text=_("Or the address of an image of your own (PNG, SVG…); it wins over the above."),
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

    def clean_brand_icon(self) -> str:
        slug = self.cleaned_data["brand_icon"].strip().lower()
        if slug in ("", "-") or icons.icon(slug) is not None:
            return slug
        raise forms.ValidationError(
            _("There is no bundled icon named “%(slug)s”.") % {"slug": slug}
        )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("ping") and not (data.get("ping_url") or safe_web_url(data.get("url"))):
            self.add_error(
                "ping_url",
                _("The status check needs an http:// or https:// address; give one here."),
            )
        return data


def suggest(options: dict) -> dict:
    """The icon that matches the app, for someone filling in its options without one."""
    if options.get("brand_icon") or options.get("icon") or not options.get("name"):
        return options
    return {**options, "brand_icon": icons.match(options["name"], options.get("url") or "")}


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
        min_size=(2, 1),
        loader=load,
        suggest=suggest,
        refresh=refresh,
        refresh_seconds=60,
    )
)
