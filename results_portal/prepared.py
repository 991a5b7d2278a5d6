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

Behind PgBouncer in transaction mode nothing can be prepared on the server (a statement prepared on one of
its connections would be run on another), so PostgreSQL would plan each of these queries again on every request,
and for the ones with joins planning costs far more than running the plan (the dashboard's: 1.4 ms against
0.1). So each query's plan is kept in the database instead: ``keep_plans`` (run by ``migrate``, on
``post_migrate``) writes its SQL, the sentinels' places numbered as arguments and every other value written in,
as the body of a PL/pgSQL function named by the digest of that body (``portal_plan_…``). PL/pgSQL keeps the plan
of its statement per database connection, and PgBouncer keeps the connections, so after a connection's first
calls (PostgreSQL's custom plans, then its generic one) the query is planned no more. The function is a compiled
copy of the queryset, not a rule of its own: new code writes new SQL, hence a new name, and runs ``migrate``.
A process asks once per database whether its functions are there (``to_regprocedure``, not through Django's
cursor, so that no query count moves) and sends the SQL itself when one is not, asking again every minute: a
node of the new code before its ``migrate``, or any database where the functions may not be written, is slower,
never wrong. A call that fails because its function cannot be called after all (dropped, refused, or its result
no longer what the tables give) fails its request, and the process sends SQL from then on (ADR 0019).
"""

import datetime as dt
import gc
import hashlib
import logging
import math
import re
import time
import uuid
import weakref
from collections.abc import Callable
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router, transaction
from django.db.models import Model, QuerySet

logger = logging.getLogger(__name__)

# Values nobody stores: each must reach the SQL parameters unchanged so that it can be found there.
SENTINELS: dict[type, Callable[[int], Any]] = {
    int: lambda n: -8_765_432_100 - n,
    uuid.UUID: lambda n: uuid.UUID(int=0x5E77_1E1 << 64 | n),
    dt.datetime: lambda n: dt.datetime(1901, 2, 3, 4, 5, n, tzinfo=dt.UTC),
    str: lambda n: f"\x00sentinel-{n}\x00",
}
# The type of each kind of value as an argument of the function keeping the plan.
ARGUMENT_TYPES: dict[type, str] = {int: "bigint", uuid.UUID: "uuid", dt.datetime: "timestamptz", str: "text"}
PLAN_PREFIX = "portal_plan_"
# While a kept plan's function is not there, whether it has come is asked again after this long.
RECHECK_SECONDS = 60.0
# What a call of a kept plan's function that cannot be called raises: undefined_function, datatype_mismatch (the
# tables' types changed under it: "structure of query does not match function result type"),
# insufficient_privilege.
KEPT_PLAN_FAILURES = {"42883", "42804", "42501"}
KEEP_PLANS_LOCK = 0x706C616E  # pg_advisory_xact_lock key of keep_plans ("plan")
_PLACEHOLDER = re.compile(r"%[s%]")
_QUOTE = "$portal_plan$"

# Every query alive in this process, for ``keep_plans``: the modules' own, and none a test made and let go.
_made: "weakref.WeakSet[PreparedQuery]" = weakref.WeakSet()


class KeptPlan:
    """The function keeping a query's plan: its name (the digest of what it runs), its arguments, its query."""

    def __init__(self, *, name: str, arguments: list[str], body: str):
        self.name = name
        self.arguments = arguments
        self.body = body  # the query, its arguments as $1, $2, …
        self.signature = f"{name}({','.join(arguments)})"

    def create_sql(self, columns: list[str]) -> str:
        """Return the statement creating the function, whose result has these column types."""
        if _QUOTE in self.body:
            raise RuntimeError(f"{self.name}: the query's text holds {_QUOTE}")
        returns = ", ".join(f"c{n} {kind}" for n, kind in enumerate(columns))
        return (
            f"CREATE FUNCTION {self.name}({', '.join(self.arguments)}) RETURNS TABLE({returns}) "
            f"LANGUAGE plpgsql STABLE AS {_QUOTE}#variable_conflict use_column\n"
            f"BEGIN RETURN QUERY {self.body}; END{_QUOTE}"
        )

    def call_sql(self) -> str:
        """Return the call, a placeholder for each argument."""
        casts = ", ".join(f"%s::{kind}" for kind in self.arguments)
        return f"SELECT * FROM {self.name}({casts})"  # noqa: S608 - our name and types, values bound


class PreparedQuery:
    """A queryset shape compiled on first use; ``rows(**values)`` runs it with these values.

    ``build`` receives keyword arguments of the types in ``params`` and returns a ``values_list`` queryset
    (rows come back as tuples, as the database returns them, without Django's converters). The query runs on
    the database the routers choose for reading its model, as the queryset would, or on ``database`` when it is
    given (the primary, for a query that decides visibility from a model the routers may send to the replica).
    """

    def __init__(self, build: Callable[..., QuerySet[Any]], params: dict[str, type], *, database: str | None = None):
        self._build = build
        self._params = params
        self._database = database
        self._model: type[Model] | None = None
        self._compiled: tuple[str, list[Any], dict[int, str]] | None = None
        self._plan: KeptPlan | None = None
        self._kept_on: dict[str, tuple[bool, float]] = {}  # database alias → (its function is there, asked at)
        _made.add(self)

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

    def kept_plan(self, using: str = DEFAULT_DB_ALIAS) -> KeptPlan:
        """Return the function that keeps this query's plan on ``using`` (PostgreSQL): the query's SQL with each
        sentinel's places as its argument and every other value written in (made once, without a query)."""
        if self._plan is not None:
            return self._plan
        sql, params, places = self._compiled_once()
        connection = connections[using]
        connection.ensure_connection()  # values are written in as the driver writes them
        ops: Any = connection.ops  # PostgreSQL's: compose_sql writes a value as the driver would
        numbers = {name: n for n, name in enumerate(self._params, start=1)}
        places_in_order = iter(range(len(params)))

        def written(placeholder: re.Match[str]) -> str:
            if placeholder.group() == "%%":
                return "%"
            index = next(places_in_order)
            name = places.get(index)
            return f"${numbers[name]}" if name else ops.compose_sql("%s", [params[index]])

        body = _PLACEHOLDER.sub(written, sql)
        arguments = [ARGUMENT_TYPES[kind] for kind in self._params.values()]
        digest = hashlib.sha256("\n".join([body, *arguments]).encode()).hexdigest()[:20]
        self._plan = KeptPlan(name=f"{PLAN_PREFIX}{digest}", arguments=arguments, body=body)
        return self._plan

    def result_types(self, using: str = DEFAULT_DB_ALIAS) -> list[str]:
        """Return the types of the query's columns, as PostgreSQL names them (asked of ``using``: the query run
        with values that match nothing)."""
        sql, params, places = self._compiled_once()
        neutral = {int: 0, uuid.UUID: uuid.UUID(int=0), dt.datetime: dt.datetime(1901, 1, 1, tzinfo=dt.UTC), str: ""}
        bound: list[Any] = [neutral[self._params[places[i]]] if i in places else v for i, v in enumerate(params)]
        with connections[using].cursor() as cursor:
            cursor.execute(f"SELECT * FROM ({sql}) AS described LIMIT 0", bound)  # noqa: S608 - Django's SQL
            oids = [column.type_code for column in cursor.description]
            cursor.execute("SELECT oid, format_type(oid, NULL) FROM pg_type WHERE oid = ANY(%s)", [oids])
            names = dict(cursor.fetchall())
        return [names[oid] for oid in oids]

    def _kept(self, using: str) -> KeptPlan | None:
        """Return the kept plan when its function is on ``using`` and may be called: asked once per process and
        database, and again every ``RECHECK_SECONDS`` while it is not (a ``migrate`` after this process started)."""
        if connections[using].vendor != "postgresql":
            return None
        kept, asked = self._kept_on.get(using, (False, -math.inf))
        if not kept and time.monotonic() - asked > RECHECK_SECONDS:
            plan = self.kept_plan(using)
            kept = _function_callable(using, plan.signature)
            self._kept_on[using] = (kept, time.monotonic())
            if not kept:
                logger.warning("%s is not in database %r: its query is planned on every call", plan.name, using)
        return self._plan if kept else None

    def query_string(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> tuple[str, list[Any]]:
        """Return what to send for these values on ``using``: the call of the function keeping the plan when it
        is there, else the SQL. Its rows are those of the string's last statement (``last_rows``)."""
        plan = self._kept(using)
        if plan is None:
            return self.sql(**values)
        return plan.call_sql(), [values[name] for name in self._params]

    def rows(self, **values: Any) -> list[tuple[Any, ...]]:
        """Run the query with these values and return its rows."""
        if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
            queryset = self._build(**values)
            return list(queryset.using(self._database) if self._database else queryset)
        self._compiled_once()  # knows the model, for the routers
        using = self._database or router.db_for_read(cast("type[Model]", self._model)) or DEFAULT_DB_ALIAS
        sql, params = self.query_string(using=using, **values)
        try:
            return _fetch(using, sql, params)
        except DatabaseError as error:
            if not _is_kept_plan_failure(sql, error) or connections[using].in_atomic_block:
                raise
            return _fetch(using, *self.sql(**values))  # forgotten by ``kept_plan_failures``: sent as SQL now


def _function_callable(using: str, signature: str) -> bool:
    # Asked on the driver's own cursor: not a query of the request's (no query count, no debug log).
    connection = connections[using]
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regprocedure(%s) IS NOT NULL AND has_function_privilege(to_regprocedure(%s), 'EXECUTE')",
            [signature, signature],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def forget_kept_plans() -> None:
    """Send every prepared query as SQL from now on, until its function is found again (``RECHECK_SECONDS``)."""
    for prepared in list(_made):
        prepared._kept_on = {alias: (False, time.monotonic()) for alias in prepared._kept_on}


def _is_kept_plan_failure(sql: str, error: DatabaseError) -> bool:
    """Return whether ``error`` says a kept plan's function in ``sql`` cannot be called (gone, its result no longer
    what the tables give, or not allowed)."""
    return PLAN_PREFIX in sql and getattr(error.__cause__, "sqlstate", None) in KEPT_PLAN_FAILURES


def kept_plan_failures(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    """Django's execute wrapper (on every connection, ``watch_kept_plans``): a statement calling a kept plan that
    cannot be called fails, as it must (its transaction is aborted), and every later query goes as SQL."""
    try:
        return execute(sql, params, many, context)
    except DatabaseError as error:
        if _is_kept_plan_failure(sql, error):
            logger.error("a kept plan failed: every prepared query goes as SQL until its function is there")
            forget_kept_plans()
        raise


def watch_kept_plans(*, connection: Any, **_signal: Any) -> None:
    """``connection_created``'s receiver: put ``kept_plan_failures`` on the connection (once)."""
    if connection.vendor == "postgresql" and kept_plan_failures not in connection.execute_wrappers:
        connection.execute_wrappers.append(kept_plan_failures)


def prepared_queries_made() -> list[PreparedQuery]:
    """Return every prepared query alive in this process (made by the modules loaded so far, in ``ready``)."""
    gc.collect()  # a query made in a function and let go, caught in a reference cycle, is not one of them
    return list(_made)


def keep_plans(using: str = DEFAULT_DB_ALIAS, *, queries: list[PreparedQuery] | None = None) -> list[str]:
    """Write the function keeping each prepared query's plan into ``using`` (PostgreSQL); return their names.

    The queries are those given, else every one made so far: the apps load the modules of theirs in ``ready``
    (tests/test_query_plans.py holds that each is kept). One writer at a time (an advisory lock: web containers
    that each run ``migrate`` as they start). A function that already runs this SQL with this result is left
    alone, one whose result's types changed under the same SQL (a migration) is replaced; so callers of the
    current functions never meet one being rewritten. A role that may not create functions is logged, not fatal:
    the queries then go as SQL."""
    if connections[using].vendor != "postgresql":
        return []
    if queries is None:
        queries = prepared_queries_made()
    written = []
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [KEEP_PLANS_LOCK])
        for prepared in queries:
            plan = prepared.kept_plan(using)
            create = plan.create_sql(prepared.result_types(using))
            cursor.execute(
                "SELECT prosrc, pg_get_function_result(oid) FROM pg_proc WHERE oid = to_regprocedure(%s)",
                [plan.signature],
            )
            found = cursor.fetchone()
            if found is not None and f"{_QUOTE}{found[0]}{_QUOTE}" in create and f"RETURNS {found[1]} " in create:
                written.append(plan.name)
                continue
            try:
                with transaction.atomic(using=using):
                    if found is not None:
                        cursor.execute(f"DROP FUNCTION {plan.signature}")
                    cursor.execute(create)
            except DatabaseError:
                logger.exception("%s could not be written: its query is planned on every call", plan.name)
                continue
            written.append(plan.name)
    for prepared in queries:
        prepared._kept_on.pop(using, None)  # asked again at the next call
    return written


def kept_plans_drop_others(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Drop every function keeping a plan that this code does not call (older code's); return their signatures.

    For after a deploy, once no process of the older code is left: one still running would find its functions
    gone and fail on its hot paths until restarted."""
    if connections[using].vendor != "postgresql":
        return []
    ours = [prepared.kept_plan(using).signature for prepared in prepared_queries_made()]
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND starts_with(p.proname, %s) "
            "AND p.oid <> ALL(SELECT to_regprocedure(ours)::oid FROM unnest(%s::text[]) AS ours "
            "WHERE to_regprocedure(ours) IS NOT NULL)",
            [PLAN_PREFIX, ours],
        )
        others = [row[0] for row in cursor.fetchall()]
        for signature in others:
            cursor.execute(f"DROP FUNCTION IF EXISTS {signature}")
    return others


def keep_plans_after_migrate(*, using: str, **signal: Any) -> None:
    """``post_migrate``'s receiver: ``keep_plans`` after ``migrate`` (not after ``flush``, which sends the signal
    too, without a migration plan: it empties tables and leaves functions as they are)."""
    if "plan" in signal:
        keep_plans(using)


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


def begin_in_query_string(using: str = DEFAULT_DB_ALIAS) -> str:
    """Return ``"BEGIN; "`` to put ahead of the first query string of a transaction, and take the transaction's
    start over from the driver; or ``""`` when the transaction has started already or cannot start that way.

    psycopg 3 starts a transaction by sending ``BEGIN`` in a round trip of its own before the transaction's first
    statement. Inside an ``atomic`` block whose transaction the server has not seen yet (nothing sent since
    Django opened it), the driver is switched to autocommit, which sends statements as they are, so that the
    ``BEGIN`` at the head of the caller's query string starts the same transaction one round trip earlier. The
    driver still ends it: ``commit()`` and ``rollback()`` send ``COMMIT`` or ``ROLLBACK`` whenever the server is
    in a transaction, whatever the autocommit flag, and Django sets the flag back when the block ends. Django's
    own state is untouched (``get_autocommit()`` stays False, savepoints work), except that a server-side cursor
    (``QuerySet.iterator()``) opened in the rest of the block would be declared ``WITH HOLD``, as Django does in
    autocommit: the guard, its one caller, opens none, and behind PgBouncer they are off. Only where one query
    string can carry several statements, and only for a plain ``BEGIN`` (no isolation level or access mode of the
    driver's).
    """
    from psycopg.pq import TransactionStatus

    connection = connections[using]
    if not one_query_string(using) or not connection.in_atomic_block or connection.connection is None:
        return ""
    driver = connection.connection
    if driver.autocommit or driver.info.transaction_status != TransactionStatus.IDLE:
        return ""
    if (driver.isolation_level, driver.read_only, driver.deferrable) != (None, None, None):
        return ""
    driver.autocommit = True
    return "BEGIN; "


def last_rows(cursor: Any) -> list[tuple[Any, ...]]:
    """Return the rows of the last statement of the query string the cursor ran (psycopg 3: one result each)."""
    while cursor.nextset():
        pass
    return cast(list[tuple[Any, ...]], cursor.fetchall())


def _fetch(using: str, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return last_rows(cursor)
