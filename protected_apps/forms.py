from django import forms
from django.utils.translation import gettext_lazy as _

from boards.icon_field import IconPickerInput, clean_icon_value
from boards.safety import safe_web_url
from protected_apps.models import ProtectedApp


class ProtectedAppForm(forms.ModelForm):
    class Meta:
        model = ProtectedApp
        fields = ["name", "host", "path_prefix", "icon", "require_two_factor"]
        widgets = {"icon": IconPickerInput()}
        help_texts = {
            "icon": _(
                "Search the bundled brand icons and the uploaded ones, or upload one; or the "
                "address of an image. App links to this app show it."
            )
        }

    def clean_icon(self) -> str:
        """An image's address as before, or an icon chosen with the picker."""
        value = self.cleaned_data["icon"].strip()
        if safe_web_url(value):
            return value
        return clean_icon_value(value)

    def clean_host(self) -> str:
        return self.cleaned_data["host"].strip().lower().rstrip(".")
