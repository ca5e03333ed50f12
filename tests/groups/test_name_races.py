"""Two admins saving the same group name at the same moment: one group has it, and the other
gets its form back saying the name exists (never a 500). Real concurrency, on PostgreSQL."""

import pytest

from groups.models import Group
from tests.conftest import make_group
from tests.racing import clients, postgresql, race  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgresql")]
RACERS = 6
TAKEN = "A group with this name exists already."


def test_creating_the_same_group_at_once_gets_the_form_back(people):
    posts = [(c, "/settings/groups/new/", {"name": "Media"}) for c in clients(people.admin, RACERS)]
    responses = race(posts)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302] + [400] * (RACERS - 1), statuses
    for response in responses:
        if response.status_code == 400:
            assert TAKEN in response.content.decode()
    assert Group.objects.filter(name__iexact="media").count() == 1


def test_renaming_two_groups_to_one_name_at_once_gets_the_form_back(people):
    first, second = make_group("first"), make_group("second")
    posts = [
        (client, f"/settings/groups/{group.pk}/rename/", {"name": "same"})
        for group in (first, second)
        for client in clients(people.admin, RACERS // 2)
    ]
    responses = race(posts)
    statuses = sorted(r.status_code for r in responses)
    assert 400 in statuses and 500 not in statuses, statuses
    for response in responses:
        if response.status_code == 400:
            assert TAKEN in response.content.decode()
    assert Group.objects.filter(name="same").count() == 1
    assert Group.objects.filter(name__in=["first", "second"]).count() == 1
