from typing import cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _lazy


class AuditFilterForm(forms.Form):
    """The audit log's filters: words, a person, an action and a date range, all optional."""

    q = forms.CharField(
        label=_lazy("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _lazy("Action, actor or target")}
        ),
    )
    person = forms.CharField(
        label=_lazy("Person"),
        required=False,
        max_length=150,
        help_text=_lazy("Who acted, or whom it was about."),
    )
    action = forms.ChoiceField(label=_lazy("Action"), required=False)
    since = forms.DateField(
        label=_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_lazy("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["action"]).choices = [("", _lazy("Any action"))] + [
            (a, a) for a in actions
        ]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _lazy("The end date is before the start date."))
        return data

    def filter(self, entries):
        if not self.is_valid():
            return entries.none() if self.errors.keys() - {"q"} else entries
        data = self.cleaned_data
        if q := data["q"].strip():
            entries = entries.filter(
                Q(action__icontains=q) | Q(actor_name__icontains=q) | Q(target_repr__icontains=q)
            )
        if person := data["person"].strip():
            entries = entries.filter(
                Q(actor_name__iexact=person)
                | Q(target_type="user", target_repr__iexact=person)
                | Q(details__user__iexact=person)
            )
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["since"]:
            entries = entries.filter(created__date__gte=data["since"])
        if data["until"]:
            entries = entries.filter(created__date__lte=data["until"])
        return entries
