from datetime import timedelta

import pytest
from django.test import Client

from apitokens.models import ApiToken
from boards.models import Board, BoardAccess, Item, Section

_CLIENTS: dict[bool, Client] = {}


class Bearer:
    """Calls with `token` in the Authorization header, through a test client shared by the
    module's tests (a client's first request loads the middleware, the slow part)."""

    def __init__(self, token: str, enforce_csrf_checks: bool = False):
        if enforce_csrf_checks not in _CLIENTS:
            _CLIENTS[enforce_csrf_checks] = Client(enforce_csrf_checks=enforce_csrf_checks)
        self.client = _CLIENTS[enforce_csrf_checks]
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **extra):
        return self.client.get(path, headers=self.headers, **extra)

    def post(self, path: str, data=None, content_type: str = "application/json", **extra):
        return self.client.post(
            path, data, content_type=content_type, headers=self.headers, **extra
        )


def bearer(token: str, **kwargs) -> Bearer:
    return Bearer(token, **kwargs)


@pytest.fixture
def token_for():
    """`token_for(user, *scopes, **options)`: a new token's clear value."""

    def make(user, *scopes, lifetime=timedelta(days=1), survives=False, name=None) -> str:
        count = ApiToken.objects.filter(user=user).count()
        _row, token = ApiToken.create(
            user, name=name or f"token {count}", scopes=scopes, lifetime=lifetime,
            survives=survives,
        )  # fmt: skip
        return token

    return make


@pytest.fixture
def family_board(people) -> Board:
    """The owner's private board `family`: view for the `family` group (the member)."""
    board = Board.objects.create(name="family", title="Family", owner=people.owner)
    section = Section.objects.create(board=board, kind="category", title="Apps")
    Item.objects.create(
        board=board, section=section, kind="clock", w=2, h=1, nw=2,
        options={"title": "Paris", "time_zone": "Europe/Paris", "hour12": "",
                 "show_seconds": False, "show_date": True},
    )  # fmt: skip
    BoardAccess.objects.create(board=board, group=people.family, level="view")
    return board
