"""Requests sent at the same moment, each on its own database connection, for the tests of
what happens when two people save the same name at once.

Only PostgreSQL shows these races: SQLite serialises every write transaction (IMMEDIATE mode),
so the requests can never overlap there. CI runs the suite a second time with DATABASE_URL
pointing at PostgreSQL; on SQLite these tests are skipped with a sentence saying why.
"""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from tests.conftest import client_for


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (set DATABASE_URL=postgres://…): SQLite serialises every write "
            "transaction, so concurrent requests cannot overlap there"
        )


def race(posts: list[tuple[Client, str, dict]]) -> list:
    """Each (client, path, data) posted from its own thread, all released together."""
    barrier = threading.Barrier(len(posts))
    responses: list = [None] * len(posts)

    def send(index: int, client: Client, path: str, data: dict) -> None:
        client.raise_request_exception = False  # an escaped exception is a 500, not a crash
        try:
            barrier.wait(timeout=30)
            responses[index] = client.post(path, data)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i, *post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def clients(user, count: int) -> list[Client]:
    """`count` clients logged in as `user`, each with its own session."""
    return [client_for(user) for _ in range(count)]
