"""The board page under load: a board of 60 widgets, seen by a user in 20 groups, with 2,000
boards in the database, served by gunicorn; against a bare Django page rendering a 30-card
template in the same run, on the same server, with the same session. The board page is
measured twice: its first view after a change (the cached body dropped before each request)
and the board unchanged since the last view (the body from the cache).

    .venv/bin/python bench/bench_board_page.py            # SQLite, then PostgreSQL + Redis
    .venv/bin/python bench/bench_board_page.py --only sqlite [--duration 10] [--connections 4]

Everything happens on loopback and stops by itself: a throwaway data folder (SQLite, or with
--postgres a throwaway database on DATABASE_URL's server), gunicorn on a free 127.0.0.1 port,
`wrk` for the load (a bounded Python loop when wrk is not installed), then everything is
removed. The closing note gives both throughputs (the best run of each page), their ratio, each
round's own ratios (its runs follow one another: a machine whose speed drifts weighs on them
alike), the board page's query count (and that a 5-widget board costs the same), and the
server's memory after the run: the resident set (RSS) of the gunicorn master and its worker
added up, which counts twice the pages the worker shares with the master it was forked from,
and their proportional set size (PSS), which counts those pages once.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.client import HTTPConnection
from pathlib import Path
from typing import TypedDict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_environment(args) -> dict:
    """Environment for this process and gunicorn: a throwaway data folder and database."""
    data = Path(tempfile.mkdtemp(prefix="homeportal-bench-"))
    env = {
        "DATA_DIR": str(data),
        "STATIC_ROOT": str(data / "static"),
        "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-the-check",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "LOG_LEVEL": "warning",
    }
    if args.postgres:
        base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        name = f"homeportal_bench_{os.getpid()}"
        parts = urllib.parse.urlsplit(base)
        env["DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
        env["BENCH_ADMIN_DATABASE_URL"] = base
        env["BENCH_DATABASE_NAME"] = name
    else:
        env["DATABASE_URL"] = f"sqlite:///{data / 'bench.sqlite3'}"
    if not args.redis:
        os.environ.pop("REDIS_URL", None)  # the SQLite pass keeps its cache in the process
    if args.redis:
        env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
        env["CACHE_KEY_PREFIX"] = f"bench-{os.getpid()}"
    os.environ.update(env)
    return env


def postgres_database(create: bool) -> None:
    import psycopg

    admin = os.environ["BENCH_ADMIN_DATABASE_URL"]
    name = os.environ["BENCH_DATABASE_NAME"]
    with psycopg.connect(admin, autocommit=True) as connection:
        if create:
            connection.execute(f'CREATE DATABASE "{name}"')
        else:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def populate(args) -> dict:
    """The data set: groups, 2,000 boards with ACL rows, the 60-widget board, a 5-widget one."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)

    from accounts.models import User
    from boards.layout import generate_narrow
    from boards.models import Board, BoardAccess, Item, Section
    from groups.models import Group, Membership

    owner = User.objects.create_user("olivia", "bench-password-1234", is_owner=True)
    admins = Group.objects.create(name="admins", permissions=["admin"], position=1)
    Membership.objects.create(user=owner, group=admins)
    groups = Group.objects.bulk_create(
        Group(name=f"group-{n:02}", position=10 + n) for n in range(30)
    )
    user = User.objects.create_user("bench", "bench-password-1234", display_name="Bench")
    Membership.objects.bulk_create(Membership(user=user, group=g) for g in groups[: args.groups])

    Board.objects.bulk_create(
        Board(name=f"board-{n:04}", title=f"Board {n}", owner=owner) for n in range(args.boards)
    )
    boards = list(Board.objects.filter(name__startswith="board-"))
    BoardAccess.objects.bulk_create(
        BoardAccess(
            board=b, group=groups[(n + k * 7) % len(groups)], level=("view", "modify")[k % 2]
        )
        for n, b in enumerate(boards)
        for k in range(3)
    )

    kinds: dict[str, dict] = {  # each kind's options, as its form saves them
        "app": {"name": "Jellyfin", "url": "https://jellyfin.example.org", "icon": "",
                "description": "Films and series", "new_tab": True, "ping": False, "ping_url": ""},
        "bookmarks": {"title": "Reading", "new_tab": False, "links": [
            {"name": "Django", "url": "https://www.djangoproject.com/"},
            {"name": "htmx", "url": "https://htmx.org/"},
            {"name": "Python", "url": "https://www.python.org/"}]},
        "clock": {"title": "Paris", "time_zone": "Europe/Paris", "hour12": "",
                  "show_seconds": False, "show_date": True},
        "notes": {"title": "Notes", "text": "# Backups\n\nThey run **every night** at 3:00; "
                  "see [the runbook](https://wiki.example.org/backups).\n\n- NAS\n- Photos"},
        "iframe": {"title": "Grafana", "url": "https://grafana.example.org/d/abc", "height": 0,
                   "allow_scripts": True, "allow_same_origin": True, "allow_forms": False,
                   "allow_popups": False, "allow_fullscreen": False},
        "search": {"title": "Web", "engine": "https://duckduckgo.com/?q=%s", "placeholder": "",
                   "new_tab": False},
    }  # fmt: skip
    # A note keeps its rendering beside its text, as the notes form saves it (a page renders
    # Markdown only for rows older than that).
    from boards.markdown import render_or_plain

    kinds["notes"]["html"] = render_or_plain(kinds["notes"]["text"])
    # Mostly app links, as on a real dashboard, with every other kind present.
    mix = ["app"] * 6 + ["bookmarks", "clock", "notes", "search", "app", "iframe"]

    def make(name: str, count: int, sections: int) -> Board:
        board = Board.objects.create(name=name, title=name.title(), owner=owner)
        BoardAccess.objects.create(board=board, group=groups[0], level="view")
        per = -(-count // sections)
        made = 0
        for s in range(sections):
            section = Section.objects.create(
                board=board, kind="category" if s % 2 == 0 else "area", title=f"Section {s}",
                position=s,
            )  # fmt: skip
            n_items = min(per, count - made)
            boxes = [(n % 6 * 2, n // 6, 2, 1) for n in range(n_items)]
            chosen = [mix[(made + n) % len(mix)] for n in range(n_items)]
            narrow = generate_narrow(boxes, board.columns)
            Item.objects.bulk_create(
                Item(board=board, section=section, kind=k, options=kinds[k], x=b[0], y=b[1],
                     w=b[2], h=b[3], nx=q[0], ny=q[1], nw=q[2], nh=q[3])
                for k, b, q in zip(chosen, boxes, narrow, strict=True)
            )  # fmt: skip
            made += n_items
        return board

    bench = make("bench", args.widgets, 4)
    make("small", 5, 2)
    # The user's own home board: `/` shows the 60-widget board (bench/cpu_per_request.py).
    from boards.models import UserPreference

    UserPreference.objects.create(user=user, desktop_home_board=bench)
    return {"user_id": user.pk}


def session_cookie(user_id: int) -> str:
    from django.conf import settings
    from django.middleware.csrf import CSRF_ALLOWED_CHARS
    from django.test import Client
    from django.utils.crypto import get_random_string

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(pk=user_id), backend="accounts.backends.CredentialsBackend")
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    # And the CSRF cookie a browser that has seen a page sends back (without it, every page
    # with a form would make a new secret).
    return (f"{settings.SESSION_COOKIE_NAME}={session}; "
            f"{settings.CSRF_COOKIE_NAME}={get_random_string(32, CSRF_ALLOWED_CHARS)}")  # fmt: skip


def query_counts(user_id: int) -> dict[str, int]:
    """Queries per request for the board pages (in-process, warm caches, like the server)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(pk=user_id), backend="accounts.backends.CredentialsBackend")
    counts = {}
    for url in ("/boards/bench/", "/boards/small/", "/bench/first-view/bench/",
                "/bench/first-view/small/"):  # fmt: skip
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[url] = len(queries)
    return counts


def start_gunicorn(port: int, env: dict) -> subprocess.Popen:
    # The deployed settings, but the worker is not replaced after `max_requests` (5,000): at
    # the benchmark's rate that would happen every ten seconds, in most runs of one page and
    # not of another (a fresh worker reconnects and warms its caches), a thousand times as
    # often as on a home server. What is measured is serving, for every page alike.
    server_env = {**os.environ, **env, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1",
                  "GUNICORN_CMD_ARGS": "--max-requests 0"}  # fmt: skip
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "homeportal" / "gunicorn.conf.py"),
         "homeportal.wsgi"],
        cwd=ROOT, env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            assert process.stderr is not None  # a pipe, asked for above
            raise SystemExit("gunicorn stopped: " + process.stderr.read().decode()[-2000:])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start within 30 s")


def stop_gunicorn(server: subprocess.Popen | None) -> None:
    if server is not None and server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def fetch(port: int, path: str, cookie: str, header: str = "Cookie") -> tuple[int, bytes]:
    """GET `path` sending `cookie` as the `header` header (Authorization for the API)."""
    connection = HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={header: cookie})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class ServerMemory(TypedDict):
    master_kib: int
    workers_kib: list[int]
    pss_kib: int


def pss_kib(pid: int) -> int:
    """Proportional set size: shared pages divided among the processes that share them."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def server_memory(master: int) -> ServerMemory:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    workers = [int(pid) for pid in children]
    return {
        "master_kib": rss_kib(master),
        "workers_kib": [rss_kib(pid) for pid in workers],
        "pss_kib": sum(pss_kib(pid) for pid in [master, *workers]),
    }


def load_wrk(url: str, cookie: str, duration: int, connections: int,
             header: str = "Cookie", headers: dict[str, str] | None = None) -> dict:  # fmt: skip
    extra = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency",
         "-H", f"{header}: {cookie}", *extra, url],
        capture_output=True, text=True, timeout=duration + 30, check=True,
    ).stdout  # fmt: skip
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert found is not None, f"wrk printed no rate: {output}"
    rps = float(found.group(1))
    p50 = re.search(r"50%\s+([\d.]+)(\w+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "requests_per_second": rps,
        "median_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else None,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "tool": "wrk",
    }


