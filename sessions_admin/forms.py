from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _lazy


class AuditFilterForm(forms.Form):
    q = forms.CharField(
        label=_lazy("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _lazy("Action, actor or target")}
        ),
    )

    def filter(self, entries):
        if not self.is_valid() or not self.cleaned_data["q"]:
            return entries
        q = self.cleaned_data["q"].strip()
        return entries.filter(
            Q(action__icontains=q) | Q(actor_name__icontains=q) | Q(target_repr__icontains=q)
        )
