"""Querysets compiled to SQL once per process, for the few lookups made on every request.

Turning a queryset into SQL costs the ORM more than SQLite takes to run it: for the token and
board lookups of an API call, 0.3 ms of compiling each against 0.05 ms of querying. A
`CompiledQuery` builds its queryset once per shape with placeholder values, keeps the SQL and
what the ORM needs to turn rows into objects (the compiler's columns, related models,
annotations and converters), and from then on runs that SQL with the call's values. The rows
become model instances exactly as `QuerySet.__iter__` makes them (ModelIterable's steps), so
an answer is the queryset's answer, only cheaper to ask.

Values are parameters as in any queryset: the builder receives placeholders, and their places
among the SQL's parameters are found by value. A builder must give every argument to the ORM
as a value (a filter, an annotation's parameter), never choose the query's shape from one: the
shape is named separately by `shape` (for example how many group ids an annotation lists), so
each shape is compiled once. The ORM answers some values without asking the database (a
number out of an integer column's range finds nothing); the SQL here is always run, so a
caller passing numbers from outside checks them first (as `Grants.find` does).

A query whose tables all raise the database's change count (homeportal.changes) can keep its
rows in this process under the count they were read at: `all(..., count=n)` answers from
them, without a query, while the count is `n`; the objects are made anew on every call, so no
two requests share one.
"""

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators

from homeportal.changes import Kept


class _Text(str):
    """A value no caller could pass, found again among the compiled SQL's parameters."""


class _Number(int):
    """The same for a number (an id): a value far outside any table's."""


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple  # the compiled parameters, placeholders where the call's values go
    slots: tuple[tuple[int, int], ...]  # (parameter index, argument index)
    converters: tuple[tuple[int, tuple[list, Any]], ...]  # (column, (functions, expression))
    # How rows become model instances (None for a values_list queryset): the model's from_db
    # with the queryset's fetch mode, the model's columns, Django's populators of the related
    # objects (select_related) and the annotations' columns.
    from_db: Callable | None
    init_list: tuple[str, ...]
    start: int
    end: int
    populators: list
    annotations: tuple[tuple[str, int], ...]


KEPT_ROWS = 2048  # answers kept per query, per process (a count change leaves them unused)


