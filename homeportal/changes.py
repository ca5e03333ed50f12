"""Change counts: numbers that every write to the watched tables raises, kept by the database
itself and read with the session, so that a lookup made on every request can be answered from
this process while nothing it reads has changed.

An unchanged board page used to ask the database for the board with the viewer's level and
collapsed categories, and the cache for the viewer's grants, on every view: the two things a
page of a 30-card template does not ask. Both depend only on rows of a few tables (the
board, its ACL rows, its sections, the viewer's collapsed categories; groups and
memberships), so they can be kept in this process under the count their rows were read at.
Two counts, so that one does not empty the other's keeping: `BOARDS` (boards, their ACL rows,
sections, collapsed categories) and `GROUPS` (groups, memberships).

Why the database and not the application: a count raised by the code (signals, explicit
calls) is only as good as the code's memory of every way a row can change, and `QuerySet.update`,
bulk writes, raw SQL, a cascade, a migration or an administrator at the SQL prompt all
bypass signals. Triggers see every one of them, in the writing transaction: a change and its
count are committed together, or neither is.

- SQLite: three triggers per table (insert, update, delete), one statement each. SQLite has
  one writer at a time, so the count's row adds no waiting.
- PostgreSQL: one statement-level trigger per table (insert, update, delete, truncate),
  calling `homeportal_count_change(counter)`. The row is locked from the write to the commit, so
  writes to watched tables take turns; they are all short (an edit, a collapsed category).

The counts are read in the session's own query (sessions_admin.engine), so reading them costs
no round trip, and every request of a logged-in browser knows them (`count_of(request, BOARDS)`).
Requests without a session (API tokens, anonymous visitors) have no count and read the
database as before.

What is kept under a count (`CompiledQuery.first(..., count=...)`, `grants_for`) is what the
database answered at that count or later: the count was read before the lookup, so a change
committed in between raises the count that every later request reads. Nothing is kept from
inside a transaction of the request's own (its writes could still be rolled back).

A database restored from a backup can bring back a count already seen: restore with the
servers stopped (restarting them empties what they kept).
"""

import re
import threading
from collections.abc import Hashable

from django.db import connection as default_connection
from django.db.models import Subquery

BOARDS, GROUPS = 1, 2  # the counts' rows (ids): a migration names one, never renumber
COUNTS = {"boards": BOARDS, "groups": GROUPS}

TABLE = "homeportal_changecount"
FUNCTION = "homeportal_count_change"
_EVENTS = ("INSERT", "UPDATE", "DELETE")


# A count's row is (re)made by its first change: a database emptied by `flush` (tests) counts
# again from one, and until then has no count, so nothing is kept.
def _sqlite_bump(counter: int) -> str:
    return (
        f'INSERT INTO "{TABLE}" ("id", "value") VALUES ({int(counter)}, 1) '  # noqa: S608 - a constant and a number
        f'ON CONFLICT ("id") DO UPDATE SET "value" = "value" + 1'
    )


_POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO "{TABLE}" ("id", "value") VALUES (TG_ARGV[0]::bigint, 1)
        ON CONFLICT ("id") DO UPDATE SET "value" = "{TABLE}"."value" + 1;
    RETURN NULL;
