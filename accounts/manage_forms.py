"""Forms of Settings → Users. They check input; groups.rules decides who may change what."""

from datetime import timedelta
from typing import cast

from django import forms
from django.contrib.auth.forms import SetPasswordMixin
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import Provider, User
from accounts.usernames import validate_username
from groups import rules
from groups.models import Group
from groups.resolver import grants_for

USERNAME_ATTRS = {"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}


class UserFilterForm(forms.Form):
    """The users list's search and filters (GET)."""

    STATES = [
        ("", _lazy("Active and disabled")),
        ("active", _lazy("Active")),
        ("disabled", _lazy("Disabled")),
    ]

    q = forms.CharField(
        label=_lazy("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _lazy("Username, name or email")}
        ),
    )
    provider = forms.ChoiceField(
        label=_lazy("Provider"),
        required=False,
        choices=[("", _lazy("Any provider")), *Provider.choices],
    )
    group = forms.ChoiceField(label=_lazy("Group"), required=False)
    state = forms.ChoiceField(label=_lazy("State"), required=False, choices=STATES)

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["group"]).choices = [
            ("", _("Any group")),
            ("none", _("In no group")),
            *[(str(g.pk), g.name) for g in groups],
        ]

    def filter(self, users):
        if not self.is_valid():
            return users
        data = self.cleaned_data
        if data["q"]:
            q = data["q"].strip()
            users = users.filter(
                Q(username__icontains=q) | Q(display_name__icontains=q) | Q(email__icontains=q)
            )
        if data["provider"]:
            users = users.filter(provider=data["provider"])
        if data["group"] == "none":
            users = users.filter(memberships__isnull=True)
        elif data["group"]:
            users = users.filter(memberships__group_id=int(data["group"]))
        if data["state"]:
            users = users.filter(is_active=data["state"] == "active")
        return users


def offered_groups(actor) -> list[Group]:
    """The groups `actor` may put users in (for user managers: those whose permissions they
    hold themselves; the rules refuse the others again on the server)."""
    grants = grants_for(actor)
    return [
        g
        for g in Group.objects.regular()
        if rules.placement_refusal(actor, g, grants=grants) is None
    ]


class GroupsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, group: Group) -> str:
        return group.name


class UserCreateForm(SetPasswordMixin, forms.Form):
    SET = "set"
    LINK = "link"

    username = forms.CharField(
        label=_lazy("Username"),
        max_length=32,
        validators=[validate_username],
        widget=forms.TextInput(attrs=USERNAME_ATTRS),
    )
    display_name = forms.CharField(label=_lazy("Display name"), max_length=150, required=False)
    email = forms.EmailField(label=_lazy("Email"), required=False)
    password_mode = forms.ChoiceField(
        label=_lazy("Password"),
        initial=SET,
        widget=forms.RadioSelect,
        choices=[
            (SET, _lazy("Set a password now")),
            (LINK, _lazy("Let them set it on first login, through a one-time link")),
        ],
    )
    password1, password2 = SetPasswordMixin.create_password_fields(
        label1=_lazy("New password"), label2=_lazy("New password again")
    )
    must_change = forms.BooleanField(
        label=_lazy("Must choose a new password at first login"), required=False, initial=True
    )
    groups = GroupsField(label=_lazy("Groups"), queryset=Group.objects.none(), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].required = False
        self.fields["password2"].required = False
        ids = [g.pk for g in offered_groups(actor)]
        cast(GroupsField, self.fields["groups"]).queryset = Group.objects.filter(pk__in=ids)

    def clean_username(self):
        username = self.cleaned_data["username"].lower()
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(_("The username %(name)s is taken.") % {"name": username})
        return username

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("password_mode") == self.SET:
            for name in ("password1", "password2"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, _("Enter the password, or choose the one-time link."))
            self.validate_passwords()
            candidate = User(
                username=cleaned.get("username", ""),
                display_name=cleaned.get("display_name", ""),
                email=cleaned.get("email", ""),
            )
            self.validate_password_for_user(candidate)
        return cleaned

    @property
    def password(self) -> str | None:
        return (
            self.cleaned_data["password1"]
            if self.cleaned_data["password_mode"] == self.SET
            else None
        )


