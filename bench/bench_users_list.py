"""Benchmark: the users list (Settings → Users) with 10 and with 10,000 users.

Seeds a throwaway test database (SQLite in memory by default; PostgreSQL when DATABASE_URL
names one, in a separate `test_…` database created and dropped here) with bulk inserts and
the test suite's fast password hasher, then renders the list as the owner through Django's
test client and reports, for each size and page: the number of SQL queries and the render
time (median and 90th percentile of --runs requests, after one warm-up request).

    .venv/bin/python bench/bench_users_list.py [--runs 30] [--json]
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_test_environment,
    teardown_test_environment,
)

SIZES = (10, 10_000)
PAGES = {
    "first page": "/settings/users/",
    "search": "/settings/users/?q=bulk1",
    "group filter": "/settings/users/?group={group}&state=active",
    "page 100": "/settings/users/?page=100",
}


def seed_base():
    from accounts.models import User
    from groups.models import Group, Membership

    admins = Group.objects.create(name="admins", permissions=["admin"], position=1)
    family = Group.objects.create(name="family", permissions=["board-view-all"], position=2)
    kids = Group.objects.create(name="kids", position=3)
    owner = User.objects.create_user("olivia", "bench-password-0123", is_owner=True)
    Membership.objects.create(user=owner, group=admins)
    return owner, [family, kids]


def seed_users(total: int, groups) -> None:
    from accounts.models import User
    from groups.models import Membership

    password = make_password("bench-password-0123")
    start = User.objects.count()
    users = User.objects.bulk_create(
        [
            User(username=f"bulk{i:05d}", password=password, display_name=f"Bulk user {i}",
                 email=f"bulk{i}@example.org", is_active=i % 10 != 0)
            for i in range(start, total)
        ],
        batch_size=2000,
    )  # fmt: skip
    Membership.objects.bulk_create(
        [Membership(user=u, group=groups[i % len(groups)]) for i, u in enumerate(users) if i % 3],
        batch_size=2000,
    )


def measure(client: Client, url: str, runs: int) -> dict:
    client.get(url)  # warm-up: grants cached, templates loaded
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    count = len(queries)  # now: each request empties the connection's query log
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "queries": count,
        "median_ms": round(statistics.median(times), 1),
        "p90_ms": round(times[int(len(times) * 0.9) - 1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed requests per case")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        owner, groups = seed_base()
        client = Client()
        client.force_login(owner, backend="accounts.backends.CredentialsBackend")
        results = []
        for size in SIZES:
            seed_users(size, groups)
            for label, url in PAGES.items():
                url = url.format(group=groups[0].pk)
                results.append({"users": size, "page": label, "url": url,
                                **measure(client, url, args.runs)})  # fmt: skip
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()

    if args.json:
        print(json.dumps({"database": connection.vendor, "results": results}, indent=2))
        return
    print(f"Settings → Users, 50 users a page, {connection.vendor}, {args.runs} runs each")
    print(f"{'users':>6}  {'page':<13} {'queries':>7}  {'median ms':>9}  {'p90 ms':>7}")
    for r in results:
        print(f"{r['users']:>6}  {r['page']:<13} {r['queries']:>7}  {r['median_ms']:>9}  "
              f"{r['p90_ms']:>7}")  # fmt: skip


if __name__ == "__main__":
    main()