END
$$"""  # noqa: S608 - constants


_SQLITE_COUNTER = re.compile(rf'"{TABLE}" \("id", "value"\) VALUES \((\d+), 1\)')


def _trigger(table: str, event: str | None = None) -> str:
    return f"{table}_counted_{event.lower()}" if event else f"{table}_counted"


def watch(schema_editor, counter: int, *tables: str) -> None:
    """Installs the triggers that raise `counter` on every write to `tables` (a migration's
    RunPython)."""
    vendor = schema_editor.connection.vendor
    for table in tables:
        if vendor == "sqlite":
            for event in _EVENTS:
                schema_editor.execute(
                    f'CREATE TRIGGER "{_trigger(table, event)}" AFTER {event} ON "{table}" '
                    f"BEGIN {_sqlite_bump(counter)}; END"
                )
        elif vendor == "postgresql":
            schema_editor.execute(_POSTGRES_FUNCTION)
            schema_editor.execute(
                f'CREATE TRIGGER "{_trigger(table)}" AFTER INSERT OR UPDATE OR DELETE OR '
                f'TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION '
                f"{FUNCTION}('{int(counter)}')"
            )
        else:
            raise NotImplementedError(f"no change count on {vendor}")


def unwatch(schema_editor, *tables: str) -> None:
    vendor = schema_editor.connection.vendor
    for table in tables:
        if vendor == "sqlite":
            for event in _EVENTS:
                schema_editor.execute(f'DROP TRIGGER IF EXISTS "{_trigger(table, event)}"')
        elif vendor == "postgresql":
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{_trigger(table)}" ON "{table}"')


def watched_tables(connection=default_connection) -> dict[str, int]:
    """The tables whose every write raises a count, with the count, as the database says
    (for the tests)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger'")
            found: dict[str, dict[str, int]] = {}
            for table, name, sql in cursor.fetchall():
                counted = _SQLITE_COUNTER.search(sql)
                if name.startswith(f"{table}_counted_") and counted:
                    found.setdefault(table, {})[name] = int(counted.group(1))
            return {
                table: next(iter(set(counters.values())))
                for table, counters in found.items()
                if len(counters) == len(_EVENTS) and len(set(counters.values())) == 1
            }
        cursor.execute(
            "SELECT event_object_table, action_statement, string_agg(event_manipulation, ',') "
            "FROM information_schema.triggers WHERE trigger_name = event_object_table || "
            "'_counted' GROUP BY event_object_table, action_statement"
        )
        watched = {}
        for table, action, events in cursor.fetchall():
            counted = re.search(rf"{FUNCTION}\('(\d+)'\)", action)
            if counted and set(events.split(",")) >= set(_EVENTS):
                watched[table] = int(counted.group(1))
        return watched


def count_annotations() -> dict[str, Subquery]:
    """Every count, as annotations named `count_<name>` (None while the database has none)."""
    from homeportal.models import ChangeCount

    return {
        f"count_{name}": Subquery(ChangeCount.objects.filter(pk=counter).values("value")[:1])
        for name, counter in COUNTS.items()
    }


def counts_of(found) -> dict[int, int | None]:
    """The counts read as `count_annotations` on the object `found`."""
    return {counter: getattr(found, f"count_{name}") for name, counter in COUNTS.items()}


def count_of(request, counter: int) -> int | None:
    """The count read with this request's session, or None (no session, none read yet)."""
    counts = getattr(getattr(request, "session", None), "change_counts", None)
    return counts.get(counter) if counts else None


def may_keep(connection=default_connection) -> bool:
    """Whether rows read now may be kept under a count: not inside a transaction of the
    request's own, whose writes could be rolled back (the tests' own outer transaction, which
    Django's test case marks, is no such thing: it is the whole of the test's world)."""
    return not any(not getattr(a, "_from_testcase", False) for a in connection.atomic_blocks)


class Kept:
    """Answers kept in this process under change counts, at most `size` of them (the oldest
    goes first). The counts are part of each key, so a count that moved on leaves the older
    answers unused until they are pushed out. `keep` keeps nothing read inside a transaction of
    the request's own (`may_keep`)."""

    _every: list["Kept"] = []

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: dict[Hashable, object] = {}
        self._lock = threading.Lock()
        Kept._every.append(self)

    def get(self, key: Hashable):
        return self._kept.get(key)

    def keep(self, key: Hashable, value, connection=default_connection) -> None:
        if not may_keep(connection):
            return
        with self._lock:
            while len(self._kept) >= self.size:
                del self._kept[next(iter(self._kept))]
            self._kept[key] = value

    def forget(self) -> None:
        with self._lock:
            self._kept.clear()


def forget_kept() -> None:
    """Drops everything kept under counts in this process (the tests, whose rolled-back
    transactions count again)."""
    for kept in Kept._every:
        kept.forget()
