"""One form per action on the groups pages. Rules (who may change what) live in groups.rules;
these forms only check that the input makes sense."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import User
from groups.models import Group, validate_group_name
from groups.permissions import PERMISSIONS, expand, implied_by

MAX_EXTERNAL_NAMES = 50


def permission_choices():
    return [(name, name) for name in PERMISSIONS]


class GroupNameField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_lazy("Name"),
            max_length=64,
            validators=[validate_group_name],
            help_text=_lazy("3 to 64 letters, digits, dots, hyphens or underscores."),
            **kwargs,
        )


class GroupCreateForm(forms.Form):
    name = GroupNameField()
    permissions = forms.MultipleChoiceField(
        label=_lazy("Permissions"),
        choices=permission_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_name(self):
        name = self.cleaned_data["name"]
        if Group.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError(_("A group with this name exists already."))
        return name


class GroupRenameForm(forms.Form):
    name = GroupNameField()

    def __init__(self, *args, group: Group, **kwargs):
        self.group = group
        kwargs.setdefault("initial", {"name": group.name})
        super().__init__(*args, **kwargs)

    def clean_name(self):
        name = self.cleaned_data["name"]
        if Group.objects.filter(name__iexact=name).exclude(pk=self.group.pk).exists():
            raise forms.ValidationError(_("A group with this name exists already."))
        return name


class GroupPermissionsForm(forms.Form):
    permissions = forms.MultipleChoiceField(
        label=_lazy("Permissions"),
        choices=permission_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, group: Group, grantable=frozenset(), **kwargs):
        self.group = group
        self.grantable = grantable
        kwargs.setdefault("initial", {"permissions": list(group.permissions)})
        super().__init__(*args, **kwargs)

    def rows(self) -> list[dict]:
        """Each permission with what it implies, what implies it here, and whether the acting
        user may tick it (the template shows the reason when not)."""
        if self.is_bound and self.is_valid():
            chosen = set(self.cleaned_data["permissions"])
        else:
            chosen = set(self.initial.get("permissions", []))
        effective = expand(chosen)
        rows = []
        for name, description in PERMISSIONS.items():
            givers = sorted(p for p in chosen if name in implied_by(p))
            rows.append(
                {
                    "name": name,
                    "description": description,
                    "implies": sorted(implied_by(name)),
                    "checked": name in chosen,
                    "effective": name in effective,
                    "given_by": givers,
                    # Ticking is granting; unticking what the group has is always offered.
                    "locked": name not in self.grantable and name not in self.group.permissions,
                }
            )
        return rows


class ExternalNamesForm(forms.Form):
    external_names = forms.CharField(
        label=_lazy("External group names"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_lazy(
            "One per line: LDAP, OIDC or proxy groups whose members join this group at each "
            "login (compared without regard to case)."
        ),
    )

    def __init__(self, *args, group: Group, **kwargs):
        kwargs.setdefault("initial", {"external_names": "\n".join(group.external_names)})
        super().__init__(*args, **kwargs)

    def clean_external_names(self):
        names = [n.strip() for n in self.cleaned_data["external_names"].splitlines()]
        names = [n for n in names if n]
        if len(names) > MAX_EXTERNAL_NAMES:
            raise forms.ValidationError(
                _("At most %(n)d external names.") % {"n": MAX_EXTERNAL_NAMES}
            )
        if any(len(n) > 256 for n in names):
            raise forms.ValidationError(_("An external name has at most 256 characters."))
        return names


class TwoFactorRequirementForm(forms.Form):
    require_two_factor = forms.BooleanField(
        label=_lazy("Members must use two-factor login"),
        required=False,
        help_text=_lazy(
            "Members who log in with a password are led to set it up at their next page and can "
            "open nothing else until they have. Single sign-on and reverse-proxy users are not "
            "affected: their provider decides their second factor."
        ),
    )

    def __init__(self, *args, group: Group, **kwargs):
        kwargs.setdefault("initial", {"require_two_factor": group.require_two_factor})
        super().__init__(*args, **kwargs)


class AddMemberForm(forms.Form):
    username = forms.CharField(
        label=_lazy("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )

    def clean_username(self):
        username = self.cleaned_data["username"].strip().lower()
        self.user = User.objects.filter(username=username).first()
        if self.user is None:
            raise forms.ValidationError(_("There is no user named %(name)s.") % {"name": username})
        return username


class MemberForm(forms.Form):
    """Names one member, for removal."""

    user = forms.IntegerField(widget=forms.HiddenInput)


class ReorderForm(forms.Form):
    """The complete new order, as the ids of every regular group (sent by the drag script)."""

    order = forms.CharField(widget=forms.MultipleHiddenInput, required=False)

    def clean_order(self):
        raw = self.data.getlist("order") if hasattr(self.data, "getlist") else []
        try:
            ids = [int(v) for v in raw]
        except ValueError:
            raise forms.ValidationError(_("Unknown group.")) from None
        groups = Group.objects.regular().in_bulk(ids)
        if len(groups) != len(ids):
            raise forms.ValidationError(_("Unknown group."))
        return [groups[pk] for pk in ids]


class MoveForm(forms.Form):
    """One step up or down, for the buttons that work without JavaScript."""

    direction = forms.ChoiceField(choices=[("up", _lazy("Up")), ("down", _lazy("Down"))])

    @property
    def offset(self) -> int:
        return -1 if self.cleaned_data["direction"] == "up" else 1
