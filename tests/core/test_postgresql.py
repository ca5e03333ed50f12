"""PostgreSQL connections persist across requests and are checked before each request's first
query without a round trip (homeportal/postgresql/base.py): a healthy connection is used as it
is, one the server ended is replaced, and the request that follows gets its answer."""

import time

import psycopg
import pytest
from django.core.signals import request_finished, request_started
from django.db import DataError, connection, connections

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)"),
]


@pytest.fixture
def persistent(settings):
    """The connection settings of a server: kept across requests, checked at their start (the
    test database's connection otherwise lives for the whole test)."""
    database = connection.settings_dict
    saved = (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"])
    database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"] = 600, True
    connection.close()
    yield
    database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"] = saved
    connection.close()


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def request(work):
    request_started.send(sender=None)
    try:
        return work()
    finally:
        request_finished.send(sender=None)


def test_the_backend_is_homeportal_s():
    assert type(connections["default"]).__module__ == "homeportal.postgresql.base"


def test_a_healthy_connection_is_checked_without_a_query(persistent, monkeypatch):
    first = request(backend_pid)
    sent = []
    real = psycopg.Cursor.execute

    def execute(self, query, *args, **kwargs):
        sent.append(query)
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", execute)
    assert request(backend_pid) == first  # the same connection, kept
    assert "SELECT 1" not in sent and len(sent) == 1


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(persistent, db):
    first = request(backend_pid)
    with psycopg.connect(_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [first])
        # Ended a moment ago, as after a restart or an idle timeout (not during the check).
        for _ in range(100):
            gone = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [first])
            if gone.fetchone()[0] == 0:
                break
            time.sleep(0.05)
    # The request after the server ended the connection gets its answer on a new one.
    second = request(backend_pid)
    assert second != first
    assert request(backend_pid) == second


def test_a_connection_inside_a_failed_transaction_is_not_vouched_for(persistent):
    request(backend_pid)
    connection.set_autocommit(False)
    try:
        with pytest.raises(DataError), connection.cursor() as cursor:
            cursor.execute("SELECT 1/0")
        assert connection.is_usable() is False
    finally:
        connection.close()


def _url() -> str:
    settings = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=settings["NAME"], user=settings["USER"], password=settings["PASSWORD"],
        host=settings["HOST"], port=settings["PORT"],
    )  # fmt: skip
