"""Forms for invites (creating one, registering through one) and password-reset links."""

from datetime import timedelta

from django import forms
from django.contrib.auth.forms import SetPasswordMixin
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.manage_forms import GroupsField, offered_groups
from accounts.models import User
from accounts.usernames import validate_username
from groups.models import Group

EXPIRY = {
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "never": None,
}


class InviteCreateForm(forms.Form):
    expiry = forms.ChoiceField(
        label=_lazy("Expires"),
        initial="7d",
        choices=[
            ("1h", _lazy("In 1 hour")),
            ("1d", _lazy("In 1 day")),
            ("7d", _lazy("In 7 days")),
            ("30d", _lazy("In 30 days")),
            ("never", _lazy("Never")),
        ],
    )
    max_uses = forms.IntegerField(
        label=_lazy("Maximum uses"),
        min_value=1,
        max_value=10000,
        initial=1,
        required=False,
        help_text=_lazy("Leave empty for no limit."),
    )
    default_groups = GroupsField(
        label=_lazy("Default groups"),
        queryset=Group.objects.none(),
        required=False,
        help_text=_lazy("Everyone who registers with the link joins these groups."),
    )
    note = forms.CharField(
        label=_lazy("Note"),
        max_length=200,
        required=False,
        help_text=_lazy("For you: who it is for. The invitee does not see it."),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        ids = [g.pk for g in offered_groups(actor)]
        self.fields["default_groups"].queryset = Group.objects.filter(pk__in=ids)

    @property
    def expires_at(self):
        lifetime = EXPIRY[self.cleaned_data["expiry"]]
        return timezone.now() + lifetime if lifetime else None


class RegisterForm(SetPasswordMixin, forms.Form):
    username = forms.CharField(
        label=_lazy("Username"),
        max_length=32,
        validators=[validate_username],
        help_text=_lazy("3 to 32 letters, digits, dots, hyphens or underscores."),
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}
        ),
    )
    display_name = forms.CharField(label=_lazy("Display name"), max_length=150, required=False)
    password1, password2 = SetPasswordMixin.create_password_fields(
        label1=_lazy("Password"), label2=_lazy("Password again")
    )

    def clean_username(self):
        username = self.cleaned_data["username"].lower()
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(_("The username %(name)s is taken.") % {"name": username})
        return username

    def clean(self):
        self.validate_passwords()
        candidate = User(
            username=self.cleaned_data.get("username", ""),
            display_name=self.cleaned_data.get("display_name", ""),
        )
        self.validate_password_for_user(candidate)
        return super().clean()


class ResetPasswordForm(SetPasswordMixin, forms.Form):
    password1, password2 = SetPasswordMixin.create_password_fields(
        label1=_lazy("New password"), label2=_lazy("New password again")
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        self.validate_passwords()
        self.validate_password_for_user(self.user)
        return super().clean()