class UserEditForm(forms.Form):
    username = forms.CharField(
        label=_lazy("Username"),
        max_length=32,
        validators=[validate_username],
        widget=forms.TextInput(attrs=USERNAME_ATTRS),
    )
    display_name = forms.CharField(label=_lazy("Display name"), max_length=150, required=False)
    email = forms.EmailField(label=_lazy("Email"), required=False)
    groups = GroupsField(label=_lazy("Groups"), queryset=Group.objects.none(), required=False)

    def __init__(self, *args, user: User, actor, **kwargs):
        self.user = user
        memberships = list(user.memberships.select_related("group"))
        # Memberships a provider manages are shown apart, locked, and kept as they are.
        self.locked = [(m, r) for m in memberships if (r := rules.membership_lock_reason(m))]
        locked_ids = {m.group_id for m, _r in self.locked}
        current = [m.group for m in memberships if m.group_id not in locked_ids]
        kwargs.setdefault(
            "initial",
            {
                "username": user.username,
                "display_name": user.display_name,
                "email": user.email,
                "groups": current,
            },
        )
        super().__init__(*args, **kwargs)
        offered = {g.pk for g in offered_groups(actor)} | {g.pk for g in current}
        cast(GroupsField, self.fields["groups"]).queryset = Group.objects.filter(
            pk__in=offered - locked_ids
        )
        if not user.is_local:
            field = self.fields["username"]
            field.disabled = True
            field.help_text = _("Comes from %(provider)s.") % {
                "provider": user.get_provider_display()
            }

    def clean_username(self):
        username = self.cleaned_data["username"].lower()
        if User.objects.filter(username=username).exclude(pk=self.user.pk).exists():
            raise forms.ValidationError(_("The username %(name)s is taken.") % {"name": username})
        return username

    def wanted_groups(self) -> list[Group]:
        """The groups the user should be in: those ticked, plus the locked ones."""
        return [*self.cleaned_data["groups"], *(m.group for m, _r in self.locked)]


class DeleteUserForm(forms.Form):
    """What happens to the boards and integrations the user owns."""

    KEEP = "keep"
    TRANSFER = "transfer"
    DELETE = "delete"

    owned = forms.ChoiceField(
        label=_lazy("What they own"),
        widget=forms.RadioSelect,
        initial=KEEP,
        choices=[
            (
                KEEP,
                _lazy(
                    "Keep them without an owner: their access rules stay, admins keep full access"
                ),
            ),
            (TRANSFER, _lazy("Give them to another user, who gets full access")),
            (DELETE, _lazy("Delete them")),
        ],
    )
    heir = forms.CharField(
        label=_lazy("New owner's username"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs=USERNAME_ATTRS),
    )
    confirm = forms.BooleanField(label=_lazy("Yes, delete this account for good"))

    def __init__(self, *args, user: User, actor, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.owned_refusal = rules.owned_objects_refusal(actor, grants=grants_for(actor))
        if self.owned_refusal:
            owned = cast(forms.ChoiceField, self.fields["owned"])
            # The field normalised the list above into a list: the first choice is "keep".
            owned.choices = owned.choices[:1]  # type: ignore[index, assignment]
            owned.help_text = self.owned_refusal

    def clean_heir(self):
        name = self.cleaned_data["heir"].strip().lower()
        if not name:
            return None
        heir = User.objects.filter(username=name, is_active=True).exclude(pk=self.user.pk).first()
        if heir is None:
            raise forms.ValidationError(
                _("There is no other active user named %(name)s.") % {"name": name}
            )
        return heir

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if (
            cleaned.get("owned") == self.TRANSFER
            and not cleaned.get("heir")
            and "heir" not in self.errors
        ):
            self.add_error("heir", _("Choose who gets them."))
        return cleaned


class ResetLinkForm(forms.Form):
    LIFETIMES = {
        "1h": timedelta(hours=1),
        "1d": timedelta(days=1),
        "3d": timedelta(days=3),
        "7d": timedelta(days=7),
    }

    lifetime = forms.ChoiceField(
        label=_lazy("Valid for"),
        initial="1d",
        choices=[
            ("1h", _lazy("1 hour")),
            ("1d", _lazy("1 day")),
            ("3d", _lazy("3 days")),
            ("7d", _lazy("7 days")),
        ],
    )

    @property
    def duration(self) -> timedelta:
        return self.LIFETIMES[self.cleaned_data["lifetime"]]


class ActiveForm(forms.Form):
    """Disable (0) or enable (1) an account."""

    active = forms.TypedChoiceField(choices=[("0", "0"), ("1", "1")], coerce=lambda v: v == "1")
