"""Forms for invites (creating one, registering through one) and password-reset links."""

from datetime import timedelta
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.forms import OnboardingForm
from accounts.manage_forms import GroupsField, offered_groups
from accounts.models import User
from groups.models import Group
from groups.permissions import ADMIN, expand

EXPIRY = {
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "never": None,
}


def _group_label(group: Group) -> str:
    if ADMIN in expand(group.permissions):
        return _("%(name)s — makes admins") % {"name": group.name}
    return group.name


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
    confirm_admin = forms.BooleanField(
        label=_lazy("Yes: whoever has this link becomes an admin"),
        required=False,
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        ids = [g.pk for g in offered_groups(actor)]
        groups = cast(GroupsField, self.fields["default_groups"])
        groups.queryset = Group.objects.filter(pk__in=ids)
        groups.label_from_instance = _group_label  # type: ignore[method-assign]  # Django's way to relabel one form's choices

    def clean(self):
        super().clean()
        data = self.cleaned_data
        chosen = data.get("default_groups") or []
        admin_groups = [group for group in chosen if ADMIN in expand(group.permissions)]
        if admin_groups and not data.get("confirm_admin"):
            names = ", ".join(group.name for group in admin_groups)
            self.add_error(
                "confirm_admin",
                _(
                    "Anyone with this link becomes an admin (through %(groups)s). Tick the box to "
                    "confirm that this is what you mean."
                )
                % {"groups": names},
            )
        return data

    @property
    def expires_at(self):
        lifetime = EXPIRY[self.cleaned_data["expiry"]]
        return timezone.now() + lifetime if lifetime else None


class RegisterForm(OnboardingForm):
    """The onboarding form (username, display name, password twice, password policy), for a
    name that must not be taken yet."""

    def clean_username(self):
        username = super().clean_username()
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(_("The username %(name)s is taken.") % {"name": username})
        return username
