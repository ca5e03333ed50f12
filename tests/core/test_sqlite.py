"""The embedded SQLite database: connections persist across requests, readers run beside a
writer (WAL), and a second writer waits for the first instead of failing."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import threading, time
    import django
    django.setup()
    from django.core.signals import request_finished, request_started
    from django.db import connection, connections, transaction

    request_started.send(sender=None)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE counter (n integer)")
        cursor.execute("INSERT INTO counter VALUES (0)")
        cursor.execute("PRAGMA journal_mode")
        print("journal", cursor.fetchone()[0])
        cursor.execute("PRAGMA busy_timeout")
        print("busy_timeout", cursor.fetchone()[0])
    first = connection.connection
    request_finished.send(sender=None)
    request_started.send(sender=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    print("persistent", connection.connection is first)

    held = threading.Event()
    errors = []

    def slow_writer():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("UPDATE counter SET n = n + 1")
                held.set()
                time.sleep(1.5)
        except Exception as error:
            errors.append(repr(error))
        finally:
            held.set()
            connections.close_all()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    held.wait()
    started = time.monotonic()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("UPDATE counter SET n = n + 1")
    except Exception as error:
        errors.append(repr(error))
    waited = time.monotonic() - started
    thread.join()
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        print("count", cursor.fetchone()[0])
    print("waited", waited >= 1.0)
    print("errors", errors)
    """
)


def test_sqlite_connections_persist_and_concurrent_writers_wait(tmp_path):
    environment = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "homeportal.settings",
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "sqlite-test-secret-key-that-is-long-enough-0123456789",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=environment, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines())
    assert lines["journal"] == "wal"
    assert int(lines["busy_timeout"]) >= 5000
    assert lines["persistent"] == "True"  # the same connection serves the next request
    assert lines["errors"] == "[]"  # the second writer waited for the lock...
    assert lines["waited"] == "True"
    assert lines["count"] == "2"  # ...and both writes landed
