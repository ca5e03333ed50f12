"""The icon picker, one field for every form that takes an icon: app links, integrations and
protected apps.

The field holds a bundled brand icon's name (`jellyfin`), an uploaded icon's reference
(`upload:<hash>.<ext>`, see boards.models.UploadedIcon), "-" for the name's first letter, or
nothing. Its widget shows a preview, a search of both sets (htmx, `boards:icons`) and a file
field that uploads an icon and offers it at once (`icons:upload`); without JavaScript, the
name can be typed and uploads are made on the icons page, linked beside it.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from boards import icons
from boards.uploaded_icons import UploadedIcon


class IconPickerInput(forms.TextInput):
    template_name = "boards/forms/brand_icon_input.html"

    def __init__(self, attrs=None) -> None:
        super().__init__({"size": 14, "autocomplete": "off", **(attrs or {})})


def known_icon(value: str) -> bool:
    """Whether an icon field's value names an icon that exists (bundled, or uploaded and not
    deleted since)."""
    found = icons.UPLOAD_REFERENCE.match(value)
    if found is None:
        return icons.icon(value) is not None
    return any(
        stored.extension == found["ext"]
        for stored in UploadedIcon.objects.filter(sha256__startswith=found["key"]).only(
            "content_type"
        )
    )


def clean_icon_value(value: str, forget_missing_uploads: bool = False) -> str:
    """The value normalised, or ValidationError when it names no icon ("" for an uploaded
    icon that is not there, when `forget_missing_uploads`)."""
    value = (value or "").strip()
    if not value.startswith("upload:"):
        value = value.lower()
    if value in ("", "-") or known_icon(value):
        return value
    if forget_missing_uploads and icons.UPLOAD_REFERENCE.match(value):
        return ""
    raise forms.ValidationError(
        _("There is no icon named “%(slug)s”: search for one, or upload it."),
        params={"slug": value[:64]},
        code="unknown_icon",
    )


class IconField(forms.CharField):
    """An icon chosen with the picker (see the module's docstring)."""

    widget = IconPickerInput
    forget_missing_uploads = False

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Icon"))
        super().__init__(**kwargs)

    def clean(self, value):
        return clean_icon_value(super().clean(value), self.forget_missing_uploads)
