"""Notes: Markdown, rendered and sanitised on the server once, when the note is saved.

The options hold the text as written and `html`, its clean rendering (boards.markdown), so a
board page only copies stored HTML. `html` is derived data: it is never exported, and what a
client sends under that name is dropped (the form has no such field; `to_options` renders
the text again).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from boards.markdown import MAX_NESTING, TooDeep, render_markdown, render_or_plain
from boards.widgets import WidgetForm, WidgetKind, register, title_field


class NotesForm(WidgetForm):
    title = title_field()
    text = forms.CharField(
        label=_("Text"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Markdown: **bold**, _italic_, [links](https://…), lists, tables, `code`."),
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        try:
            self.html = render_markdown(text)
        except TooDeep:
            raise forms.ValidationError(
                _("This text nests quotes, lists or tags more than %(n)s levels deep."),
                code="too_deep",
                params={"n": MAX_NESTING},
            ) from None
        return text

    def to_options(self) -> dict:
        return {**super().to_options(), "html": self.html}


def html_of(options: dict) -> str:
    """The stored rendering; rows written before notes stored one are rendered here."""
    html = options.get("html")
    if isinstance(html, str):
        return html
    return render_or_plain(str(options.get("text", "")))


def load(items, request) -> list:
    return [{"html": html_of(item.options)} for item in items]


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
        export_exclude=("html",),
    )
)
