"""Integration widgets under load: upstream requests per refresh interval for 1, 10 and 50
viewers (goal: 1), and the board page's throughput with 10 integration widgets against the
same board without them (goal: no difference: the page never waits for an upstream).

    .venv/bin/python bench/bench_integrations.py [--interval 2] [--intervals 3] [--duration 5]
    REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python bench/bench_integrations.py

Everything runs on loopback: a small download-client service (tests/integrations/lab_service)
that answers after `--upstream-delay` seconds and counts requests, homeportal under gunicorn
(two processes sharing Redis when REDIS_URL is set, else one process with its local cache) on
a throwaway test database, and viewers polling a widget's data as fast as they can.
"""

import argparse
import os
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interval", type=int, default=2, help="the query's lifetime, seconds")
    parser.add_argument("--intervals", type=int, default=5, help="intervals measured per case")
    parser.add_argument("--rounds", type=int, default=3, help="page measures, best counts")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per page measure")
    parser.add_argument("--upstream-delay", type=float, default=0.3)
    parser.add_argument("--clients", type=int, default=4, help="concurrent page loaders")
    return parser.parse_args()


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.read()


def viewers(urls: list[str], count: int, seconds: float) -> int:
    """`count` viewers polling without pause for `seconds`; answers the number of answers."""
    stop = time.monotonic() + seconds
    done = [0] * count

    def viewer(n: int):
        while time.monotonic() < stop:
            get(urls[n % len(urls)])
            done[n] += 1

    threads = [threading.Thread(target=viewer, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done)


def throughput(url: str, clients: int, seconds: float) -> float:
    answers = viewers([url] * clients, clients, seconds)
    return answers / seconds


def main() -> None:
    args = parse()
    os.environ["LAB_TTL"] = str(args.interval)
    from bench._setup import setup_django, teardown_django

    setup_django()
    try:
        run(args)
    finally:
        teardown_django()


def run(args) -> None:
    from django.conf import settings

    from accounts.models import User
    from boards.models import Item
    from integrations.models import Integration
    from tests.boards.factories import OPTIONS, add_section, make_board
    from tests.integrations.lab_service import lab_kind, lab_service
    from tests.integrations.servers import app_servers

    lab_kind()
    shared = "redis" in settings.CACHES["default"]["BACKEND"].lower()
    processes = 2 if shared else 1
    owner = User.objects.create_user("olivia", "bench-password-long-enough", is_owner=True)
    with lab_service() as (service_url, state):
        state.delay = args.upstream_delay
        integration = Integration.objects.create(name="Lab", kind="lab", url=service_url,
                                                 owner=owner)  # fmt: skip
        plain = make_board("plain", owner, public=True)
        with_widgets = make_board("integrations", owner, public=True)
        for board in (plain, with_widgets):
            section = add_section(board)
            for n in range(20):
                Item.objects.create(board=board, section=section, kind="app", x=(n % 6) * 2,
                                    y=n // 6, w=2, h=1, nx=0, ny=n, nw=4, nh=1,
                                    options=OPTIONS["app"])  # fmt: skip
        section = with_widgets.sections.get()  # the one added above
        items = [
            Item.objects.create(board=with_widgets, section=section, kind="downloads",
                                x=(n % 3) * 4, y=10 + 3 * (n // 3), w=4, h=3, nx=0,
                                ny=30 + 3 * n, nw=4, nh=3,
                                options={"title": f"D{n}", "integration": integration.pk})
            for n in range(10)
        ]  # fmt: skip
        with app_servers(processes, threads=60) as servers:
            data_urls = [f"{s}/boards/integrations/items/{items[0].pk}/data/" for s in servers]
            print(f"homeportal: {processes} gunicorn process(es), cache shared: {shared}; "
                  f"query lifetime {args.interval} s; upstream answers in "
                  f"{args.upstream_delay} s")  # fmt: skip
            print("\n| viewers | widget answers | upstream requests | per refresh interval |")
            print("| ---: | ---: | ---: | ---: |")
            for count in (1, 10, 50):
                time.sleep(args.interval)
                get(data_urls[0])  # a fresh answer: the measure starts with a full lifetime
                before = state.count("/api/torrents")
                answers = viewers(data_urls, count, args.interval * args.intervals)
                upstream = state.count("/api/torrents") - before
                print(f"| {count} | {answers} | {upstream} | {upstream / args.intervals:.2f} |")
            state.delay = 2.0  # a slow upstream: the page must not notice
            pages = {"plain": 0.0, "integrations": 0.0}
            for name in pages:
                for _ in range(5):
                    get(f"{servers[0]}/boards/{name}/")
            for _round in range(args.rounds):  # alternately, the best of each counts
                for name in pages:
                    url = f"{servers[0]}/boards/{name}/"
                    pages[name] = max(pages[name], throughput(url, args.clients, args.duration))
            ratio = pages["integrations"] / pages["plain"]
            print("\n| board page | req/s |\n| --- | ---: |")
            print(f"| 20 app links | {pages['plain']:.1f} |")
            print(f"| 20 app links + 10 integration widgets (upstream answering in 2 s) | "
                  f"{pages['integrations']:.1f} |")  # fmt: skip
            print(f"\nratio with/without: {ratio:.2f}")


if __name__ == "__main__":
    main()
