"""A Prometheus widget's PromQL is set or changed only by people with `full` on the
integration: saving, importing and the data endpoint (viewers never send a query). No
Prometheus is needed here: nothing is fetched when a layout is saved."""

import json

import pytest

from boards.models import BoardAccess, Item
from integrations.models import Integration, IntegrationAccess
from tests.boards.factories import add_section, make_board

from .test_widgets import save

pytestmark = pytest.mark.django_db

REFUSED = "only people with full access to the integration may set or change its query"


@pytest.fixture
def prometheus(people):
    return Integration.objects.create(
        name="Metrics", kind="prometheus", url="http://127.0.0.1:9", owner=people.owner
    )


@pytest.fixture
def board(people):
    board = make_board("metrics", people.owner)
    add_section(board)
    BoardAccess.objects.create(board=board, user=people.member, level="modify")
    return board


def stat_item(integration, query="up", item_id=None, title=""):
    options = {"title": title, "integration": integration.pk, "query": query, "unit": "",
               "decimals": 1, "warn": None, "critical": None, "direction": "above"}  # fmt: skip
    return {"id": item_id, "kind": "stat", "options": options, "desktop": [0, 0, 2, 1]}


@pytest.mark.parametrize("level", ["use", "interact"])
def test_a_query_from_someone_without_full_is_refused_and_nothing_is_saved(
    board, prometheus, people, login, level
):
    IntegrationAccess.objects.create(integration=prometheus, user=people.member, level=level)
    answer = save(login(people.member), board, [stat_item(prometheus)])
    assert answer.status_code == 400
    assert REFUSED in answer.content.decode()
    assert not Item.objects.filter(kind="stat").exists()


def test_a_full_user_sets_the_query(board, prometheus, people, login):
    IntegrationAccess.objects.create(integration=prometheus, user=people.member, level="full")
    assert save(login(people.member), board, [stat_item(prometheus)]).status_code == 200
    assert Item.objects.get(kind="stat").options["query"] == "up"


def test_the_owner_of_the_integration_sets_the_query(board, prometheus, people, login):
    assert (
        save(login(people.owner), board, [stat_item(prometheus, "rate(x[5m])")]).status_code == 200
    )
    assert Item.objects.get(kind="stat").options["query"] == "rate(x[5m])"


def test_an_editor_without_full_keeps_the_query_but_cannot_change_it(
    board, prometheus, people, login
):
    item = Item.objects.create(board=board, section=board.sections.first(), kind="stat",
                               x=0, y=0, w=2, h=1, nx=0, ny=0, nw=2, nh=1,
                               options=stat_item(prometheus)["options"])  # fmt: skip
    IntegrationAccess.objects.create(integration=prometheus, user=people.member, level="interact")
    client = login(people.member)
    retitled = stat_item(prometheus, item_id=item.pk, title="Targets up")
    assert save(client, board, [retitled]).status_code == 200
    item.refresh_from_db()
    assert item.options["title"] == "Targets up" and item.options["query"] == "up"
    board.refresh_from_db()
    changed = stat_item(prometheus, 'count({__name__=~".+"})', item_id=item.pk)
    answer = save(client, board, [changed])
    assert answer.status_code == 400 and REFUSED in answer.content.decode()
    item.refresh_from_db()
    assert item.options["query"] == "up"


def test_moving_a_query_to_another_integration_needs_full_there(board, prometheus, people, login):
    other = Integration.objects.create(
        name="Other", kind="prometheus", url="http://127.0.0.1:9", owner=people.owner
    )
    item = Item.objects.create(board=board, section=board.sections.first(), kind="stat",
                               x=0, y=0, w=2, h=1, nx=0, ny=0, nw=2, nh=1,
                               options=stat_item(prometheus)["options"])  # fmt: skip
    IntegrationAccess.objects.create(integration=other, user=people.member, level="use")
    moved = stat_item(other, item_id=item.pk)
    answer = save(login(people.member), board, [moved])
    assert answer.status_code == 400 and REFUSED in answer.content.decode()
    item.refresh_from_db()
    assert item.options["integration"] == prometheus.pk


def test_importing_a_query_needs_full(prometheus, people, login):
    from groups.models import Group, Membership

    creators = Group.objects.create(name="creators", permissions=["board-create"], position=5)
    Membership.objects.create(user=people.member, group=creators)
    IntegrationAccess.objects.create(integration=prometheus, user=people.member, level="use")
    item = stat_item(prometheus)
    del item["id"]
    export = {
        "format": "homeportal-board", "format_version": 1, "name": "imported", "title": "Imp",
        "columns": 12, "narrow_custom": False,
        "sections": [{"kind": "area", "title": "", "items": [item]}],
    }  # fmt: skip
    answer = login(people.member).post("/boards/import/", {"text": json.dumps(export)})
    assert answer.status_code == 400 and REFUSED in answer.content.decode()
    assert not Item.objects.filter(kind="stat").exists()
    IntegrationAccess.objects.filter(user=people.member).update(level="full")
    answer = login(people.member).post("/boards/import/", {"text": json.dumps(export)})
    assert answer.status_code == 302
    assert Item.objects.get(kind="stat").options["query"] == "up"


def test_the_graph_widget_guards_its_query_too(board, prometheus, people, login):
    IntegrationAccess.objects.create(integration=prometheus, user=people.member, level="interact")
    graph = {"id": None, "kind": "graph", "desktop": [0, 0, 3, 2], "options": {
        "title": "", "integration": prometheus.pk, "query": "up", "unit": "", "decimals": 1,
        "range": "1h"}}  # fmt: skip
    answer = save(login(people.member), board, [graph])
    assert answer.status_code == 400 and REFUSED in answer.content.decode()


def test_a_stat_widget_needs_a_query(board, prometheus, people, login):
    answer = save(login(people.owner), board, [stat_item(prometheus, query="  ")])
    assert answer.status_code == 400
    assert not Item.objects.filter(kind="stat").exists()
