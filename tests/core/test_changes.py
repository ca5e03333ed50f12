"""Change counts (homeportal/changes.py): the database raises a count on every write to the
tables it watches, however the write is made (a model's save, `QuerySet.update`, bulk writes,
raw SQL, cascades); the board lookup and the grants kept under a count follow each change on
the next request, and nothing is kept that a transaction could still roll back."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from boards.models import Board, BoardAccess, Item, Section, ServerHomeBoard
from groups.models import Group, Membership
from groups.resolver import _lookup
from homeportal.changes import (
    BOARDS,
    COUNTS,
    GROUPS,
    Kept,
    count_of,
    forget_kept,
    watched_tables,
)
from homeportal.compiled import CompiledQuery
from homeportal.models import ChangeCount
from tests.boards.factories import add_item, add_section, grant, make_board

pytestmark = pytest.mark.django_db

WATCHED = {
    "boards_board": BOARDS,
    "boards_boardaccess": BOARDS,
    "boards_section": BOARDS,
    "boards_collapsedsection": BOARDS,
    "boards_userpreference": BOARDS,
    "boards_serverhomeboard": BOARDS,
    "groups_group": GROUPS,
    "groups_membership": GROUPS,
}


def count(counter: int) -> int:
    row = ChangeCount.objects.filter(pk=counter).first()
    return row.value if row is not None else 0


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def lab(people):
    board = make_board("lab", people.owner, title="Lab")
    grant(board, "view", group=people.family)
    category = add_section(board, "category", "Media", 0)
    add_item(category, "app", name="Jellyfin")
    return board


def test_the_database_watches_the_tables_of_the_kept_lookups():
    assert watched_tables() == WATCHED
    assert set(COUNTS.values()) == {BOARDS, GROUPS}


def _writes(people, lab):
    """(counter, what a write does): each way a watched table's rows change. Deleting a board
    is last: it also clears the groups' home boards that name it (a write to groups, which
    PostgreSQL's statement triggers count even when no group named it)."""
    section = Section.objects.get(board=lab)
    return [
        (BOARDS, lambda: Board.objects.filter(pk=lab.pk).update(title="Renamed")),
        (BOARDS, lambda: make_board("other", people.owner)),
        (BOARDS, lambda: raw("UPDATE boards_board SET is_public = %s", [True])),
        (
            BOARDS,
            lambda: BoardAccess.objects.bulk_create(
                [BoardAccess(board=lab, user=people.outsider, level="view")]
            ),
        ),
        (BOARDS, lambda: raw("UPDATE boards_boardaccess SET level = 'full'")),
        (BOARDS, lambda: BoardAccess.objects.filter(user=people.outsider).delete()),
        (BOARDS, lambda: Section.objects.filter(pk=section.pk).update(title="Films")),
        (
            BOARDS,
            lambda: raw(
                "INSERT INTO boards_collapsedsection (user_id, section_id) VALUES (%s, %s)",
                [people.member.pk, section.pk],
            ),
        ),
        (BOARDS, lambda: raw("DELETE FROM boards_collapsedsection")),
        (
            BOARDS,
            lambda: raw(
                "INSERT INTO boards_userpreference (user_id, desktop_home_board_id) "
                "VALUES (%s, %s)",
                [people.member.pk, lab.pk],
            ),
        ),
        (BOARDS, lambda: raw("UPDATE boards_userpreference SET desktop_home_board_id = NULL")),
        (
            BOARDS,
            lambda: ServerHomeBoard.objects.update_or_create(pk=1, defaults={"desktop_board": lab}),
        ),
        (BOARDS, lambda: raw("DELETE FROM boards_serverhomeboard")),
        (GROUPS, lambda: Group.objects.filter(pk=people.family.pk).update(permissions=["admin"])),
        (
            GROUPS,
            lambda: raw("DELETE FROM groups_membership WHERE user_id = %s", [people.member.pk]),
        ),
        (GROUPS, lambda: Membership.objects.create(user=people.member, group=people.family)),
        (GROUPS, lambda: Group.objects.create(name="guests", position=40)),
    ]


def test_every_write_to_a_watched_table_raises_its_count_and_no_other(people, lab):
    writes = _writes(people, lab)
    for n, (counter, write) in enumerate(writes):
        other = GROUPS if counter == BOARDS else BOARDS
        before, before_other = count(counter), count(other)
        write()
        assert count(counter) > before, n
        assert count(other) == before_other, n
    before = count(BOARDS)
    Board.objects.filter(name="other").delete()
    assert count(BOARDS) > before


def test_a_widget_s_changes_do_not_raise_the_count(lab):
    """Widgets are the body's (boards.render: a new board version); the board lookup does not
    read them, so editing one leaves what is kept under the count in use."""
    before = count(BOARDS)
    Item.objects.filter(board=lab).update(options={"name": "Plex", "url": "https://plex.example"})
    assert count(BOARDS) == before


