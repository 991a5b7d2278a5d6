"""Querysets compiled once per process and run again with new values: for the hottest read paths only.

Building and compiling a queryset costs more CPU than PostgreSQL spends answering it (about 0.5 ms for the
candidate's visibility check, a few joins and conditions). On results day the same few query shapes run
thousands of times a second with only their values changing, so ``PreparedQuery`` asks a function for the
queryset once, with sentinel values, keeps the SQL Django writes for it, and afterwards runs that SQL with the
real values in the sentinels' places. The rules stay where they are written (the queryset function, e.g. the
visibility selector); only the compiling is saved. A sentinel that Django does not pass through unchanged, or
that appears other than once, stops the process at the first call rather than running a wrong query.

Only on PostgreSQL: elsewhere (SQLite for ``make run``, which stores UUIDs as text) the queryset is built and
run as usual on every call.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Model, QuerySet

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
    the database the routers choose for reading its model, as the queryset would.
    """

    def __init__(self, build: Callable[..., QuerySet[Any]], params: dict[str, type]):
        self._build = build
        self._params = params
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
            if len(found) != 1:
                raise RuntimeError(f"{self._build!r}: parameter {name!r} appears {len(found)} times in the SQL")
            places[found[0]] = name
        return sql, list(params), places

    def sql(self, **values: Any) -> tuple[str, list[Any]]:
        """Return the SQL and the parameters for these values (compiling the queryset the first time)."""
        if self._compiled is None:
            self._compiled = self._compile()
        sql, params, places = self._compiled
        bound = list(params)
        for index, name in places.items():
            bound[index] = values[name]
        return sql, bound

    def rows(self, **values: Any) -> list[tuple[Any, ...]]:
        """Run the query with these values and return its rows."""
        if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
            return list(self._build(**values))
        sql, params = self.sql(**values)
        using = router.db_for_read(cast("type[Model]", self._model)) or DEFAULT_DB_ALIAS  # set by compiling
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
