"""Forward-auth decisions under load: `GET /auth/nginx` for a warm, logged-in session allowed
through a group's access row, against a bare `HttpResponse` view on the same gunicorn, in the
same run, with the same session cookie; and the database queries of one decision, cold and
warm (the goal: none once warm).

    .venv/bin/python bench/bench_forward_auth.py             # SQLite, then PostgreSQL + Redis
    .venv/bin/python bench/bench_forward_auth.py --only sqlite [--duration 10] [--connections 4]

Reuses bench_board_page's harness: a throwaway data folder and database, gunicorn on a free
127.0.0.1 port, `wrk` for the load (a bounded Python loop without it); everything on loopback,
removed at the end. Goal: decisions per second at least half the bare view's.
"""

import argparse
import json
import shutil
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_board_page import (
    free_port,
    load_python,
    load_wrk,
    postgres_database,
    prepare_environment,
    session_cookie,
    start_gunicorn,
    stop_gunicorn,
)

APP_HOST = "grafana.bench.test"
HEADERS = {"X-Original-URL": f"https://{APP_HOST}/d/home"}


def populate() -> dict:
    """A user in 20 groups, one of which has access to the protected app among 50 apps."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)

    from accounts.models import User
    from groups.models import Group, Membership
    from protected_apps.models import ProtectedApp, ProtectedAppAccess

    User.objects.create_user("olivia", "bench-password-1234", is_owner=True)
    user = User.objects.create_user("mia", "bench-password-1234", display_name="Mia")
    groups = Group.objects.bulk_create(Group(name=f"group-{i}", position=10 + i) for i in range(20))
    Membership.objects.bulk_create(Membership(user=user, group=g) for g in groups)
    apps = ProtectedApp.objects.bulk_create(
        ProtectedApp(name=f"App {i}", host=f"app{i}.bench.test") for i in range(49)
    )
    app = ProtectedApp.objects.create(name="Grafana", host=APP_HOST)
    ProtectedAppAccess.objects.bulk_create(
        ProtectedAppAccess(app=a, group=g) for a, g in zip(apps, groups, strict=False)
    )
    ProtectedAppAccess.objects.create(app=app, group=groups[-1])
    return {"user_id": user.pk}


def query_counts(cookie: str) -> dict[str, int]:
    """Queries of one decision in this process: the first (cold), then the next (warm)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"Cookie": cookie, **HEADERS}, REMOTE_ADDR="127.0.0.1")
    counts = {}
    for name in ("cold", "warm"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/auth/nginx")
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = len(queries)
    return counts


def fetch_with(port: int, path: str, cookie: str, headers=None) -> int:
    connection = HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Cookie": cookie, **(headers or {})})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def load(port: int, path: str, cookie: str, args, headers=None) -> dict:
    if shutil.which("wrk"):
        return load_wrk(f"http://127.0.0.1:{port}{path}", cookie, args.duration,
                        args.connections, headers=headers)  # fmt: skip
    return load_python(port, path, cookie, args.duration, args.connections, headers=headers)


def single(args) -> None:
    env = prepare_environment(args)
    if args.postgres:
        postgres_database(create=True)
    server = None
    try:
        ids = populate()
        cookie = session_cookie(ids["user_id"])
        queries = query_counts(cookie)

        from django.db import connections

        connections.close_all()
        port = free_port()
        server = start_gunicorn(port, env)
        pages = {"decision": ("/auth/nginx", HEADERS), "bare": ("/bench/bare/", None)}
        for path, headers in pages.values():
            for _ in range(20):  # warm up: the session's entry and the table of apps cached
                assert fetch_with(port, path, cookie, headers) == 200, path
        results: dict[str, list[dict]] = {name: [] for name in pages}
        for _ in range(args.rounds):
            for name, (path, headers) in pages.items():
                run = load(port, path, cookie, args, headers)
                results[name].append(run)
                print(f"  {name:8} {run['requests_per_second']:8.1f} req/s, "
                      f"median {run['median_ms']:.1f} ms ({run['tool']})")  # fmt: skip
        best = {name: max(r["requests_per_second"] for r in runs) for name, runs in results.items()}
        database = "PostgreSQL" if args.postgres else "SQLite"
        print(json.dumps({
            "database": database + (" + Redis" if args.redis else ""),
            "decisions_rps": round(best["decision"], 1),
            "bare_view_rps": round(best["bare"], 1),
            "ratio": round(best["decision"] / best["bare"], 3),
            "queries_cold": queries["cold"],
            "queries_warm": queries["warm"],
            "non_2xx": sum(r["non_2xx"] for runs in results.values() for r in runs),
            "setup": f"user in 20 groups, 50 protected apps, gunicorn 1 worker x 4 threads, "
                     f"{args.connections} connections, best of {args.rounds} x {args.duration} s",
        }))  # fmt: skip
    finally:
        stop_gunicorn(server)
        if args.postgres:
            from django.db import connections

            connections.close_all()
            postgres_database(create=False)
        shutil.rmtree(env["DATA_DIR"], ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (DATABASE_URL)")
    parser.add_argument("--redis", action="store_true", help="cache in Redis (REDIS_URL)")
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="one database only")
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.single:
        return single(args)
    passes = {"sqlite": [], "postgres": ["--postgres", "--redis"]}
    common = ["--single", "--duration", str(args.duration), "--rounds", str(args.rounds),
              "--connections", str(args.connections)]  # fmt: skip
    summaries = []
    for name in [args.only] if args.only else list(passes):
        print(f"== {name}", flush=True)
        started = time.monotonic()
        output = subprocess.run([sys.executable, __file__, *common, *passes[name]],
                                capture_output=True, text=True, check=False)  # fmt: skip
        lines = output.stdout.strip().splitlines()
        for line in lines[:-1]:
            print(line)
        if output.returncode != 0 or not lines:
            raise SystemExit(f"{name} failed:\n{output.stderr[-3000:]}")
        summaries.append(json.loads(lines[-1]))
        print(f"  ({time.monotonic() - started:.0f} s)")
    print()
    print(f"Forward auth ({summaries[0]['setup']}):")
    print(f"  {'':28}" + "".join(f"{s['database']:>22}" for s in summaries))
    rows = [
        ("/auth/nginx decisions", "decisions_rps", " req/s"),
        ("bare HttpResponse view", "bare_view_rps", " req/s"),
        ("ratio (goal >= 0.5)", "ratio", ""),
        ("queries, first decision", "queries_cold", ""),
        ("queries, warm (goal 0)", "queries_warm", ""),
        ("non-2xx responses", "non_2xx", ""),
    ]
    for label, key, unit in rows:
        print(f"  {label:28}" + "".join(f"{str(s[key]) + unit:>22}" for s in summaries))


if __name__ == "__main__":
    main()