def test_the_board_lookup_reads_only_tables_that_raise_its_count():
    """The board page keeps its lookup under the BOARDS count (boards.views.board_view): every
    table its SQL names must raise that count, or a change to it would go unseen."""
    from boards.render import with_collapsed

    query = _lookup("board", "name", None, with_collapsed, rows=True)
    plan = query._plan("default", 2, 4, [str, int, int, int])
    tables = set(re.findall(r'(?:FROM|JOIN) "(\w+)"', plan.sql))
    assert tables == {"boards_board", "boards_boardaccess", "boards_section",
                      "boards_collapsedsection"}  # fmt: skip
    assert all(WATCHED[table] == BOARDS for table in tables)


def page(client, name="lab"):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/boards/{name}/")
    return response, len(queries)


def test_the_board_page_follows_every_change_made_behind_the_application_s_back(people, lab, login):
    member = login(people.member)
    page(member)
    response, queries = page(member)
    assert response.status_code == 200 and queries == 2  # session and user: the rest is kept
    edit = 'href="/boards/lab/edit/"'
    assert edit not in response.content.decode()

    raw("UPDATE boards_boardaccess SET level = 'modify' WHERE board_id = %s", [lab.pk])
    response, queries = page(member)
    assert edit in response.content.decode() and queries == 3  # the board read again
    assert page(member)[1] == 2

    category = Section.objects.get(board=lab)
    opening = f'id="section-{category.pk}"'
    assert page(member)[0].content.decode().split(opening)[1].startswith(" open")
    raw("INSERT INTO boards_collapsedsection (user_id, section_id) VALUES (%s, %s)",
        [people.member.pk, category.pk])  # fmt: skip
    assert not page(member)[0].content.decode().split(opening)[1].startswith(" open")

    raw("UPDATE boards_board SET name = 'workshop' WHERE id = %s", [lab.pk])
    assert page(member)[0].status_code == 404
    assert page(member, "workshop")[0].status_code == 200

    raw("DELETE FROM boards_boardaccess WHERE board_id = %s", [lab.pk])
    assert page(member, "workshop")[0].status_code == 404


def test_grants_follow_memberships_and_group_permissions_changed_behind_signals(people, lab, login):
    member = login(people.member)
    private = make_board("private", people.owner)
    assert page(member)[0].status_code == 200
    assert page(member, "private")[0].status_code == 404

    # No signal: the cached grants of old would not have known.
    Group.objects.filter(pk=people.family.pk).update(permissions=["board-view-all"])
    assert page(member, "private")[0].status_code == 200
    response, queries = page(member, "private")
    assert response.status_code == 200 and queries == 2

    raw("DELETE FROM groups_membership WHERE user_id = %s", [people.member.pk])
    assert page(member, "private")[0].status_code == 404
    assert page(member)[0].status_code == 404  # the family's row no longer counts for them
    assert private.pk  # still there: the member lost the right, not the board


def test_the_session_reads_the_counts(people, lab, login):
    member = login(people.member)
    response = member.get("/boards/lab/")
    assert count_of(response.wsgi_request, BOARDS) == count(BOARDS) > 0
    assert count_of(response.wsgi_request, GROUPS) == count(GROUPS) > 0
    anonymous = login(None).get("/login/")
    assert count_of(anonymous.wsgi_request, BOARDS) is None


def test_kept_rows_make_new_objects_each_time_and_cost_no_query(lab):
    query = CompiledQuery(lambda name: Board.objects.filter(name=name))
    first = query.first("lab", count=7)
    with CaptureQueriesContext(connection) as queries:
        again = query.first("lab", count=7)
    assert len(queries) == 0
    assert again is not first and again.pk == first.pk and again.title == first.title
    again.title = "Changed in one request"
    assert query.first("lab", count=7).title == "Lab"  # another request's object is its own
    with CaptureQueriesContext(connection) as queries:
        query.first("lab", count=8)  # another count: read again
        query.first("lab")  # no count: always read
    assert len(queries) == 2


def test_nothing_is_kept_from_inside_a_transaction_that_could_roll_back(lab):
    query = CompiledQuery(lambda name: Board.objects.filter(name=name))
    with pytest.raises(RuntimeError), transaction.atomic():
        Board.objects.filter(pk=lab.pk).update(title="Never committed")
        assert query.first("lab", count=3).title == "Never committed"
        raise RuntimeError("rolled back")
    with CaptureQueriesContext(connection) as queries:
        assert query.first("lab", count=3).title == "Lab"
    assert len(queries) == 1


def test_kept_answers_are_bounded_oldest_first_and_forgotten_together(db):
    kept = Kept(3)
    for n in range(4):
        kept.keep(("key", n), n)
    assert [kept.get(("key", n)) for n in range(4)] == [None, 1, 2, 3]  # the oldest went
    with transaction.atomic():  # the request's own transaction: its reads may roll back
        kept.keep(("key", 9), 9)
    assert kept.get(("key", 9)) is None
    forget_kept()
    assert [kept.get(("key", n)) for n in range(4)] == [None] * 4
