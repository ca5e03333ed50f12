"""The board page costs the same number of queries whatever the board's size, the user's
number of groups, or the number of boards in the database: two for a board unchanged since it
was last shown (the session and the user: the board with the viewer's level and collapsed
categories is kept under the change count read with the session, its body comes from the
cache), four for its first view after a change (the board, then its sections with their items
in one query).

The database holds 200 boards (600 ACL rows), and the first test grows it to 20,000 boards
(60,000 ACL rows) and counts again. A query count does not depend on how long a query takes,
only on whether code runs a query per row: a query per board, group or ACL row shows as
hundreds of extra queries at 200 boards just as at 20,000, and comparing two sizes shows that
nothing grows with them, which one size cannot; the other tests count at 200. What large
tables cost in time is measured by bench/bench_grants.py and bench/bench_board_page.py."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from boards.models import Board, BoardAccess
from tests.boards.factories import fill_board, grant, make_board
from tests.conftest import cache_operations, clear_process_caches, make_group, make_user

MANY_BOARDS = 200
GROWN_BOARDS = 20_000


def page_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def add_boards(owner, groups, start: int, stop: int) -> None:
    """Boards number `start` to `stop`, each shared with 3 of the groups."""
    boards = Board.objects.bulk_create(
        [Board(name=f"board-{n:05}", title=f"Board {n}", owner=owner) for n in range(start, stop)],
        batch_size=2000,
    )
    BoardAccess.objects.bulk_create(
        [BoardAccess(board=board, group=groups[(n + k * 7) % 25], level=("view", "modify")[k % 2])
         for n, board in enumerate(boards, start) for k in range(3)],
        batch_size=6000,
    )  # fmt: skip


@pytest.fixture
def world(db, people):
    """200 boards, each shared with a few of 25 groups; one user in 1 group, one in 20."""
    groups = [make_group(f"group-{n:02}", position=n + 10) for n in range(25)]
    add_boards(people.owner, groups, 0, MANY_BOARDS)
    small = make_board("small", people.owner)
    big = make_board("big", people.owner)
    fill_board(small, 5)
    fill_board(big, 60, sections=4)
    one = make_user("one-group", groups[0])
    twenty = make_user("twenty-groups", *groups[:20])
    for board in (small, big):
        grant(board, "view", group=groups[0])
    return {"one": one, "twenty": twenty, "small": small, "big": big, "groups": groups}


def test_board_page_queries_do_not_grow_with_widgets_groups_or_boards(world, login, people):
    unchanged, first = {}, {}
    for boards in (MANY_BOARDS, GROWN_BOARDS):
        if boards == GROWN_BOARDS:
            add_boards(people.owner, world["groups"], MANY_BOARDS, GROWN_BOARDS)
            assert BoardAccess.objects.count() > 3 * GROWN_BOARDS
        for user_key in ("one", "twenty"):
            client = login(world[user_key])
            for board_key in ("small", "big"):
                url = f"/boards/{board_key}/"
                client.get(url)  # the session's last-seen time
                Board.objects.filter(name=board_key).update(updated=timezone.now())
                first[(boards, user_key, board_key)] = page_queries(client, url)
                unchanged[(boards, user_key, board_key)] = page_queries(client, url)
    assert len(set(unchanged.values())) == 1, unchanged
    assert set(first.values()) == {4}, first  # the board, and its sections with their items
    # Session (with the change counts) and user; the board with the viewer's ACL level and
    # collapsed categories, and the grants, are kept under the counts (homeportal.changes);
    # the board's body comes from the cache.
    assert next(iter(unchanged.values())) == 2, unchanged


def test_first_view_of_a_changed_board_costs_two_more_queries(world, login):
    counts = {}
    for user_key in ("one", "twenty"):
        client = login(world[user_key])
        client.get("/boards/small/")
        client.get("/boards/big/")
        for board_key in ("small", "big"):
            Board.objects.filter(name=board_key).update(updated=timezone.now())
            counts[(user_key, board_key)] = page_queries(client, f"/boards/{board_key}/")
    assert len(set(counts.values())) == 1, counts
    assert next(iter(counts.values())) == 4, counts  # the board; its sections with their items


def test_board_page_queries_with_cold_grants_cache(world, login):

    counts = {}
    for user_key in ("one", "twenty"):
        client = login(world[user_key])
        client.get("/boards/small/")
        for board_key in ("small", "big"):
            # The resolver recomputes (one query), the onboarding flag too (one, once per
            # process), the body is rendered again (one: the sections with their items); the
            # collapsed categories come with the board (no query of their own, cache or not).
            clear_process_caches()
            counts[(user_key, board_key)] = page_queries(client, f"/boards/{board_key}/")
    assert len(set(counts.values())) == 1, counts
    assert next(iter(counts.values())) == 6, counts


def test_unchanged_board_page_asks_the_shared_cache_nothing(world, login):
    """The shared cache is Redis when several servers run: a lookup there is a round trip.
    An unchanged board keeps everything in the process under the change counts read with the
    session (its apps here have no status check, whose lookup is the one a page may make)."""
    client = login(world["twenty"])
    for url in ("/boards/big/", "/"):
        client.get(url)
        with cache_operations() as asked:
            assert client.get(url).status_code == 200
        assert asked == [], url


def test_home_board_and_anonymous_public_board_queries_are_constant(world, login, people):
    from boards.models import UserPreference

    for key in ("small", "big"):
        UserPreference.objects.update_or_create(
            user=world["twenty"], defaults={"desktop_home_board": world[key]}
        )
    counts = []
    client = login(world["twenty"])
    client.get("/")
    for key in ("small", "big"):
        UserPreference.objects.filter(user=world["twenty"]).update(desktop_home_board=world[key])
        client.get("/")  # the board's first view renders its body
        counts.append(page_queries(client, "/"))
    Board.objects.filter(name__in=["small", "big"]).update(is_public=True)
    anonymous = login(None)
    counts_anonymous = [page_queries(anonymous, f"/boards/{k}/") for k in ("small", "big")]
    assert counts[0] == counts[1], counts
    assert counts_anonymous[0] == counts_anonymous[1] <= 4, counts_anonymous


def test_board_list_queries_do_not_grow_with_boards(world, login, people):
    admin = login(people.admin)
    admin.get("/boards/")
    first = page_queries(admin, "/boards/")
    second = page_queries(admin, "/boards/?page=3")  # of 4
    member = login(world["twenty"])
    member.get("/boards/")
    third = page_queries(member, "/boards/?q=Board+1")
    assert first == second == third, (first, second, third)
