"""App link: a named link with an icon, and optionally its live status (up / down / unknown).

A link may name one of the portal's protected apps (`protected_app`, its id). Choosing one in
the editor fills the address, name and icon left empty; the choices are only the apps the
editor reaches (protected_apps.access.visible_apps), and a layout save or import that newly
names an app the saver cannot reach is refused (protected_apps.access.link_refusals). When the
app is later renamed or moved, its links are rewritten where they still show the app's former
name or address (boards.app_links): the stored options stay the one truth read by the page, the
status ping and exports, and saving the items moves their boards' `updated` (boards.models.
touch_board), so no cached body shows the old link. Reading the app at render time instead
would need the same invalidation anyway (bodies are cached) plus a query per render and a
second source for the ping target.

Viewers who cannot reach the app still see the link: it is only an address, and the gate
decides at the app (protected_apps.gate) whether they get in.
"""

from contextlib import suppress
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from boards import icons, ping
from boards.icon_field import IconField, clean_icon_value
from boards.safety import WEB_SCHEMES, LinkField, WebURLField, safe_web_url
from boards.widgets.base import WidgetForm, WidgetKind, register


class AppForm(WidgetForm):
    protected_app = forms.TypedChoiceField(
        label=_("Protected app"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_(
            "Optional: fills the address, name and icon left empty, and follows the app when "
            "it is renamed or moved. Only apps you may reach are offered."
        ),
    )
    name = forms.CharField(label=_("Name"), max_length=80, required=False)
    url = LinkField(label=_("Address"), required=False, help_text=_("Where the link leads."))
    brand_icon = IconField(
        help_text=_(
            "Search the bundled brand icons and the uploaded ones by name, or upload one. "
            "Empty: found from the app's name or address when one matches; “-” for the "
            "name's first letter."
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

    field_order = ["protected_app", "name", "url"]

    def __init__(self, *args, protected_apps=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.apps = {app.pk: app for app in protected_apps or []}
        if protected_apps is None:
            # Stored and imported options: any id; layout checks decide who may name it.
            self.fields["protected_app"] = forms.IntegerField(min_value=1, required=False)
            # An uploaded icon this server does not have (a board from another server, an
            # icon deleted since) is no reason to refuse the board: the letter shows instead.
            cast(IconField, self.fields["brand_icon"]).forget_missing_uploads = True
        else:
            field = cast(forms.TypedChoiceField, self.fields["protected_app"])
            field.choices = [("", "—"), *((app.pk, app.name) for app in protected_apps)]

    def to_options(self) -> dict:
        options = super().to_options()
        if options.get("protected_app") is None:
            options.pop("protected_app", None)  # plain links keep the options they had
        return options

    def clean(self):
        super().clean()
        data = self.cleaned_data
        app = self.apps.get(data.get("protected_app"))
        if app is not None:
            data["name"] = data.get("name") or app.name[:80]
            data["url"] = data.get("url") or app.url
            if not data.get("icon") and not data.get("brand_icon") and app.icon:
                if safe_web_url(app.icon):
                    data["icon"] = app.icon
                else:
                    with suppress(forms.ValidationError):  # an icon since deleted: the letter
                        data["brand_icon"] = clean_icon_value(app.icon) or ""
        for name in ("name", "url"):
            if name in data and not data[name]:
                self.add_error(name, forms.Field.default_error_messages["required"])
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


def app_choices(grants) -> dict:
    """The protected apps the editing user reaches, for the options form."""
    from protected_apps.access import visible_apps

    return {"protected_apps": list(visible_apps(grants).order_by("name", "pk"))}


def ping_target(options: dict) -> str:
    if not options.get("ping"):
        return ""
    return safe_web_url(options.get("ping_url")) or safe_web_url(options.get("url"))


def load(items, request) -> list:
    """The remembered status of every pinged app on the page, in one cache round-trip; None
    for an app without a status check, whose template shows nothing but its options (and
    whose rendering is then kept without data to tell apart)."""
    targets = [ping_target(item.options) for item in items]
    known = ping.cached_statuses([t for t in targets if t])
    return [{"status": known.get(t, ping.UNKNOWN)} if t else None for t in targets]


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
        form_choices=app_choices,
    )
)
