"""What a user's grants cost a request as the database grows: 10, 1,000 and 100,000 boards,
each shared with 3 of 30 groups, and a user in 20 of them.

For each size, one "request" is what the board list and a board page ask of the resolver: the
grants from the cache (global permissions and group ids), the user's level on one board
fetched with its ACL subquery, and the levels of a page of 60 boards (one query). Printed: the
median time of such a request, its queries, and the size in bytes of the cached grants.
Run: `.venv/bin/python bench/bench_grants.py [--repeat N]` (DATABASE_URL for PostgreSQL).
"""

import argparse
import pickle
import statistics
import time

from _setup import setup_django, teardown_django  # type: ignore[import-not-found]  # bench/ is the script's own folder

SIZES = (10, 1_000, 100_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    setup_django()
    try:
        run(args.repeat)
    finally:
        teardown_django()


def run(repeat: int) -> None:
    from django.core.cache import caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from boards.models import Board, BoardAccess
    from groups import resolver
    from groups.models import Group, Membership

    groups = Group.objects.bulk_create(Group(name=f"group-{n:02}") for n in range(30))
    user = User.objects.create_user("bench", "x" * 12)
    Membership.objects.bulk_create(Membership(user=user, group=g) for g in groups[:20])
    backend = type(caches["default"]).__name__
    print(f"database: {connection.vendor}; cache: {backend}; median of {repeat}")
    print(f"{'boards':>8} {'acl rows':>9} {'request ms':>11} {'queries':>8} {'cached bytes':>13}")
    made = 0
    for size in SIZES:
        boards = Board.objects.bulk_create(
            [Board(name=f"b-{n:06}", title=f"Board {n}") for n in range(made, size)],
            batch_size=5000,
        )
        BoardAccess.objects.bulk_create(
            [BoardAccess(board=b, group=groups[(n + k * 7) % 30], level=("view", "modify")[k % 2])
             for n, b in enumerate(boards, start=made) for k in range(3)],
            batch_size=5000,
        )  # fmt: skip
        made = size
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # what autovacuum does for a live database
        name = f"b-{size // 2:06}"
        page_ids = list(Board.objects.order_by("id").values_list("id", flat=True)[:60])
        resolver.bump_version()

        def request(name=name, page_ids=page_ids):
            fresh = User.objects.get(pk=user.pk)  # what the session middleware hands over
            grants = resolver.grants_for(fresh)
            board = grants.annotate("board", Board.objects.all()).get(name=name)
            grants.can("board", board, "view")
            page = [Board(pk=pk) for pk in page_ids]
            grants.prefetch("board", page)
            return [grants.level("board", b) for b in page]

        request()  # the grants reach the cache
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            request()
            times.append(time.perf_counter() - start)
        with CaptureQueriesContext(connection) as queries:
            request()
        grants = resolver.grants_for(User.objects.get(pk=user.pk))
        size_bytes = len(pickle.dumps(grants.as_cached()))
        rows = BoardAccess.objects.count()
        print(f"{size:>8,} {rows:>9,} {statistics.median(times) * 1000:>11.2f} "
              f"{len(queries):>8} {size_bytes:>13}")  # fmt: skip
    print("queries: the user (as the session middleware loads it), the board with the level")
    print("subquery, the levels of the page of boards; the grants come from the cache.")


if __name__ == "__main__":
    main()
