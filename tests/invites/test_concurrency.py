"""Redemption is atomic: simultaneous registrations never exceed an invite's maximum.

This needs PostgreSQL: SQLite serialises every write transaction (IMMEDIATE mode), so two
redemptions can never overlap there and the test would prove nothing. CI runs the suite a
second time with DATABASE_URL pointing at PostgreSQL.
"""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from accounts.models import User
from groups.models import Membership
from invites.models import Invite, InviteRedemption
from tests.racing import race as race_posts

# Transactional: a flush empties the tables; `Group.objects.everyone()` makes that row again.
pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-and-uncommon-passphrase-7"
RACERS = 8


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (set DATABASE_URL=postgres://…): SQLite serialises every write "
            "transaction, so concurrent redemptions cannot overlap there"
        )


def race(path: str) -> list[int]:
    """RACERS clients post a registration at the same moment, each on its own connection."""
    barrier = threading.Barrier(RACERS)
    statuses: list[int] = [0] * RACERS

    def register(i: int) -> None:
        try:
            client = Client()
            data = {"username": f"racer{i}", "password1": PASSWORD, "password2": PASSWORD}
            barrier.wait(timeout=30)
            statuses[i] = client.post(path, data).status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_concurrent_redemptions_of_a_one_use_invite_create_exactly_one_account(postgresql, people):
    invite, token = Invite.create(creator=people.owner, groups=[people.family])
    statuses = race(f"/invite/{token}/")
    assert sorted(statuses) == [302] + [404] * (RACERS - 1), statuses
    racers = User.objects.filter(username__startswith="racer")
    assert racers.count() == 1
    assert Membership.objects.filter(user__in=racers, group=people.family).count() == 1
    invite.refresh_from_db()
    assert invite.uses == 1 and InviteRedemption.objects.count() == 1


def test_concurrent_redemptions_never_exceed_the_maximum(postgresql, people):
    invite, token = Invite.create(creator=people.owner, max_uses=3)
    statuses = race(f"/invite/{token}/")
    assert statuses.count(302) == 3 and statuses.count(404) == RACERS - 3, statuses
    assert User.objects.filter(username__startswith="racer").count() == 3
    invite.refresh_from_db()
    assert invite.uses == 3


def test_the_same_username_racing_on_a_multi_use_invite_gets_the_form_back(postgresql, people):
    invite, token = Invite.create(creator=people.owner, max_uses=RACERS, groups=[people.family])
    data = {"username": "samename", "password1": PASSWORD, "password2": PASSWORD}
    responses = race_posts([(Client(), f"/invite/{token}/", data) for _ in range(RACERS)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302] + [400] * (RACERS - 1), statuses
    for response in responses:
        if response.status_code == 400:
            assert "The username samename is taken." in response.content.decode()
    user = User.objects.get(username="samename")
    assert list(user.user_groups.all()) == [people.family]
    invite.refresh_from_db()
    assert invite.uses == 1 and InviteRedemption.objects.count() == 1
