from django import forms

from protected_apps.models import ProtectedApp


class ProtectedAppForm(forms.ModelForm):
    class Meta:
        model = ProtectedApp
        fields = ["name", "host", "path_prefix", "icon", "require_two_factor"]

    def clean_host(self) -> str:
        return self.cleaned_data["host"].strip().lower().rstrip(".")
