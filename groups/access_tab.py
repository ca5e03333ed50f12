"""The access tab shared by every object with ACL rows (boards, integrations): the form that
adds or changes a row, and the search that finds the user or group to add; the template is
`partials/access_tab.html`.

The picker is a search box whose results are radio buttons: without JavaScript the search is a
GET form that reloads the tab with the matches, with htmx the matches follow the typing; either
way the choice is posted with the level, and the server checks it again. Only active accounts
and existing groups are found, by username, display name or group name (never by email), and
only by those who may change the object's access (the views check it before searching).
"""

from dataclasses import dataclass
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from groups.models import Group
from homeportal.http import Request

MAX_MATCHES = 20
RESULTS_PARTIAL = "partials/access_tab.html#principal-results"


@dataclass(frozen=True)
class Match:
    value: str  # what the form posts: "g:<pk>" or "u:<pk>"
    kind: str  # "group" or "user"
    name: str
    detail: str = ""
    checked: bool = False


def principal_value(principal) -> str:
    return f"g:{principal.pk}" if isinstance(principal, Group) else f"u:{principal.pk}"


def as_match(principal, checked: bool = False) -> Match:
    if isinstance(principal, Group):
        return Match(principal_value(principal), "group", principal.name, checked=checked)
    detail = principal.username if principal.display_name else ""
    return Match(principal_value(principal), "user", principal.get_short_name(), detail, checked)


def find_principal(value: str):
    """The active user or the group a posted "u:<pk>" / "g:<pk>" names, or None."""
    kind, _sep, pk = (value or "").partition(":")
    if not pk.isdigit():
        return None
    if kind == "g":
        return Group.objects.filter(pk=pk).first()
    if kind == "u":
        return User.objects.filter(pk=pk, is_active=True).first()
    return None


class PrincipalSearchForm(forms.Form):
    """The picker's search (GET): part of a username, display name or group name."""

    principal_q = forms.CharField(
        label=_("Find a user or group"), max_length=60, required=False, strip=True
    )

    def query(self) -> str:
        return self.cleaned_data["principal_q"] if self.is_valid() else ""

    def matches(self, chosen=None) -> list[Match]:
        """Groups, then users, matching the query (at most MAX_MATCHES); `chosen` (the
        principal of a form sent back with an error) stays first and ticked."""
        found = [as_match(chosen, checked=True)] if chosen is not None else []
        q = self.query()
        if q:
            groups = Group.objects.filter(name__icontains=q).order_by("is_everyone", "name")
            users = User.objects.filter(
                Q(username__icontains=q) | Q(display_name__icontains=q), is_active=True
            ).order_by("username")
            found += [as_match(g) for g in groups[:MAX_MATCHES]]
            found += [as_match(u) for u in users[:MAX_MATCHES]]
        unique = {m.value: m for m in reversed(found)}  # the ticked one wins
        ordered = [unique[v] for v in dict.fromkeys(m.value for m in found)]
        return ordered[:MAX_MATCHES]


class AccessRowForm(forms.Form):
    """Adds a row, or changes the level of the principal's existing row, on any object whose
    ACL rows are `row_model` (the access tab of boards and integrations)."""

    principal = forms.CharField(label=_("User or group"), max_length=24)
    level = forms.ChoiceField(label=_("Level"))

    def __init__(self, obj, row_model, object_field: str, levels, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.obj, self.row_model, self.object_field = obj, row_model, object_field
        cast(forms.ChoiceField, self.fields["level"]).choices = levels
        self.fields["principal"].error_messages["required"] = _("Choose a user or a group.")

    def clean_principal(self):
        target = find_principal(self.cleaned_data["principal"])
        if target is None:
            raise ValidationError(_("Choose a user or a group."))
        return target

    def chosen(self):
        """The principal posted, when it names one (to keep it ticked after an error)."""
        if not self.is_bound:
            return None
        return find_principal(self.data.get("principal", ""))

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


def picker_context(request: Request, form: AccessRowForm | None) -> dict:
    """What the tab's picker shows: the search typed and its matches."""
    search = PrincipalSearchForm(request.GET)
    chosen = form.chosen() if form is not None else None
    return {"search": search, "matches": search.matches(chosen) if form is not None else []}


def is_search(request: Request) -> bool:
    """An htmx request for the picker's matches alone."""
    return bool(request.htmx) and request.method == "GET" and "principal_q" in request.GET


def search_results(request: Request, form: AccessRowForm | None) -> HttpResponse:
    return render(request, RESULTS_PARTIAL, picker_context(request, form))
