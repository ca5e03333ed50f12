"""Two user managers saving the same username at the same moment: one account, and the other
gets its form back saying the name is taken (never a 500). Real concurrency, on PostgreSQL."""

import pytest

from accounts.models import User
from tests.racing import clients, postgresql, race  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgresql")]
PASSWORD = "a-long-and-uncommon-passphrase-7"
RACERS = 6


def test_creating_the_same_username_at_once_gets_the_form_back(people):
    data = {"username": "nina", "password_mode": "set", "password1": PASSWORD,
            "password2": PASSWORD, "groups": [people.family.pk]}  # fmt: skip
    posts = [(c, "/settings/users/new/", data) for c in clients(people.admin, RACERS)]
    responses = race(posts)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302] + [400] * (RACERS - 1), statuses
    for response in responses:
        if response.status_code == 400:
            assert "The username nina is taken." in response.content.decode()
    nina = User.objects.get(username="nina")
    assert list(nina.user_groups.all()) == [people.family]


def test_renaming_two_users_to_one_name_at_once_gets_the_form_back(people):
    from tests.conftest import make_user

    first, second = make_user("first1"), make_user("second2")
    posts = [
        (client, f"/settings/users/{user.username}/", {"username": "same", "display_name": ""})
        for user in (first, second)
        for client in clients(people.admin, RACERS // 2)
    ]
    responses = race(posts)
    statuses = sorted(r.status_code for r in responses)
    assert 400 in statuses and 500 not in statuses, statuses
    for response in responses:
        if response.status_code == 400:
            assert "The username same is taken." in response.content.decode()
    assert User.objects.filter(username="same").count() == 1
    assert User.objects.filter(username__in=["first1", "second2"]).count() == 1
