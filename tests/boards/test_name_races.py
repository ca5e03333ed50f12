"""Two people saving the same board name at the same moment: one board has it, and the other
gets its form back saying the name is taken (never a 500). Real concurrency, on PostgreSQL."""

import json

import pytest

from boards.models import Board
from tests.boards.factories import make_board
from tests.racing import clients, postgresql, race  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgresql")]
RACERS = 6
TAKEN = "Board with this URL name already exists."


def check(responses, ok: int, form_back: int = 400):
    """`ok` redirects; every other request got its form back (`form_back`) saying why."""
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(302) == ok and statuses.count(form_back) == len(statuses) - ok, statuses
    for response in responses:
        if response.status_code == form_back:
            assert TAKEN in response.content.decode()


def test_creating_the_same_board_at_once_gets_the_form_back(people):
    data = {"title": "Lab", "name": "lab"}
    responses = race([(c, "/boards/new/", data) for c in clients(people.owner, RACERS)])
    check(responses, ok=1, form_back=200)  # the create page answers its form with 200
    assert Board.objects.filter(name="lab").count() == 1


def test_importing_under_the_same_name_at_once_gets_the_form_back(people):
    document = {"format": "homeportal-board", "format_version": 1, "title": "T",
                "columns": 12, "sections": []}  # fmt: skip
    data = {"text": json.dumps(document), "title": "Lab", "name": "lab"}
    responses = race([(c, "/boards/import/", data) for c in clients(people.owner, RACERS)])
    check(responses, ok=1)
    assert Board.objects.filter(name="lab").count() == 1


def test_renaming_two_boards_to_one_name_at_once_gets_the_form_back(people):
    first, second = make_board("first", people.owner), make_board("second", people.owner)
    posts = [
        (client, f"/boards/{board.name}/general/", {"title": board.title, "name": "same"})
        for board in (first, second)
        for client in clients(people.owner, RACERS // 2)
    ]
    responses = race(posts)
    statuses = sorted(r.status_code for r in responses)
    assert 500 not in statuses and 400 in statuses, statuses
    for response in responses:
        if response.status_code == 400:
            assert TAKEN in response.content.decode()
    assert Board.objects.filter(name="same").count() == 1
    assert Board.objects.filter(name__in=["first", "second"]).count() == 1


def test_adding_the_same_user_to_a_board_at_once_leaves_one_row(people):
    from boards.models import BoardAccess

    board = make_board("lab", people.owner)
    data = {"principal": f"u:{people.member.pk}", "level": "modify"}
    responses = race([(c, "/boards/lab/access/", data) for c in clients(people.owner, RACERS)])
    statuses = [r.status_code for r in responses]
    assert 500 not in statuses and set(statuses) <= {200, 302}, statuses
    row = BoardAccess.objects.get(board=board, user=people.member)
    assert row.level == "modify"


def test_saving_preferences_from_two_tabs_at_once_keeps_one_row(people):
    from boards.models import UserPreference

    board = make_board("lab", people.owner, public=True)
    data = {"color_scheme": "dark", "desktop_home_board": board.pk, "mobile_home_board": ""}
    responses = race([(c, "/preferences/", data) for c in clients(people.member, RACERS)])
    assert [r.status_code for r in responses] == [302] * RACERS
    assert UserPreference.objects.get(user=people.member).desktop_home_board == board
