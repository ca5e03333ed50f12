"""CPU time per request of the benchmarked pages, in one process through Django's WSGI handler:
steadier than requests per second on a busy machine, and what a profile explains.

    .venv/bin/python bench/cpu_per_request.py                 # the table
    .venv/bin/python bench/cpu_per_request.py --profile board # and a profile of one page
    .venv/bin/python bench/cpu_per_request.py --threads 4     # and the pages under 4 threads
    .venv/bin/python bench/cpu_per_request.py --postgres-redis # PostgreSQL (DATABASE_URL's
                                                               # server) and Redis (REDIS_URL)

Pages: the board page's first view and unchanged board, the start page `/` (the user's home
board is the same board), the bare 30-card page, the API's board call and the bare
HttpResponse (bench_board_page.py's and bench_api.py's data set, on SQLite in a throwaway
folder, or in a throwaway PostgreSQL database with the cache in Redis). Each figure is the
best of 5 batches of 50 requests after 20 to warm up; the pages take turns batch by batch.
Beside the CPU time, the elapsed time per request: with PostgreSQL and Redis it holds the
round trips, during which the process waits.

`--threads N` also runs each page from N threads at once, as a gunicorn worker's threads do,
and prints its requests per second, CPU per request and the process's context switches per
request: under CPython's global lock, every call that lets go of it (a query, a socket, a read
of randomness) hands the lock to a waiting thread and waits to take it back.
"""

import argparse
import cProfile
import io
import pstats
import resource
import shutil
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_api import make_token
from bench.bench_board_page import (
    populate,
    postgres_database,
    prepare_environment,
    session_cookie,
)

PAGES = {
    "first": ("/bench/first-view/bench/", "cookie"),
    "board": ("/boards/bench/", "cookie"),
    "home": ("/", "cookie"),
    "cards": ("/bench/cards/", "cookie"),
    "api": ("/api/v1/boards/bench/", "bearer"),
    "bare": ("/bench/bare/", "bearer"),
}


def environ(path: str, headers: dict[str, str]) -> dict:
    base = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False,
        "wsgi.run_once": False, "wsgi.version": (1, 0),
    }  # fmt: skip
    base.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    return base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=list(PAGES), help="print a profile of this page")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--per-batch", type=int, default=50)
    parser.add_argument("--threads", type=int, help="also run each page from this many threads")
    parser.add_argument(
        "--postgres-redis", action="store_true", help="PostgreSQL and Redis instead of SQLite"
    )
    args = parser.parse_args()
    args.postgres = args.redis = args.postgres_redis
    args.widgets, args.groups, args.boards = 60, 20, 2000
    env = prepare_environment(args)
    if args.postgres:
        postgres_database(create=True)
    try:
        ids = populate(args)
        headers = {
            "cookie": {"Cookie": session_cookie(ids["user_id"])},
            "bearer": {"Authorization": f"Bearer {make_token(ids['user_id'])}"},
        }
        from django.conf import settings
        from django.core.handlers.wsgi import WSGIHandler
        from django.db import connections

        settings.API_RATE_LIMIT = 10**9  # what a token may do is not measured here
        connections.close_all()
        handler = WSGIHandler()

        def call(path: str, kind: str) -> None:
            status: list[str] = []

            def start_response(line: str, _headers: list, _exc_info=None):
                status.append(line)
                return lambda _data: None

            body = handler(environ(path, headers[kind]), start_response)
            b"".join(body)
            if hasattr(body, "close"):
                body.close()
            assert status[0].startswith("200"), (path, status)

        for path, kind in PAGES.values():
            for _ in range(20):
                call(path, kind)
        # The pages take turns, batch by batch, so that a machine whose speed drifts (other
        # work, frequency changes) weighs on each page alike.
        figures = dict.fromkeys(PAGES, float("inf"))
        elapsed = dict.fromkeys(PAGES, float("inf"))
        for _ in range(args.batches):
            for name, (path, kind) in PAGES.items():
                start, began = time.process_time(), time.perf_counter()
                for _ in range(args.per_batch):
                    call(path, kind)
                took = (time.perf_counter() - began) / args.per_batch
                figures[name] = min(figures[name], (time.process_time() - start) / args.per_batch)
                elapsed[name] = min(elapsed[name], took)
        figures = {name: best * 1000 for name, best in figures.items()}
        elapsed = {name: best * 1000 for name, best in elapsed.items()}
        print(f"{'page':8}{'CPU ms':>10}{'elapsed ms':>12}")
        for name, ms in figures.items():
            print(f"{name:8}{ms:10.2f}{elapsed[name]:12.2f}")
        for label, table in (("CPU", figures), ("elapsed", elapsed)):
            print(f"ratio ({label}) first view {table['cards'] / table['first']:.2f}, "
                  f"unchanged {table['cards'] / table['board']:.2f}, "
                  f"api {table['bare'] / table['api']:.2f}")  # fmt: skip
        if args.threads:
            print(f"\nthreads at once: {args.threads:<6} req/s   CPU ms   switches per request")
            for name, (path, kind) in PAGES.items():
                print(f"{name:22}" + threaded(call, path, kind, args.threads, args.per_batch * 4))
        if args.profile:
            path, kind = PAGES[args.profile]
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(200):
                call(path, kind)
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(60)
            stats.sort_stats("tottime").print_stats(30)
    finally:
        if args.postgres:
            from django.db import connections

            connections.close_all()
            postgres_database(create=False)
        shutil.rmtree(env["DATA_DIR"], ignore_errors=True)


def threaded(call, path: str, kind: str, threads: int, each: int) -> str:
    """`each` requests from each of `threads` threads at once: requests per second, CPU and
    context switches (voluntary: waiting for the lock or I/O; forced: the lock's switch
    interval) per request."""

    def work() -> None:
        for _ in range(each):
            call(path, kind)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
    total = each * threads
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000 / total
    voluntary = (after.ru_nvcsw - before.ru_nvcsw) / total
    forced = (after.ru_nivcsw - before.ru_nivcsw) / total
    return f"{total / elapsed:8.0f} {cpu:8.2f}   {voluntary:.1f} + {forced:.1f}"


if __name__ == "__main__":
    main()
