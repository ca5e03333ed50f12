"""Impersonation confinement belongs to the view: a page added later without the mark is
closed to an admin acting as another user, whatever its URL."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.sessions_admin.confinement_urls")]
START = "/settings/sessions/impersonate/{}/"


@pytest.fixture
def acting(people, login):
    client = login(people.admin)
    assert client.post(START.format("mia")).status_code == 302
    return client


def test_a_new_view_without_the_mark_is_confined(people, acting, login):
    response = acting.get("/later/new/")
    assert response.status_code == 403
    assert "new page for" not in response.content.decode()
    # Without an impersonation the same page opens.
    assert login(people.admin).get("/later/new/").content == b"new page for adam"


def test_a_new_view_with_the_mark_opens_as_the_impersonated_user(people, acting):
    response = acting.get("/later/marked/")
    assert response.status_code == 200 and response.content == b"marked page for mia"


def test_the_users_boards_and_the_way_back_stay_open(people, acting):
    assert acting.get("/").status_code == 200
    assert acting.get("/boards/").status_code == 200
    assert acting.get("/preferences/").status_code == 200
    assert acting.post("/settings/sessions/impersonation/end/").status_code == 302
