"""Notes: Markdown, rendered and sanitised on the server."""

from django import forms
from django.utils.translation import gettext_lazy as _

from boards.markdown import render_markdown
from boards.widgets import WidgetForm, WidgetKind, register, title_field


class NotesForm(WidgetForm):
    title = title_field()
    text = forms.CharField(
        label=_("Text"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Markdown: **bold**, _italic_, [links](https://…), lists, tables, `code`."),
    )


def load(items, request) -> list:
    return [{"html": render_markdown(str(item.options.get("text", "")))} for item in items]


KIND = register(
    WidgetKind(
        name="notes",
        label=_("Notes"),
        description=_("Text written in Markdown."),
        form_class=NotesForm,
        template="boards/widgets/notes.html",
        default_size=(3, 2),
        min_size=(2, 1),
        loader=load,
    )
)
