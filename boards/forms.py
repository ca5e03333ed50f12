from typing import cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.models import ColorScheme, Motion, TimeFormat, User, WeekStart
from accounts.preferences import is_time_zone
from boards.layout import (
    EXPORT_FORMAT,
    EXPORT_SHAPE,
    LAYOUT_SHAPE,
    OPTIONS_SHAPE,
    LayoutError,
    ParsedLayout,
    parse_export,
    parse_layout,
)
from boards.models import RESERVED_BOARD_NAMES, Board, BoardAccess, Level, ServerHomeBoard
from boards.widgets.clock import time_zone_choices
from groups.access_tab import AccessRowForm as GenericAccessRowForm
from groups.models import Group
from homeportal import jsoninput
from homeportal.jsoninput import JSONInputError
from integrations.access import layout_refusals
from protected_apps.access import link_refusals

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_LAYOUT_BYTES = 4 * 1024 * 1024
MAX_OPTIONS_BYTES = 1024 * 1024


def unused_name(base: str) -> str:
    base = (slugify(base)[:56].strip("-") or "board").lower()
    if base in RESERVED_BOARD_NAMES:
        base = f"{base}-board"
    taken = set(Board.objects.filter(name__startswith=base).values_list("name", flat=True))
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, 10_000) if f"{base}-{n}" not in taken)


