"""Every registered kind, every widget it feeds and every action it declares, walked with
every persona: the data of a widget on a public board reaches every viewer; an action needs
the viewer's own level on the integration (the ACL matrix of the integrations, per kind).

The integrations point at a closed port: what is checked is who gets through, not the
service's answer (each kind's own tests run its real service)."""

import pytest

from boards.models import Item
from integrations.kinds import all_kinds
from integrations.models import Integration, IntegrationAccess
from sessions_admin.models import AuditEntry
from tests.boards.factories import add_section, make_board
from tests.conftest import PERSONAS, client_for

pytestmark = pytest.mark.django_db

# The integration level of each persona (None: none, though they view the board).
LEVELS = {"owner": "full", "admin": "full", "user_manager": None, "member": "interact",
          "outsider": "use", "anonymous": None}  # fmt: skip
ORDER = ["use", "interact", "full"]
# Well-formed targets, so that an allowed action reaches the kind (else it answers 400).
TARGETS = {"homeassistant": {"toggle": "switch.lab", "run": "scene.lab"}}

CASES = [(kind, widget) for kind in all_kinds() if kind.slug != "lab" for widget in kind.widgets]


@pytest.mark.parametrize(("kind", "widget"), CASES, ids=lambda v: getattr(v, "slug", v))
def test_every_kinds_widget_data_and_actions_by_level(people, kind, widget):
    integration = Integration.objects.create(
        name=f"{kind.name} box", kind=kind.slug, url="http://127.0.0.1:9", owner=people.owner
    )
    for persona, level in LEVELS.items():
        if level is not None and persona not in ("owner", "admin"):
            IntegrationAccess.objects.create(
                integration=integration, user=people.get(persona), level=level
            )
    board = make_board(f"{kind.slug}-{widget}", people.owner, public=True)
    item = Item.objects.create(board=board, section=add_section(board), kind=widget,
                               x=0, y=0, w=3, h=2, nx=0, ny=0, nw=3, nh=2,
                               options={"title": "", "integration": integration.pk})  # fmt: skip
    for persona in PERSONAS:
        client = client_for(people.get(persona))
        data = client.get(f"/boards/{board.name}/items/{item.pk}/data/")
        assert data.status_code == 200, persona
        for action, spec in kind.actions.items():
            AuditEntry.objects.filter(action="integration.action").delete()
            url = f"/boards/{board.name}/items/{item.pk}/actions/{action}/"
            level = LEVELS[persona]
            allowed = level is not None and ORDER.index(level) >= ORDER.index(spec.level)
            target = TARGETS.get(kind.slug, {}).get(action, "a" * 40)
            params = {"id": target} if "id" in spec.params else {}
            response = client.post(url, params, HTTP_HX_REQUEST="true")
            where = f"{persona} {action}"
            if persona == "anonymous":  # sent to the login page (htmx: HX-Redirect)
                assert response.status_code == 302 or response.headers.get("HX-Redirect")
            elif allowed:
                assert response.status_code in (200, 400), where
            else:
                assert response.status_code == 403, where
                assert url not in data.content.decode(), where
            audited = AuditEntry.objects.filter(action="integration.action").exists()
            assert audited == (allowed and response.status_code == 200), where
