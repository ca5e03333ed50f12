"""The cost of resolving a user's grants for 1, 50 and 500 groups.

For each size: a user in N groups, one ACL row per group on its own board (so 500 groups also
means 500 rows), then
  - `compute`: grants read from the database (what a request pays after any permission change),
  - `cached`: grants read from the cache on a new request (what every other request pays),
with the number of database queries each costs. Run: `make bench` or
`.venv/bin/python bench/bench_resolver.py [--repeat N]`.
"""

import argparse
import statistics
import time

from _setup import setup_django, teardown_django  # type: ignore[import-not-found]  # bench/ is the script's own folder


def measure(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


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

    cache_name = type(caches["default"]).__name__
    print(f"database: {connection.vendor}; cache: {cache_name}; median of {repeat} runs")
    columns = ("groups", "acl rows", "compute ms", "queries", "cached ms", "queries")
    print(" ".join(f"{c:>{w}}" for c, w in zip(columns, (6, 8, 11, 7, 10, 7), strict=True)))
    for size in (1, 50, 500):
        user = User.objects.create_user(f"bench{size}", "x" * 12)
        groups = Group.objects.bulk_create(
            Group(name=f"g{size}-{i}", permissions=["board-create"] if i % 7 == 0 else [])
            for i in range(size)
        )
        Membership.objects.bulk_create(Membership(user=user, group=g) for g in groups)
        boards = Board.objects.bulk_create(
            Board(name=f"b{size}-{i}", title=f"B{i}") for i in range(size)
        )
        BoardAccess.objects.bulk_create(
            BoardAccess(board=b, group=g, level="view") for b, g in zip(boards, groups, strict=True)
        )
        with CaptureQueriesContext(connection) as computed:
            resolver.compute(user)
        compute_ms = measure(lambda u=user: resolver.compute(u), repeat)

        resolver.grants_for(User.objects.get(pk=user.pk))  # fills the cache
        fresh_users = [User.objects.get(pk=user.pk) for _ in range(repeat)]
        iterator = iter(fresh_users)
        with CaptureQueriesContext(connection) as cached:
            resolver.grants_for(User.objects.get(pk=user.pk))
        cached_ms = measure(lambda it=iterator: resolver.grants_for(next(it)), repeat)
        print(
            f"{size:>6} {size:>8} {compute_ms:>11.3f} {len(computed):>7} "
            f"{cached_ms:>10.3f} {len(cached) - 1:>7}"
        )


if __name__ == "__main__":
    main()
