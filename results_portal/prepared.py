"""Querysets compiled once per process and run again with new values: for the hottest read paths only.

Building and compiling a queryset costs more CPU than PostgreSQL spends answering it (about 0.5 ms for the
candidate's visibility check, a few joins and conditions). On results day the same few query shapes run
thousands of times a second with only their values changing, so ``PreparedQuery`` asks a function for the
queryset once, with sentinel values, keeps the SQL Django writes for it, and afterwards runs that SQL with the
real values in the sentinels' places (every place a value is used: the visibility rule names the candidate in
each of its subqueries). The rules stay where they are written (the queryset function, e.g. the visibility
selector); only the compiling is saved. A sentinel that Django does not pass through unchanged, so that it
appears nowhere in the parameters, stops the process at the first call rather than running a wrong query.

Only on PostgreSQL: elsewhere (SQLite for ``make run``, which stores UUIDs as text) the queryset is built and
run as usual on every call.

Behind PgBouncer in transaction mode nothing can be prepared on the server, so PostgreSQL plans each of these
queries again on every request, and for the ones with joins planning costs more than running the plan (the
statement's check: 0.45 ms against 0.03). ``as_written=True`` lets PostgreSQL join the tables in the order the
query names them (``join_collapse_limit = 1``, for that query alone: ``SET LOCAL`` sent in its query string,
which runs as one implicit transaction; never sent with server-side binding, see ``one_query_string``), sparing it
the search for a join order; it still chooses how to join each pair and which side to start from. Only for
queries whose order is already the good one, held by tests/test_query_plans.py: the statement's check (0.45 →
0.27 ms of planning). The dashboard's query would plan in 0.85 ms instead of 1.2, but on a test's near-empty
tables its written order starts from every entry, so it is not used there.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Model, QuerySet

# Sent before an ``as_written`` query in its query string (outside a transaction: the string is one).
AS_WRITTEN = "SET LOCAL join_collapse_limit = 1"

# Values nobody stores: each must reach the SQL parameters unchanged so that it can be found there.
SENTINELS: dict[type, Callable[[int], Any]] = {
    int: lambda n: -8_765_432_100 - n,
    uuid.UUID: lambda n: uuid.UUID(int=0x5E77_1E1 << 64 | n),
    dt.datetime: lambda n: dt.datetime(1901, 2, 3, 4, 5, n, tzinfo=dt.UTC),
    str: lambda n: f"\x00sentinel-{n}\x00",
}


class PreparedQuery:
    """A queryset shape compiled on first use; ``rows(**values)`` runs it with these values.

    ``build`` receives keyword arguments of the types in ``params`` and returns a ``values_list`` queryset
    (rows come back as tuples, as the database returns them, without Django's converters). The query runs on
    the database the routers choose for reading its model, as the queryset would, or on ``database`` when it is
    given (the primary, for a query that decides visibility from a model the routers may send to the replica).
    """

    def __init__(
        self,
        build: Callable[..., QuerySet[Any]],
        params: dict[str, type],
        *,
        database: str | None = None,
        as_written: bool = False,
    ):
        self._build = build
        self._params = params
        self._database = database
        self.as_written = as_written
        self._model: type[Model] | None = None
        self._compiled: tuple[str, list[Any], dict[int, str]] | None = None

    def _compile(self) -> tuple[str, list[Any], dict[int, str]]:
        sentinels = {name: SENTINELS[kind](n) for n, (name, kind) in enumerate(self._params.items())}
        queryset = self._build(**sentinels)
        self._model = queryset.model
        sql, params = queryset.query.get_compiler(using=DEFAULT_DB_ALIAS).as_sql()
        places: dict[int, str] = {}
        for name, sentinel in sentinels.items():
            found = [i for i, value in enumerate(params) if value == sentinel and type(value) is type(sentinel)]
            if not found:
                raise RuntimeError(f"{self._build!r}: parameter {name!r} appears 0 times in the SQL")
            places.update(dict.fromkeys(found, name))
        return sql, list(params), places

    def _compiled_once(self) -> tuple[str, list[Any], dict[int, str]]:
        if self._compiled is None:
            self._compiled = self._compile()
        return self._compiled

    def sql(self, **values: Any) -> tuple[str, list[Any]]:
        """Return the SQL and the parameters for these values (compiling the queryset the first time)."""
        sql, params, places = self._compiled_once()
        bound = list(params)
        for index, name in places.items():
            bound[index] = values[name]
        return sql, bound

    def query_string(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> tuple[str, list[Any]]:
        """Return what to send for these values on ``using``: the SQL, after ``AS_WRITTEN`` for an ``as_written``
        query outside a transaction where statements can go together (``one_query_string``; inside a transaction
        ``SET LOCAL`` would last until its end). Its rows are those of the string's last statement
        (``last_rows``)."""
        sql, params = self.sql(**values)
        if self.as_written and one_query_string(using) and not connections[using].in_atomic_block:
            return f"{AS_WRITTEN}; {sql}", params
        return sql, params

    def rows(self, **values: Any) -> list[tuple[Any, ...]]:
        """Run the query with these values and return its rows."""
        if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
            queryset = self._build(**values)
            return list(queryset.using(self._database) if self._database else queryset)
        self._compiled_once()  # knows the model, for the routers
        using = self._database or router.db_for_read(cast("type[Model]", self._model)) or DEFAULT_DB_ALIAS
        sql, params = self.query_string(using=using, **values)
        return _fetch(using, sql, params)


def rows_as_prepared(queryset: QuerySet[Any], *, database: str | None = None) -> list[tuple[Any, ...]]:
    """Run a ``values_list`` queryset once and return its rows as ``PreparedQuery.rows`` returns its own.

    On PostgreSQL that is as the database gives them, without Django's converters (a JSON field is its text);
    elsewhere the queryset's own rows. For the bulk twin of a prepared query (many owners at once, in a task), so
    that both give equal values and make equal cache keys.
    """
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return list(queryset.using(database) if database else queryset)
    using = database or router.db_for_read(queryset.model) or DEFAULT_DB_ALIAS
    sql, params = queryset.query.get_compiler(using=using).as_sql()
    return _fetch(using, sql, list(params))


def one_query_string(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Return whether several statements can go to ``using`` as one query string (one round trip): PostgreSQL
    with values bound on the client (Django's default with psycopg 3, sent by the simple query protocol, which
    runs such a string as one implicit transaction outside a transaction block). With server-side binding each
    query is one prepared statement."""
    connection = connections[using]
    return (
        connection.vendor == "postgresql"
        and connection.settings_dict["OPTIONS"].get("server_side_binding") is not True
    )


def last_rows(cursor: Any) -> list[tuple[Any, ...]]:
    """Return the rows of the last statement of the query string the cursor ran (psycopg 3: one result each)."""
    while cursor.nextset():
        pass
    return cast(list[tuple[Any, ...]], cursor.fetchall())


def _fetch(using: str, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return last_rows(cursor)
