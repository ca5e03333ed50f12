"""The API under load: `GET /api/v1/boards/<name>/` of a 60-widget board, with a Bearer token,
for a user in 20 groups with 2,000 boards in the database, served by gunicorn; against a bare
view answering a fixed `HttpResponse` in the same run, on the same server. Goal: the API
answers at least half as many requests per second, and its query count does not grow with
the board or the data.

    .venv/bin/python bench/bench_api.py            # SQLite, then PostgreSQL + Redis
    .venv/bin/python bench/bench_api.py --only sqlite [--duration 10] [--connections 4]

The data set, the server and the load tools are bench_board_page.py's (same harness).
The rate limit is raised for the run: it is what a token may do, not what the server can.
"""

import argparse
import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_board_page import (
    fetch,
    free_port,
    load_python,
    load_wrk,
    populate,
    postgres_database,
    prepare_environment,
    start_gunicorn,
)

AUTHORIZATION = "Authorization"


def make_token(user_id: int) -> str:
    from accounts.models import User
    from apitokens.models import ApiToken

    _row, token = ApiToken.create(
        User.objects.get(pk=user_id), name="bench", scopes=["boards:read"], lifetime=None
    )
    return token


def query_counts(token: str) -> dict[str, int]:
    """Queries per call (in-process, warm caches, like the server)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", headers={AUTHORIZATION: f"Bearer {token}"})
    counts = {}
    for url in ("/api/v1/boards/bench/", "/api/v1/boards/small/"):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:200])
        counts[url] = len(queries)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each view")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--widgets", type=int, default=60)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--boards", type=int, default=2000)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (DATABASE_URL)")
    parser.add_argument("--redis", action="store_true", help="cache in Redis (REDIS_URL)")
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="one database only")
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.single:
        return run_both(args)

    import os

    os.environ["API_RATE_LIMIT"] = "100000000"
    env = prepare_environment(args)
    env["API_RATE_LIMIT"] = os.environ["API_RATE_LIMIT"]
    if args.postgres:
        postgres_database(create=True)
    server = None
    try:
        ids = populate(args)
        token = make_token(ids["user_id"])
        queries = query_counts(token)
        from django.db import connections

        connections.close_all()
        port = free_port()
        server = start_gunicorn(port, env)
        bearer = f"Bearer {token}"
        views = {"api": "/api/v1/boards/bench/", "bare": "/bench/bare/"}
        for path in views.values():
            for _ in range(20):  # warm up
                status, body = fetch(port, path, bearer, header=AUTHORIZATION)
                assert status == 200, (path, status, body[:200])
        _status, body = fetch(port, views["api"], bearer, header=AUTHORIZATION)
        items = sum(len(section["items"]) for section in json.loads(body)["sections"])
        assert items == args.widgets, f"{items} widgets, not {args.widgets}"
        results: dict[str, list[float]] = {name: [] for name in views}
        for _ in range(args.rounds):
            for name, path in views.items():
                if shutil.which("wrk"):
                    run = load_wrk(
                        f"http://127.0.0.1:{port}{path}",
                        bearer,
                        args.duration,
                        args.connections,
                        header=AUTHORIZATION,
                    )
                else:
                    run = load_python(
                        port, path, bearer, args.duration, args.connections, header=AUTHORIZATION
                    )
                assert run["non_2xx"] == 0, f"{name}: {run['non_2xx']} non-2xx answers"
                results[name].append(run["requests_per_second"])
                print(f"  {name:5} {run['requests_per_second']:8.1f} req/s ({run['tool']})")
        best = {name: max(runs) for name, runs in results.items()}
        summary = {
            "database": ("PostgreSQL + Redis" if args.postgres else "SQLite"),
            "api_board_rps": round(best["api"], 1),
            "bare_httpresponse_rps": round(best["bare"], 1),
            "ratio": round(best["api"] / best["bare"], 3),
            "queries_60_widgets": queries["/api/v1/boards/bench/"],
            "queries_5_widgets": queries["/api/v1/boards/small/"],
            "setup": f"{args.widgets} widgets, user in {args.groups} groups, {args.boards} boards, "
            f"gunicorn 1 worker, {args.connections} connections, "
            f"best of {args.rounds} x {args.duration} s",
        }
        print(json.dumps(summary))
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if args.postgres:
            from django.db import connections

            connections.close_all()
            postgres_database(create=False)
        shutil.rmtree(env["DATA_DIR"], ignore_errors=True)


def run_both(args) -> None:
    passes = {"sqlite": [], "postgres": ["--postgres", "--redis"]}
    chosen = [args.only] if args.only else list(passes)
    common = [
        "--single",
        "--duration",
        str(args.duration),
        "--rounds",
        str(args.rounds),
        "--connections",
        str(args.connections),
        "--widgets",
        str(args.widgets),
        "--groups",
        str(args.groups),
        "--boards",
        str(args.boards),
    ]
    for name in chosen:
        print(f"== {name}", flush=True)
        output = subprocess.run(
            [sys.executable, __file__, *common, *passes[name]],
            capture_output=True,
            text=True,
            check=False,
        )
        print(output.stdout.strip())
        if output.returncode != 0:
            raise SystemExit(f"{name} failed:\n{output.stderr[-3000:]}")


if __name__ == "__main__":
    main()
