"""Django's PostgreSQL backend, with a health check that asks the connection's socket instead
of the server.

Persistent connections are checked before their first use in each request
(`CONN_HEALTH_CHECKS`), so that a connection the server has dropped (a restart, an idle
timeout, an administrator ending it) is replaced instead of failing the request. Django checks
by running `SELECT 1`: a round trip on every request that touches the database, half a
millisecond here, a tenth of an API call.

A server that ends a connection tells the client: it sends an error and closes the socket.
So an idle connection whose socket has nothing to read is as the server left it, and is
usable; one with something to read is read (an end or an error marks it broken). Anything
else this check cannot vouch for (input that is not an end, a connection inside a
transaction) goes to Django's `SELECT 1`. What no check short of a round trip sees, a network
path that died without a word, fails that request and the connection is replaced after it,
as Django does for any connection that errs.
"""

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None:
            return False
        pgconn = self.connection.pgconn
        if pgconn.status != pq.ConnStatus.OK:
            return False
        if pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()
        try:
            readable, _, _ = select.select([pgconn.socket], [], [], 0)
        except (OSError, ValueError):
            return False
        if not readable:
            return True  # nothing from the server since its last answer
        try:
            pgconn.consume_input()
        except psycopg.Error:  # the server closed it, or said why it would
            return False
        if pgconn.status != pq.ConnStatus.OK:
            return False
        return super().is_usable()