def load_python(port: int, path: str, cookie: str, duration: int, connections: int,
                header: str = "Cookie", headers: dict[str, str] | None = None) -> dict:  # fmt: skip
    """A bounded keep-alive load loop for machines without wrk."""
    stop = time.monotonic() + duration
    done, bad, latencies, lock = [0], [0], [], threading.Lock()

    def worker():
        connection = HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop:
            start = time.perf_counter()
            connection.request("GET", path, headers={header: cookie, **(headers or {})})
            response = connection.getresponse()
            response.read()
            with lock:
                done[0] += 1
                bad[0] += response.status != 200
                latencies.append((time.perf_counter() - start) * 1000)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    begin = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return {
        "requests_per_second": done[0] / (time.monotonic() - begin),
        "median_ms": latencies[len(latencies) // 2] if latencies else None,
        "non_2xx": bad[0],
        "tool": "python",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each page")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--widgets", type=int, default=60)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--boards", type=int, default=2000)
    parser.add_argument(
        "--postgres", action="store_true", help="PostgreSQL (DATABASE_URL's server)"
    )
    parser.add_argument("--redis", action="store_true", help="cache in Redis (REDIS_URL)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument(
        "--only", choices=["sqlite", "postgres"], help="one database instead of both"
    )
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.single:
        return run_both(args)

    env = prepare_environment(args)
    if args.postgres:
        postgres_database(create=True)
    server = None
    try:
        started = time.monotonic()
        ids = populate(args)
        cookie = session_cookie(ids["user_id"])
        queries = query_counts(ids["user_id"])
        print(f"data ready in {time.monotonic() - started:.1f} s")

        from django.db import connections

        connections.close_all()
        port = free_port()
        server = start_gunicorn(port, env)
        pages = {
            "first": "/bench/first-view/bench/",
            "board": "/boards/bench/",
            "cards": "/bench/cards/",
        }
        for name, path in pages.items():
            for _ in range(20):  # warm up: templates compiled, grants cached
                status, body = fetch(port, path, cookie)
                assert status == 200, (path, status)
            if name in ("board", "first"):
                assert body.count(b'class="board-item') == args.widgets, "not the 60-widget board"
            else:
                assert body.count(b'class="card"') == 30
        results: dict[str, list[dict]] = {name: [] for name in pages}
        for _ in range(args.rounds):
            for name, path in pages.items():
                if shutil.which("wrk"):
                    run = load_wrk(f"http://127.0.0.1:{port}{path}", cookie, args.duration,
                                   args.connections)  # fmt: skip
                else:
                    run = load_python(port, path, cookie, args.duration, args.connections)
                results[name].append(run)
                print(f"  {name:6} {run['requests_per_second']:8.1f} req/s, "
                      f"median {run['median_ms']:.1f} ms ({run['tool']})")  # fmt: skip
        memory = server_memory(server.pid)

        best = {name: max(r["requests_per_second"] for r in runs) for name, runs in results.items()}
        # Each round's own ratios too: its three runs follow one another, so a machine whose
        # speed drifts weighs on them alike (the best runs of two pages may come from rounds
        # of different speeds).
        rps = {name: [r["requests_per_second"] for r in runs] for name, runs in results.items()}
        rounds = [
            (first / cards, board / cards)
            for first, board, cards in zip(rps["first"], rps["board"], rps["cards"], strict=True)
        ]
        non_2xx = sum(r["non_2xx"] for runs in results.values() for r in runs)
        database = "PostgreSQL" if args.postgres else "SQLite"
        summary = {
            "database": database + (" + Redis" if args.redis else ""),
            "first_view_rps": round(best["first"], 1),
            "unchanged_board_rps": round(best["board"], 1),
            "bare_30_card_page_rps": round(best["cards"], 1),
            "ratio_first_view": round(best["first"] / best["cards"], 3),
            "ratio_unchanged": round(best["board"] / best["cards"], 3),
            "round_ratios": [f"{f:.3f} / {b:.3f}" for f, b in rounds],
            "queries_first_view": queries["/bench/first-view/bench/"],
            "queries_unchanged": queries["/boards/bench/"],
            "five_widget_queries_first_view": queries["/bench/first-view/small/"],
            "five_widget_queries_unchanged": queries["/boards/small/"],
            "server_rss_mib": round((memory["master_kib"] + sum(memory["workers_kib"])) / 1024, 1),
            "master_rss_mib": round(memory["master_kib"] / 1024, 1),
            "worker_rss_mib": [round(k / 1024, 1) for k in memory["workers_kib"]],
            "server_pss_mib": round(memory["pss_kib"] / 1024, 1),
            "non_2xx": non_2xx,
            "setup": f"{args.widgets} widgets, user in {args.groups} groups, {args.boards} boards, "
            f"gunicorn 1 worker x 4 threads, {args.connections} connections, "
            f"best of {args.rounds} x {args.duration} s",
        }
        print(json.dumps(summary))
    finally:
        stop_gunicorn(server)
        if args.postgres:
            from django.db import connections

            connections.close_all()
            postgres_database(create=False)
        shutil.rmtree(env["DATA_DIR"], ignore_errors=True)


def run_both(args) -> None:
    """One run of the whole comparison: each database in its own process (Django's settings
    are per process), then one table."""
    passes = {"sqlite": [], "postgres": ["--postgres", "--redis"]}
    chosen = [args.only] if args.only else list(passes)
    common = ["--single", "--duration", str(args.duration), "--rounds", str(args.rounds),
              "--connections", str(args.connections), "--widgets", str(args.widgets),
              "--groups", str(args.groups), "--boards", str(args.boards)]  # fmt: skip
    summaries = []
    for name in chosen:
        print(f"== {name}", flush=True)
        output = subprocess.run(
            [sys.executable, __file__, *common, *passes[name]],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        lines = output.stdout.strip().splitlines()
        for line in lines[:-1]:
            print(line)
        if output.returncode != 0 or not lines:
            raise SystemExit(f"{name} failed:\n{output.stderr[-3000:]}")
        summaries.append(json.loads(lines[-1]))
    print()
    print(f"Board page ({summaries[0]['setup']}):")
    head = f"  {'':26}" + "".join(f"{s['database']:>22}" for s in summaries)
    print(head)
    rows = [
        ("board page, first view", "first_view_rps", " req/s"),
        ("board page, unchanged", "unchanged_board_rps", " req/s"),
        ("bare 30-card page", "bare_30_card_page_rps", " req/s"),
        ("ratio first view (>= 0.5)", "ratio_first_view", ""),
        ("ratio unchanged (>= 1.0)", "ratio_unchanged", ""),
        ("queries first view", "queries_first_view", ""),
        ("queries unchanged", "queries_unchanged", ""),
        ("5-widget board: first", "five_widget_queries_first_view", ""),
        ("5-widget board: unchanged", "five_widget_queries_unchanged", ""),
        ("server RSS (<= 150 MiB)", "server_rss_mib", " MiB"),
        ("  master", "master_rss_mib", " MiB"),
        ("  worker", "worker_rss_mib", " MiB"),
        ("server PSS (shared once)", "server_pss_mib", " MiB"),
        ("non-2xx responses", "non_2xx", ""),
    ]
    for label, key, unit in rows:
        print(f"  {label:26}" + "".join(f"{str(s[key]) + unit:>22}" for s in summaries))
        if key == "ratio_unchanged":
            for n in range(len(summaries[0]["round_ratios"])):
                label = f"  round {n + 1}: first / unch."
                print(f"  {label:26}" + "".join(f"{s['round_ratios'][n]:>22}" for s in summaries))
    if args.json:
        print(json.dumps(summaries))


if __name__ == "__main__":
    main()
