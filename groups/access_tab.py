"""The access tab shared by every object with ACL rows (boards, integrations): the form that
adds or changes a row; the template is `partials/access_tab.html`."""

from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from groups.models import Group


class AccessRowForm(forms.Form):
    """Adds a row, or changes the level of the principal's existing row, on any object whose
    ACL rows are `row_model` (the access tab of boards and integrations)."""

    principal = forms.ChoiceField(label=_("User or group"))
    level = forms.ChoiceField(label=_("Level"))

    def __init__(self, obj, row_model, object_field: str, levels, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.obj, self.row_model, self.object_field = obj, row_model, object_field
        cast(forms.ChoiceField, self.fields["level"]).choices = levels
        groups = [(f"g:{g.pk}", g.name) for g in Group.objects.order_by("is_everyone", "name")]
        users = [
            (f"u:{u.pk}", f"{u.username} ({u.display_name})" if u.display_name else u.username)
            for u in User.objects.filter(is_active=True).order_by("username")
        ]
        cast(forms.ChoiceField, self.fields["principal"]).choices = [
            ("", "—"), (_("Groups"), groups), (_("Users"), users),
        ]  # fmt: skip

    def clean_principal(self):
        kind, _sep, pk = self.cleaned_data["principal"].partition(":")
        model = {"g": Group, "u": User}.get(kind)
        target = model._default_manager.filter(pk=pk).first() if model and pk.isdigit() else None
        if target is None:
            raise ValidationError(_("Choose a user or a group."))
        return target

    def save(self):
        principal = self.cleaned_data["principal"]
        key = {"group": principal} if isinstance(principal, Group) else {"user": principal}
        key[self.object_field] = self.obj
        # One row per principal and object (a database constraint): when two requests add the
        # same principal at once, the second updates the row the first created instead of
        # failing. save() runs, so post_save bumps the resolver's version either way.
        return self.row_model.objects.update_or_create(
            **key, defaults={"level": self.cleaned_data["level"]}
        )
