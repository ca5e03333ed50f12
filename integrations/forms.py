from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from boards import icons
from boards.icon_field import IconField
from integrations.kinds import Context, IntegrationKind, all_kinds
from integrations.kinds.base import SecretField
from integrations.models import Integration, host_of

STORED = _("stored — leave blank to keep")


class IntegrationForm(forms.ModelForm):
    """Name, address, TLS choice and the kind's secrets; the kind's options are a second form.

    Secret fields are never filled from storage: blank keeps a stored secret, "Clear" removes
    it, and changing the address's host requires entering the secrets again (or clearing them),
    so a stored password is never sent to a host it was not given for.
    """

    icon = IconField(
        help_text=_(
            "Search the bundled brand icons and the uploaded ones, or upload one. Empty: found "
            "from the service's kind, name or address; “-” for the kind's own icon."
        ),
    )

    class Meta:
        model = Integration
        fields = ["name", "url", "icon", "verify_tls"]
        widgets = {"url": forms.URLInput(attrs={"placeholder": "http://192.168.1.10:9091"})}

    def __init__(self, kind: IntegrationKind, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.stored = self.instance.stored_secret_names() if self.instance.pk else set()
        self.secret_fields: dict[str, SecretField] = {}
        for group in kind.secret_sets:
            for spec in group:
                if spec.name in self.secret_fields:
                    continue
                attrs = {"autocomplete": "off"}
                if spec.name in self.stored:
                    attrs["placeholder"] = str(STORED)
                widget = (
                    forms.TextInput(attrs=attrs)
                    if spec.plain
                    else forms.PasswordInput(attrs=attrs, render_value=False)
                )
                self.fields[f"secret_{spec.name}"] = forms.CharField(
                    label=spec.label, required=False, strip=spec.plain, max_length=4096,
                    widget=widget,
                )  # fmt: skip
                if spec.name in self.stored:
                    self.fields[f"clear_{spec.name}"] = forms.BooleanField(
                        label=_("Clear the stored %(label)s") % {"label": spec.label},
                        required=False,
                    )
                self.secret_fields[spec.name] = spec
        if kind.secrets_help:
            first = next(iter(self.secret_fields), None)
            if first:
                self.fields[f"secret_{first}"].help_text = kind.secrets_help
        self.secret_changes: dict[str, str | None] = {}

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise ValidationError(_("Give an http:// or https:// address."))
        return url.rstrip("/")

    def clean(self):
        super().clean()
        data = self.cleaned_data
        changes: dict[str, str | None] = {}
        for name in self.secret_fields:
            value = data.get(f"secret_{name}") or ""
            if value:
                changes[name] = value
            elif data.get(f"clear_{name}"):
                changes[name] = ""
            else:
                changes[name] = None
        moved = (
            self.instance.pk
            and data.get("url")
            and host_of(data["url"]) != host_of(self.initial.get("url", ""))
        )
        if moved:
            for name, value in changes.items():
                if value is None and name in self.stored:
                    self.add_error(
                        f"secret_{name}",
                        _("The address's host changed: enter this again, or clear it."),
                    )
        final = {n for n, v in changes.items() if v or (v is None and n in self.stored)}
        sets = [{f.name for f in group} for group in self.kind.secret_sets]
        if sets and final not in sets:
            words = [
                " + ".join(str(f.label) for f in group) if group else str(_("nothing"))
                for group in self.kind.secret_sets
            ]
            raise ValidationError(
                _("%(kind)s needs one of: %(sets)s.")
                % {"kind": self.kind.name, "sets": "; ".join(words)}
            )
        self.secret_changes = changes
        return data

    def context(self, options: dict) -> Context:
        """The connection these (unsaved) values describe, for a test before saving."""
        secrets = self.instance.secret_values() if self.instance.pk else {}
        for name, value in self.secret_changes.items():
            if value is not None:
                secrets[name] = value
        return Context(
            url=self.cleaned_data["url"], secrets={k: v for k, v in secrets.items() if v},
            options=options, integration_id=self.instance.pk,
            verify_tls=self.cleaned_data["verify_tls"], timeout=10.0,
        )  # fmt: skip

    def save_with(self, options: dict, owner=None) -> tuple[Integration, list[str]]:
        """Saves; answers the integration and the names of what changed (never values)."""
        integration = self.instance
        changed = [f for f in self.changed_data if not f.startswith(("secret_", "clear_"))]
        if integration.pk is None:
            integration.kind = self.kind.slug
            integration.owner = owner
            if not integration.icon:
                integration.icon = suggested_icon(self.kind, integration.name, integration.url)
        if options != (integration.options or {}):
            changed.append("options")
        integration.options = options
        integration.save()
        secrets = {n: v for n, v in self.secret_changes.items() if v is not None}
        integration.set_secrets(secrets)  # bumps the version: old cached data is not served
        changed += [f"secret {n}" for n in secrets]
        return integration, changed


def suggested_icon(kind: IntegrationKind, name: str, url: str) -> str:
    """The bundled icon of the service: from the integration's name or address ("Jellyfin",
    jellyfin.lan), else the kind's ("Transmission"); "" when none matches exactly."""
    return icons.match(name, url) or icons.match(kind.name) or icons.match(kind.slug)


class KindOptionsForm(forms.Form):
    """Empty options form for kinds that have none."""


def options_form(kind: IntegrationKind, data=None, options: dict | None = None) -> forms.Form:
    form_class = kind.options_form or KindOptionsForm
    return form_class(data=data, initial=options or None, prefix="opt")


class KindChoiceForm(forms.Form):
    kind = forms.ChoiceField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            (k.slug, k.name) for k in all_kinds()
        ]


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
