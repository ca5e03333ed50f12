from datetime import timedelta
from typing import cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from apitokens.models import DEFAULT_LIFETIME, ApiToken
from apitokens.scopes import SCOPES, holder_may_choose

NEVER = "never"
LIFETIMES = {
    "7": timedelta(days=7),
    "30": timedelta(days=30),
    "90": DEFAULT_LIFETIME,
    "365": timedelta(days=365),
}


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_lazy("Name"),
        max_length=100,
        help_text=_lazy("What uses it: “phone widget”, “Home Assistant”…"),
    )
    scopes = forms.MultipleChoiceField(
        label=_lazy("Scopes"), widget=forms.CheckboxSelectMultiple, choices=()
    )
    expires = forms.ChoiceField(label=_lazy("Expires"), initial="90", choices=())
    survives = forms.BooleanField(
        label=_lazy("Keep it working after a password change or after the account is disabled"),
        required=False,
        help_text=_lazy(
            "Without this, changing your password or disabling your account ends the token."
        ),
    )

    def __init__(self, *args, user, grants, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        cast(forms.MultipleChoiceField, self.fields["scopes"]).choices = [
            (scope, f"{scope} — {label}")
            for scope, label in SCOPES.items()
            if holder_may_choose(grants, scope)
        ]
        expiries = [
            ("7", _lazy("in 7 days")),
            ("30", _lazy("in 30 days")),
            ("90", _lazy("in 90 days")),
            ("365", _lazy("in a year")),
        ]
        if grants.is_admin:
            expiries.append((NEVER, _lazy("never (admins only)")))
        cast(forms.ChoiceField, self.fields["expires"]).choices = expiries

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if ApiToken.objects.filter(user=self.user, name=name).exists():
            raise forms.ValidationError(_("You have a token with this name already."))
        return name

    @property
    def lifetime(self) -> timedelta | None:
        choice = self.cleaned_data["expires"]
        return None if choice == NEVER else LIFETIMES[choice]


class RevokeForm(forms.Form):
    token = forms.IntegerField(widget=forms.HiddenInput)
