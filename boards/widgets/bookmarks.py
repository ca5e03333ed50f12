"""Bookmarks: a list of links, written one a line as `Name | address`."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from boards.safety import LinkField
from boards.widgets import WidgetForm, WidgetKind, register, title_field

MAX_LINKS = 100


class LinksField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 8})

    def clean(self, value):
        text = super().clean(value)
        links, errors = [], []
        url_field = LinkField()
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            name, sep, url = line.rpartition("|")
            if not sep:
                name, url = "", line
            name, url = name.strip(), url.strip()
            try:
                url = url_field.clean(url)
            except ValidationError as error:
                errors.append(
                    _g("Line %(n)s: %(error)s") % {"n": number, "error": error.messages[0]}
                )
                continue
            if len(name) > 80:
                errors.append(
                    _g("Line %(n)s: the name is longer than 80 characters.") % {"n": number}
                )
                continue
            links.append({"name": name or url, "url": url})
        if errors:
            raise ValidationError(errors)
        if len(links) > MAX_LINKS:
            raise ValidationError(_g("At most %(n)s links.") % {"n": MAX_LINKS})
        return links


def links_text(links) -> str:
    if not isinstance(links, list):
        return str(links or "")
    return "\n".join(
        f"{link.get('name', '')} | {link.get('url', '')}"
        for link in links
        if isinstance(link, dict)
    )


class BookmarksForm(WidgetForm):
    title = title_field()
    links = LinksField(
        label=_("Links"),
        max_length=20000,
        help_text=_("One a line: Name | https://address"),
    )
    new_tab = forms.BooleanField(label=_("Open in a new tab"), required=False, initial=True)

    @classmethod
    def data_from_options(cls, options: dict) -> dict:
        return super().data_from_options({**options, "links": links_text(options.get("links"))})

    @classmethod
    def initial_from_options(cls, options: dict) -> dict:
        return {**options, "links": links_text(options.get("links"))}


KIND = register(
    WidgetKind(
        name="bookmarks",
        label=_("Bookmarks"),
        description=_("A list of links."),
        form_class=BookmarksForm,
        template="boards/widgets/bookmarks.html",
        default_size=(3, 2),
        min_size=(2, 2),
    )
)
