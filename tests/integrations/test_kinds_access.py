"""The integration ACL for every registered kind's widgets and actions: the viewer's own level
on the integration decides, whatever the kind. The integrations point at a closed port, so an
action that is allowed runs, fails upstream and sends the viewer back to the board (302)."""

from __future__ import annotations

import pytest

from integrations.kinds import all_kinds
from tests.conftest import client_for
from tests.integrations.placed import place

pytestmark = pytest.mark.django_db

CLOSED = "http://127.0.0.1:9"
KINDS = [kind for kind in all_kinds() if kind.slug != "lab"]  # the test-only kind


def placed_kind(people, kind):
    widget = next(iter(kind.widgets))
    return place(people, kind.slug, CLOSED, widget, {})


def test_every_kind_feeds_a_widget():
    assert {kind.slug for kind in KINDS} >= {"aria2", "nzbget", "calendar", "jsonapi"}
    assert all(kind.widgets for kind in KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.slug)
def test_every_viewer_of_the_board_reads_the_widget_and_nobody_else(people, kind):
    placed = placed_kind(people, kind)
    for viewer in (people.owner, people.admin, people.member, people.outsider):
        assert client_for(viewer).get(placed.data_url()).status_code == 200
    assert client_for(people.user_manager).get(placed.data_url()).status_code == 404
    assert client_for(None).get(placed.data_url()).status_code == 302


@pytest.mark.parametrize("kind", [k for k in KINDS if k.actions], ids=lambda k: k.slug)
def test_every_action_needs_the_viewers_own_level(people, kind):
    placed = placed_kind(people, kind)
    expected = {
        "owner": 302,  # full, as the owner; the action ran and failed upstream
        "admin": 302,
        "member": 302,  # an interact row
        "outsider": 403,  # a use row: sees the widget, may not act
        "user_manager": 404,  # cannot view the board
    }
    for action, spec in kind.actions.items():
        assert spec.level == "interact"
        data = {"id": "1"} if spec.params else {}
        for persona, status in expected.items():
            answer = client_for(getattr(people, persona)).post(placed.action_url(action), data)
            allowed = (status, 400) if status == 302 else (status,)  # 400: not an id it takes
            assert answer.status_code in allowed, (action, persona, answer.status_code)
        assert client_for(None).post(placed.action_url(action), data).status_code == 302


@pytest.mark.parametrize("kind", [k for k in KINDS if not k.actions], ids=lambda k: k.slug)
def test_a_kind_without_actions_answers_404_to_any(people, kind):
    placed = placed_kind(people, kind)
    for action in ("pause", "pause_all", "refresh"):
        answer = client_for(people.owner).post(placed.action_url(action), {"id": "1"})
        assert answer.status_code == 404