class BoardCreateForm(forms.ModelForm):
    class Meta:
        model = Board
        fields = ["title", "name", "description", "is_public"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["name"].help_text = _("Empty: made from the title.")

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if not data.get("name") and data.get("title") and "name" not in self.errors:
            data["name"] = unused_name(data["title"])
        return data


class BoardGeneralForm(forms.ModelForm):
    """Name, title and visibility: `full` level."""

    class Meta:
        model = Board
        fields = ["title", "name", "is_public"]


class ColorInput(forms.TextInput):
    """A colour picker with the hexadecimal text box beside it as the fallback.

    The picker cannot be empty, so the text box stays the field ("" means the default). Without
    JavaScript both are posted: a changed text box wins, otherwise a changed picker does. With
    JavaScript (static/boards/color.js) each follows the other as the user types or picks.
    """

    template_name = "boards/forms/color_input.html"
    default = "#2563eb"  # what the picker shows while the text box is empty

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["picker_label"] = _("Pick a colour")
        context["widget"]["picker_default"] = self.default
        return context

    def value_from_datadict(self, data, files, name):
        typed = data.get(name)
        picked = (data.get(f"{name}__picker") or "").lower()
        if f"{name}__initial" not in data:
            return typed  # posted by something other than this form (tests, scripts)
        initial = data.get(f"{name}__initial") or ""
        picker_was = (initial or self.default).lower()
        if typed == initial and picked and picked != picker_was:
            return picked
        return typed


class BoardLookForm(forms.ModelForm):
    """Description and look: `modify` level."""

    class Meta:
        model = Board
        fields = ["description", "color_scheme", "accent_color", "background_url", "columns"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "accent_color": ColorInput(attrs={"placeholder": "#2563eb", "size": 8}),
            "background_url": forms.TextInput(attrs={"placeholder": "https://…"}),
        }


class DuplicateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    name = forms.CharField(label=_("URL name"), max_length=63, required=False,
                           help_text=_("Empty: made from the title."))  # fmt: skip

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        name = data.get("name") or unused_name(data["title"])
        candidate = Board(name=name, title=data["title"])
        try:
            candidate.full_clean(exclude=["owner"])
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        data["name"] = name
        return data


class ImportForm(DuplicateForm):
    file = forms.FileField(label=_("Export file (JSON)"), required=False)
    text = forms.CharField(
        label=_("…or paste it here"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )

    field_order = ["file", "text", "title", "name"]

    def __init__(self, *args, grants=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.grants = grants
        self.fields["title"].required = False
        self.fields["title"].help_text = _("Empty: the title in the file.")
        self.board_fields: dict = {}
        self.layout: ParsedLayout | None = None

    def clean(self):
        upload, text = self.cleaned_data.get("file"), self.cleaned_data.get("text")
        if upload is not None:
            if upload.size > MAX_IMPORT_BYTES:
                raise ValidationError(_("The file is larger than 2 MB."))
            raw = upload.read()
        elif text:
            raw = text.encode()
        else:
            raise ValidationError(_("Choose an export file or paste one."))
        try:
            data = jsoninput.loads(raw, max_bytes=MAX_IMPORT_BYTES)
            if isinstance(data, dict) and data.get("format") == EXPORT_FORMAT:
                jsoninput.check(data, EXPORT_SHAPE)
        except JSONInputError as error:
            raise ValidationError(error.messages) from None
        try:
            fields, self.layout = parse_export(data)
        except LayoutError as error:
            raise ValidationError(error.messages) from None
        refusals = layout_refusals(self.grants, self.layout)
        refusals += link_refusals(self.grants, self.layout)
        if refusals:
            raise ValidationError(refusals)
        self.cleaned_data["title"] = (self.cleaned_data.get("title") or fields["title"])[:120]
        if not self.cleaned_data["title"]:
            raise ValidationError(_("Give the board a title."))
        if not self.cleaned_data.get("name"):
            self.cleaned_data["name"] = unused_name(fields["name"] or self.cleaned_data["title"])
        look = Board(name=self.cleaned_data["name"], title=self.cleaned_data["title"],
                     **{k: v for k, v in fields.items() if k not in ("name", "title")})  # fmt: skip
        try:
            look.full_clean(exclude=["owner"])
        except ValidationError as error:
            raise ValidationError(
                [f"{k}: {m}" for k, ms in error.message_dict.items() for m in ms]
            ) from None
        self.board_fields = {k: v for k, v in fields.items() if k not in ("name", "title")}
        return self.cleaned_data


class SaveLayoutForm(forms.Form):
    """What the editor sends: the board's whole layout, and the version it started from."""

    state = forms.CharField(max_length=MAX_LAYOUT_BYTES, strip=False)

    def __init__(self, board: Board, sections, *args, grants=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.grants = grants
        self.board = board
        self.sections = {s.pk: s for s in sections}
        self.items = {i.pk: i for s in sections for i in s.item_list}
        self.layout: ParsedLayout | None = None
        self.conflict = False

    def clean_state(self):
        try:
            data = jsoninput.loads(
                self.cleaned_data["state"], max_bytes=MAX_LAYOUT_BYTES, shape=LAYOUT_SHAPE
            )
        except JSONInputError as error:
            raise ValidationError([_("The layout is not understood."), *error.messages]) from None
        if data.get("version") != self.board.version:
            self.conflict = True
            raise ValidationError(
                _("Someone else changed this board meanwhile. Reload it to see their changes.")
            )
        try:
            self.layout = parse_layout(
                data, columns=self.board.columns,
                sections_by_id=self.sections, items_by_id=self.items,
            )  # fmt: skip
        except LayoutError as error:
            raise ValidationError(error.messages) from None
        refusals = layout_refusals(self.grants, self.layout, self.items)
        refusals += link_refusals(self.grants, self.layout, self.items)
        if refusals:
            raise ValidationError(refusals)
        return data


class AccessRowForm(GenericAccessRowForm):
    """Adds a row, or changes the level of the principal's existing row, on a board."""

    def __init__(self, board: Board, *args, **kwargs):
        super().__init__(board, BoardAccess, "board", Level.choices, *args, **kwargs)
        self.board = board


class BoardFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    level = forms.ChoiceField(
        label=_("At least"),
        required=False,
        choices=[("", _("Any level")), *Level.choices],
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        required=False,
        choices=[("", _("Public or not")), ("public", _("Public")), ("private", _("Not public"))],
    )
    mine = forms.BooleanField(label=_("Created by me"), required=False)


class BoardChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, board: Board) -> str:
        return f"{board.title} (/{board.name}/)"


class PreferencesForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    color_scheme = forms.ChoiceField(label=_("Color scheme"), choices=ColorScheme.choices)
    language = forms.ChoiceField(
        label=_("Language"), required=False,
        choices=lambda: [("", _("The browser's language")), *settings.LANGUAGES],
    )  # fmt: skip
    time_zone = forms.ChoiceField(
        label=_("Time zone"), required=False,
        choices=lambda: [("", _("The server's time zone")), *time_zone_choices()],
        help_text=_("Every date and clock is shown in it."),
    )  # fmt: skip
    time_format = forms.ChoiceField(
        label=_("Time format"), choices=TimeFormat.choices, required=False
    )
    week_start = forms.ChoiceField(
        label=_("First day of the week"), choices=WeekStart.choices, required=False
    )
    motion = forms.ChoiceField(
        label=_("Motion"), choices=Motion.choices, required=False,
        help_text=_("Reduce motion turns off animations and transitions."),
    )  # fmt: skip
    desktop_home_board = BoardChoiceField(
        label=_("Home board"), queryset=Board.objects.none(), required=False,
        empty_label=_("Automatic (from your groups or the server)"),
    )  # fmt: skip
    mobile_home_board = BoardChoiceField(
        label=_("Home board on a phone"), queryset=Board.objects.none(), required=False,
        empty_label=_("Same as above"),
    )  # fmt: skip

    def __init__(self, user: User, boards, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(BoardChoiceField, self.fields["desktop_home_board"]).queryset = boards
        cast(BoardChoiceField, self.fields["mobile_home_board"]).queryset = boards
        if not user.is_local:
            # The provider sends them at every login: a change here would be overwritten.
            for name in ("display_name", "email"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "Comes from %(provider)s and is updated at each login: change it there."
                ) % {"provider": user.get_provider_display()}


class ServerHomeBoardForm(forms.ModelForm):
    class Meta:
        model = ServerHomeBoard
        fields = ["desktop_board", "mobile_board"]
        field_classes = {"desktop_board": BoardChoiceField, "mobile_board": BoardChoiceField}
        help_texts = {
            "desktop_board": _(
                "For users whose groups have none. If it is public, visitors "
                "who are not logged in see it at the start page."
            ),
            "mobile_board": _("Empty: the same as above."),
        }


class GroupHomeBoardForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["desktop_home_board", "mobile_home_board"]
        field_classes = {
            "desktop_home_board": BoardChoiceField,
            "mobile_home_board": BoardChoiceField,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # The selects sit in table cells, outside the row's <form>, and join it by id.
            field.widget.attrs["form"] = f"group-home-{self.instance.pk}"


class CollapseForm(forms.Form):
    collapsed = forms.BooleanField(required=False)


class WidgetRequestForm(forms.Form):
    """Which widget's options dialog the editor asks for, with the options it holds."""

    kind = forms.CharField(max_length=32)
    options = forms.CharField(required=False, max_length=MAX_OPTIONS_BYTES, strip=False)
    load = forms.BooleanField(required=False)

    def clean_kind(self):
        from boards.widgets import get_widget

        widget = get_widget(self.cleaned_data["kind"])
        if widget is None:
            raise ValidationError(_("Unknown widget."))
        return widget

    def clean_options(self):
        raw = self.cleaned_data.get("options") or "{}"
        try:
            return jsoninput.loads(raw, max_bytes=MAX_OPTIONS_BYTES, shape=OPTIONS_SHAPE)
        except JSONInputError as error:
            raise ValidationError([_("The options are not understood."), *error.messages]) from None


class ActionForm(forms.Form):
    """The parameters of an integration action: exactly the ones it declares, short strings."""

    def __init__(self, params: tuple[str, ...], *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in params:
            self.fields[name] = forms.CharField(max_length=200)


class MakeHomeForm(forms.Form):
    """ "Make this the home board for…": the server's default or one group's, where."""

    SERVER = "server"
    target = forms.ChoiceField(label=_("Home board for"))
    where = forms.ChoiceField(
        label=_("On"),
        choices=[
            ("both", _("computers and phones")),
            ("desktop", _("computers")),
            ("mobile", _("phones")),
        ],
        initial="both",
    )

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = {f"g{group.pk}": group for group in groups}
        cast(forms.ChoiceField, self.fields["target"]).choices = [
            (self.SERVER, _("everybody (the server's default)"))
        ] + [
            (key, _("the group %(name)s") % {"name": group.name})
            for key, group in self.groups.items()
        ]

    def save(self, board) -> tuple[object, str]:
        """Sets the board; answers what it was set on and the audit action."""
        where = self.cleaned_data["where"]
        target = self.cleaned_data["target"]
        if target == self.SERVER:
            holder, fields = ServerHomeBoard.load(), ("desktop_board", "mobile_board")
            action = "home_board.default_changed"
        else:
            holder = self.groups[target]
            fields = ("desktop_home_board", "mobile_home_board")
            action = "group.home_boards_changed"
        if where in ("both", "desktop"):
            setattr(holder, fields[0], board)
        if where in ("both", "mobile"):
            setattr(holder, fields[1], board)
        holder.save()
        return holder, action


class DetectedTimeZoneForm(forms.Form):
    """The browser's time zone, as static/js/time-zone.js posts it."""

    time_zone = forms.CharField(max_length=64)

    def clean_time_zone(self) -> str:
        name = self.cleaned_data["time_zone"]
        if not is_time_zone(name):
            raise ValidationError(_("Unknown time zone."))
        return name
