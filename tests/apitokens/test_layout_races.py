"""Several scripts changing one board's layout at the same moment: each change is read and
saved under the board's lock, so none is lost and none undoes another (a whole-layout save
from a stale picture would delete the widgets added meanwhile). Real concurrency, on
PostgreSQL."""

import json

import pytest
from django.test import Client

from boards.models import Item
from tests.racing import postgresql, race  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgresql")]
RACERS = 6
CLOCK = {"title": "", "time_zone": "UTC", "hour12": "", "show_seconds": False, "show_date": False}


class JsonClient:
    """What tests.racing.race posts with: a token's client sending JSON bodies."""

    def __init__(self, token: str):
        self.client = Client(headers={"Authorization": f"Bearer {token}"})

    @property
    def raise_request_exception(self) -> bool:
        return self.client.raise_request_exception

    @raise_request_exception.setter
    def raise_request_exception(self, value: bool) -> None:
        self.client.raise_request_exception = value

    def post(self, path: str, data: dict):
        return self.client.post(path, json.dumps(data), content_type="application/json")


def test_widgets_added_at_once_are_all_kept_in_places_of_their_own(people, family_board, token_for):
    section = family_board.sections.get()
    clients = [JsonClient(token_for(people.owner, "boards:write")) for _ in range(RACERS)]
    body = {"section": section.pk, "kind": "clock", "options": CLOCK}
    responses = race([(client, "/api/v1/boards/family/items/new", body) for client in clients])
    assert sorted(r.status_code for r in responses) == [200] * RACERS, [
        r.content for r in responses
    ]
    items = list(Item.objects.filter(board=family_board))
    assert len(items) == RACERS + 1
    assert len({(i.x, i.y) for i in items}) == RACERS + 1  # no two in one place
    family_board.refresh_from_db()
    assert sorted(r.json()["version"] for r in responses) == list(
        range(family_board.version - RACERS + 1, family_board.version + 1)
    )
