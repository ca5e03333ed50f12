"""Every view states its methods: a method it does not take answers 405, whoever asks."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/settings/users/new/",
        "/settings/users/mia/",
        "/settings/invites/new/",
        "/settings/groups/new/",
    ],
)
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_views_refuse_methods_they_do_not_take(people, login, url, method):
    response = getattr(login(people.owner), method)(url)
    assert response.status_code == 405


def test_enabling_or_disabling_without_saying_which_is_a_400(people, login):
    response = login(people.admin).post("/settings/users/mia/active/", {"active": "maybe"})
    assert response.status_code == 400
    people.member.refresh_from_db()
    assert people.member.is_active
