"""Server memory and time per login while 32 clients log in at once, with Django's default
argon2 parameters (100 MiB, 2 passes, 8 lanes, no bound on concurrent hashes) against
homeportal's (OWASP's 19 MiB, 2 passes, 1 lane, at most AUTH_ARGON2_CONCURRENCY hashes at once
per process), in the same run on the same machine.

    .venv/bin/python bench/bench_login_memory.py [--clients 32] [--logins 4] [--workers 1]

For each setting: a throwaway data folder (SQLite) with 8 users whose passwords were hashed with
that setting, gunicorn on a free 127.0.0.1 port (the project's gunicorn.conf.py, 4 threads a
worker), warmed up; then the server's resident memory (master and workers, sampled every 10 ms)
at idle and at its peak while `--clients` clients each log in `--logins` times at once: right
and wrong passwords, known and unknown users. Then the time of one login alone (median of 10),
and the cost of one hash alone in this process. Throttling limits are raised for the run (all
clients share one address). Everything stops and is removed by itself.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
PASSWORD = "bench-password-0123456789"
USERS = [f"user{n}" for n in range(8)]
SETTINGS = {
    "Django defaults": {
        "AUTH_ARGON2_MEMORY_KIB": "102400", "AUTH_ARGON2_TIME_COST": "2",
        "AUTH_ARGON2_PARALLELISM": "8", "AUTH_ARGON2_CONCURRENCY": "64",
    },
    "homeportal": {},  # the defaults: 19456 KiB, 2 passes, 1 lane, about 40 MiB of hashes at once
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(data: Path, variables: dict) -> dict:
    return {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AUTH_", "DATABASE_", "REDIS_", "WEB_"))
        },
        "DATA_DIR": str(data),
        "STATIC_ROOT": str(data / "static"),
        "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-the-check",
        "DJANGO_SETTINGS_MODULE": "homeportal.settings",
        "DATABASE_URL": f"sqlite:///{data / 'bench.sqlite3'}",
        "LOG_LEVEL": "warning",
        "AUTH_THROTTLE_ACCOUNT_ATTEMPTS": "100000",
        "AUTH_THROTTLE_IP_ATTEMPTS": "100000",
        "AUTH_THROTTLE_ACCOUNT_CEILING": "100000",
        **variables,
    }


def populate() -> None:
    """Runs in a child process with the setting's environment: schema, static files, users."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    from accounts.models import User

    User.objects.create_user("olivia", PASSWORD, is_owner=True)
    for name in USERS:
        User.objects.create_user(name, PASSWORD)


def hash_cost_ms() -> float:
    """One hash with this process's setting, median of 7, in milliseconds."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password

    times = []
    for _ in range(7):
        start = time.perf_counter()
        make_password(PASSWORD)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def start_gunicorn(port: int, env: dict, workers: int) -> subprocess.Popen:
    server_env = {**env, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
    if workers > 1 and "REDIS_URL" not in server_env:
        raise SystemExit("--workers > 1 needs REDIS_URL (gunicorn.conf.py refuses otherwise)")
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


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def server_rss_kib(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return rss_kib(master) + sum(rss_kib(int(pid)) for pid in children)


def log_in(port: int, username: str, password: str) -> tuple[int, float]:
    """GET the form (CSRF cookie and token), POST it; the status and the POST's time in ms."""
    connection = HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", "/accounts/login/")
    response = connection.getresponse()
    page = response.read().decode()
    cookie_match = re.search(r"homeportal_csrf=([^;]+)", response.getheader("Set-Cookie", ""))
    token_match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert cookie_match and token_match, "the login page sent no CSRF cookie or token"
    cookie, token = cookie_match.group(1), token_match.group(1)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": password}
    )
    start = time.perf_counter()
    connection.request("POST", "/accounts/login/", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"homeportal_csrf={cookie}",
    })  # fmt: skip
    response = connection.getresponse()
    response.read()
    elapsed = (time.perf_counter() - start) * 1000
    connection.close()
    return response.status, elapsed


def attempt(n: int) -> tuple[str, str]:
    """Right and wrong passwords, known and unknown users, in equal parts."""
    user = USERS[n % len(USERS)]
    return [
        (user, PASSWORD),
        (user, "a-wrong-password-1234"),
        (f"nobody{n}", "a-wrong-password-1234"),
        (user, PASSWORD),
    ][n % 4]


def measure(name: str, variables: dict, args) -> dict:
    data = Path(tempfile.mkdtemp(prefix="homeportal-bench-"))
    env = environment(data, variables)
    if args.redis:
        env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
        env["CACHE_KEY_PREFIX"] = f"bench-login-{os.getpid()}-{len(name)}"
    server = None
    try:
        subprocess.run([sys.executable, __file__, "--populate"], env=env, check=True, cwd=ROOT)
        cost = subprocess.run(
            [sys.executable, __file__, "--hash-cost"], env=env, check=True, cwd=ROOT,
            capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        port = free_port()
        server = start_gunicorn(port, env, args.workers)
        for n in range(8):  # warm up: code imported, templates compiled, connections open
            log_in(port, *attempt(n))
        time.sleep(2)
        idle = server_rss_kib(server.pid)

        peak, sampling = [idle], [True]

        def sample() -> None:
            while sampling[0]:
                peak[0] = max(peak[0], server_rss_kib(server.pid))
                time.sleep(0.01)

        statuses: list[int] = []
        times: list[float] = []
        lock = threading.Lock()
        barrier = threading.Barrier(args.clients)

        def client(c: int) -> None:
            barrier.wait()
            for k in range(args.logins):
                status, elapsed = log_in(port, *attempt(c * args.logins + k))
                with lock:
                    statuses.append(status)
                    times.append(elapsed)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.monotonic()
        clients = [threading.Thread(target=client, args=(c,)) for c in range(args.clients)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        wall = time.monotonic() - started
        sampling[0] = False
        sampler.join()

        alone = [log_in(port, USERS[0], PASSWORD)[1] for _ in range(10)]
        return {
            "setting": name,
            "idle_mib": round(idle / 1024, 1),
            "peak_mib": round(peak[0] / 1024, 1),
            "growth_mib": round((peak[0] - idle) / 1024, 1),
            "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
            "load_seconds": round(wall, 1),
            "median_login_under_load_ms": round(statistics.median(times), 1),
            "login_alone_ms": round(statistics.median(alone), 1),
            "hash_ms": round(float(cost), 1),
        }
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--logins", type=int, default=4, help="logins per client")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (2+ need Redis)")
    parser.add_argument("--redis", action="store_true", help="cache in Redis (REDIS_URL)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--populate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--hash-cost", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.populate:
        return populate()
    if args.hash_cost:
        return print(hash_cost_ms())

    results = [measure(name, variables, args) for name, variables in SETTINGS.items()]
    print(f"{args.clients} clients x {args.logins} logins at once, gunicorn {args.workers} "
          f"worker(s) x 4 threads{', Redis' if args.redis else ''}:")  # fmt: skip
    for r in results:
        print(f"  {r['setting']}: idle {r['idle_mib']} MiB, peak {r['peak_mib']} MiB "
              f"(+{r['growth_mib']}); one hash {r['hash_ms']} ms, a login alone "
              f"{r['login_alone_ms']} ms, under load median {r['median_login_under_load_ms']} ms, "
              f"all done in {r['load_seconds']} s; answers {r['statuses']}")  # fmt: skip
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