class CompiledQuery:
    """`build(*values)` → a queryset whose SQL is kept per (database, shape)."""

    def __init__(self, build: Callable[..., QuerySet]):
        self.build = build
        self._plans: dict[tuple, _Plan] = {}
        self._lock = threading.Lock()
        self._kept = Kept(KEPT_ROWS)

    def _plan(self, alias: str, shape: Hashable, count: int, kinds: Sequence[type]) -> _Plan:
        key = (alias, shape, tuple(kinds))
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        placeholders = [_placeholder(n, kind) for n, kind in enumerate(kinds)]
        queryset = self.build(*placeholders).using(alias)
        compiler = queryset.query.get_compiler(alias)
        sql, params = compiler.as_sql()
        slots = tuple(
            (i, n) for i, p in enumerate(params) if (n := _argument(p, placeholders)) is not None
        )
        if {n for _i, n in slots} != set(range(count)):
            raise ValueError(f"{self.build!r}: a value did not reach the SQL as a parameter")
        columns = [s[0] for s in compiler.select[0 : compiler.col_count]]
        converters = tuple(compiler.get_converters(columns).items())
        info = compiler.klass_info
        mode = queryset._fetch_mode  # type: ignore[attr-defined]  # Django 6.1's, not in the stubs
        if info is None or queryset._iterable_class is not ModelIterable:  # values_list
            plan = _Plan(sql, tuple(params), slots, converters, None, (), 0, 0, [], ())
        else:
            start, end = info["select_fields"][0], info["select_fields"][-1] + 1
            plan = _Plan(
                sql, tuple(params), slots, converters,
                from_db=partial(info["model"].from_db, fetch_mode=mode),
                init_list=tuple(f[0].target.attname for f in compiler.select[start:end]),
                start=start,
                end=end,
                populators=get_related_populators(info, compiler.select, alias, mode),
                annotations=tuple(compiler.annotation_col_map.items()),
            )  # fmt: skip
        with self._lock:
            self._plans[key] = plan
        return plan

    def rows(self, *values, shape: Hashable = None, using: str = "default",
             convert: bool = True) -> list:  # fmt: skip
        """The rows as tuples, converted as the ORM converts them unless `convert` is false
        (the database's own values)."""
        plan = self._plan(using, shape, len(values), [type(v) for v in values])
        return self._rows(plan, values, using, convert)

    def _rows(self, plan: _Plan, values: Sequence, using: str, convert: bool) -> list:
        params = list(plan.params)
        for index, argument in plan.slots:
            params[index] = values[argument]
        connection = connections[using]
        with _cursor(connection) as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchall()
        if not convert or not plan.converters:
            return rows
        converted = []
        for row in rows:  # what the compiler's apply_converters does
            row = list(row)
            for position, (functions, expression) in plan.converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            converted.append(tuple(row))
        return converted

    def _kept_rows(self, plan: _Plan, values: Sequence, using: str, count: int) -> list:
        """The rows as `_rows` answers them, kept under the change count `count` (read before
        this call, so rows read now are those of `count` or of a later one)."""
        key = (using, count, *values)
        rows = self._kept.get(key)
        if rows is not None:
            return rows
        rows = self._rows(plan, values, using, convert=True)
        if all(type(v) not in (list, dict) for row in rows for v in row):  # JSON is mutable
            self._kept.keep(key, rows, connections[using])
        return rows

    def all(self, *values, shape: Hashable = None, using: str = "default",
            count: int | None = None) -> list:  # fmt: skip
        """The model instances, as iterating the queryset makes them; from the rows kept
        under `count` when one is given (see the module's notes)."""
        plan = self._plan(using, shape, len(values), [type(v) for v in values])
        if plan.from_db is None:
            raise TypeError("a values_list query: ask rows()")
        if count is None:
            rows = self._rows(plan, values, using, convert=True)
        else:
            rows = self._kept_rows(plan, values, using, count)
        found = []
        for row in rows:
            obj = plan.from_db(using, plan.init_list, row[plan.start : plan.end])
            for populator in plan.populators:
                populator.populate(row, obj)
            for name, position in plan.annotations:
                setattr(obj, name, row[position])
            found.append(obj)
        return found

    def first(self, *values, shape: Hashable = None, using: str = "default",
              count: int | None = None):  # fmt: skip
        found = self.all(*values, shape=shape, using=using, count=count)
        return found[0] if found else None


def _cursor(connection):
    """Django's cursor (its checks, wrappers and query log); on PostgreSQL with prepared
    statements on (settings: DATABASE_PREPARED_STATEMENTS), around a psycopg cursor that binds
    the values on the server, which psycopg prepares at its first run on the connection:
    PostgreSQL then plans the statement once, not on every call (planning was a third to a
    half of each lookup's time). The ORM's own cursors bind on the client and never prepare."""
    cursor = connection.cursor()
    if connection.vendor == "postgresql" and _prepares(connection):
        from django.db.backends.postgresql.base import ServerBindingCursor

        server = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]  # psycopg 3's Cursor; the stubs describe psycopg2's
        client, cursor.cursor = cursor.cursor, server
        client.close()
    return cursor


def _prepares(connection) -> bool:
    return connection.settings_dict["OPTIONS"].get("prepare_threshold") is not None


def _placeholder(n: int, kind: type) -> Any:
    if issubclass(kind, str):
        return _Text(f"\x00compiled-placeholder-{n}\x00")
    if issubclass(kind, int) and not issubclass(kind, bool):
        return _Number(-(10**15) - n)
    raise TypeError(f"CompiledQuery takes text and numbers; got {kind.__name__}")


def _argument(param: object, placeholders: list) -> int | None:
    """Which placeholder a compiled parameter is (by value: the ORM may convert a number to a
    plain int on its way), or None for a value of the query itself."""
    if type(param) not in (str, int, _Text, _Number):
        return None
    for n, placeholder in enumerate(placeholders):
        if param == placeholder and isinstance(param, str) == isinstance(placeholder, str):
            return n
    return None
