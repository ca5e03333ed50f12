"""The *entities* widget: chosen Home Assistant entities with their state, grouped by area.

Its options name the entities (one id per line); the query asks for exactly those. Switches,
lights and input booleans get a toggle and scripts and scenes a run button, for viewers with
`interact` on the integration (integrations.kinds.homeassistant).
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from boards.widgets.integration import IntegrationWidgetForm, integration_widget

ENTITY_ID = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")
MAX_ENTITIES = 60


class EntitiesForm(IntegrationWidgetForm):
    entities = forms.CharField(
        label=_("Entities"),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        max_length=8000,
        help_text=_(
            "Entity ids, one a line (light.kitchen, sensor.living_room_temperature), as "
            "Home Assistant shows them under Settings → Entities."
        ),
    )

    @classmethod
    def data_from_options(cls, options: dict) -> dict:
        data = super().data_from_options(options)
        if isinstance(options.get("entities"), list):
            data[f"{cls.prefix}-entities"] = "\n".join(str(e) for e in options["entities"])
        return data

    @classmethod
    def initial_from_options(cls, options: dict) -> dict:
        initial = dict(options)
        if isinstance(initial.get("entities"), list):
            initial["entities"] = "\n".join(str(e) for e in initial["entities"])
        return initial

    def clean_entities(self) -> list[str]:
        ids: list[str] = []
        bad: list[str] = []
        for word in re.split(r"[\s,]+", self.cleaned_data["entities"]):
            word = word.strip().lower()
            if not word:
                continue
            if not ENTITY_ID.match(word) or len(word) > 255:
                bad.append(word[:60])
            elif word not in ids:
                ids.append(word)
        if bad:
            raise ValidationError(
                _("Not entity ids: %(ids)s (they look like light.kitchen).")
                % {"ids": ", ".join(bad[:5])}
            )
        if not ids:
            raise ValidationError(_("Name at least one entity."))
        if len(ids) > MAX_ENTITIES:
            raise ValidationError(_("At most %(n)s entities.") % {"n": MAX_ENTITIES})
        return ids


def entities_params(options: dict) -> dict:
    raw = options.get("entities")
    ids = [str(e) for e in raw if isinstance(e, str)] if isinstance(raw, list) else []
    return {"entities": ids[:MAX_ENTITIES]}


ENTITIES = integration_widget(
    "entities",
    _("Entities"),
    _("Home Assistant entities by area: states, switches and scenes."),
    "boards/widgets/entities.html",
    (3, 3),
    (2, 2),
    form_class=EntitiesForm,
    params=entities_params,
)
