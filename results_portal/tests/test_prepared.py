"""results_portal.prepared.PreparedQuery: a queryset compiled once runs with new values as Django would run it."""

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from centres.models import Entry
from centres.tests.factories import EntryFactory
from results_portal.prepared import PreparedQuery, keep_plans, prepared_queries_made

pytestmark = pytest.mark.django_db

_CALL = "SELECT * FROM"  # the call of a function keeping a plan


def _entries_of_centre_after(centre_id: int, after: dt.datetime, public_id: uuid.UUID) -> Any:
    return (
        Entry.objects.filter(centre_id=centre_id, session__window_start__gte=after)
        .exclude(public_id=public_id)
        .order_by("candidate_id")
        .values_list("candidate_id", flat=False)
    )


def test_the_sql_is_what_django_writes_for_the_same_values() -> None:
    prepared = PreparedQuery(
        _entries_of_centre_after, {"centre_id": int, "after": dt.datetime, "public_id": uuid.UUID}
    )
    values: dict[str, Any] = {"centre_id": 42, "after": timezone.now(), "public_id": uuid.uuid4()}

    sql, params = prepared.sql(**values)

    assert (sql, tuple(params)) == _entries_of_centre_after(**values).query.sql_with_params()


def test_rows_are_the_querysets_rows() -> None:
    entry = EntryFactory()
    EntryFactory(centre=entry.centre, session=entry.session)
    prepared = PreparedQuery(
        _entries_of_centre_after, {"centre_id": int, "after": dt.datetime, "public_id": uuid.UUID}
    )
    values: dict[str, Any] = {
        "centre_id": entry.centre_id,
        "after": timezone.now() - dt.timedelta(days=3650),
        "public_id": entry.public_id,
    }

    assert prepared.rows(**values) == list(_entries_of_centre_after(**values))
    assert len(prepared.rows(**values)) == 1


def test_a_value_django_changes_on_the_way_stops_it_at_once() -> None:
    prepared = PreparedQuery(
        lambda after: Entry.objects.filter(session__date__gte=after.date()).values_list("pk"), {"after": dt.datetime}
    )

    with pytest.raises(RuntimeError, match="'after' appears 0 times"):
        prepared.rows(after=timezone.now())


def test_a_value_the_query_does_not_use_stops_it_at_once() -> None:
    prepared = PreparedQuery(
        lambda centre_id, other: Entry.objects.filter(centre_id=centre_id).values_list("pk"),
        {
            "centre_id": int,
            "other": int,
        },
    )

    with pytest.raises(RuntimeError, match="'other' appears 0 times"):
        prepared.rows(centre_id=1, other=2)


def _entries_of_centre_or_session(n: int) -> Any:
    return Entry.objects.filter(Q(centre_id=n) | Q(session_id=n)).order_by("pk").values_list("pk")


def test_a_value_used_twice_is_filled_in_each_place() -> None:
    """As the visibility rule names the candidate in each subquery: every place gets the value, none a sentinel."""
    entry = EntryFactory()
    prepared = PreparedQuery(_entries_of_centre_or_session, {"n": int})

    sql, params = prepared.sql(n=7)
    rows = prepared.rows(n=entry.centre_id)

    assert (sql, tuple(params)) == _entries_of_centre_or_session(7).query.sql_with_params()
    assert rows == list(_entries_of_centre_or_session(entry.centre_id))
    assert (entry.pk,) in rows


def _entries_like(centre_id: int, below: str, after: dt.datetime) -> Any:
    # A value written in (the status), values given (a text, a moment), and a literal "%" in the SQL.
    return (
        Entry.objects.filter(centre_id=centre_id, status=Entry.Status.ENTERED, candidate_id__lt=below)
        .filter(session__window_start__gte=after)
        .annotate(mod=RawSQL("7 %% 4", ()))
        .order_by("candidate_id")
        .values_list("candidate_id", "public_id", "mod")
    )


def test_a_kept_plan_runs_the_query_in_a_function_and_gives_the_same_rows() -> None:
    entry = EntryFactory(candidate_id="KEPT01")
    EntryFactory(centre=entry.centre, session=entry.session, candidate_id="KEPT02")
    EntryFactory(centre=entry.centre, session=entry.session, candidate_id="OTHER1")
    values: dict[str, Any] = {
        "centre_id": entry.centre_id,
        "below": "L",
        "after": entry.session.window_start - dt.timedelta(days=1),
    }
    prepared = PreparedQuery(_entries_like, {"centre_id": int, "below": str, "after": dt.datetime})
    assert prepared.query_string(**values) == prepared.sql(**values)  # no function yet: the SQL itself

    (name,) = keep_plans(queries=[prepared])
    sent, params = prepared.query_string(**values)
    rows = prepared.rows(**values)

    assert sent == prepared.kept_plan().call_sql() == f"{_CALL} {name}(%s::bigint, %s::text, %s::timestamptz)"
    assert params == [entry.centre_id, "L", values["after"]]
    assert [row[0] for row in rows] == ["KEPT01", "KEPT02"] and rows[0][1:] == (entry.public_id, 3)
    assert rows == list(_entries_like(**values))
    plan = prepared.kept_plan()
    assert "$1" in plan.body and "$2" in plan.body and "$3" in plan.body and "'entered'" in plan.body
    assert "7 % 4" in plan.body


def test_the_functions_name_follows_the_query_it_runs() -> None:
    first = PreparedQuery(_entries_like, {"centre_id": int, "below": str, "after": dt.datetime})
    same = PreparedQuery(_entries_like, {"centre_id": int, "below": str, "after": dt.datetime})
    other = PreparedQuery(_entries_of_centre_or_session, {"n": int})

    assert first.kept_plan().name == same.kept_plan().name != other.kept_plan().name


@pytest.fixture
def kept_plans_asked_again() -> Any:
    """After the test, every query asks again whether its function is there (a test may make them forget)."""
    yield
    for prepared in prepared_queries_made():
        prepared._kept_on.clear()


@pytest.mark.django_db(transaction=True)
def test_a_kept_plan_gone_after_it_was_found_is_sent_as_sql_from_then_on(kept_plans_asked_again: Any) -> None:
    entry = EntryFactory(candidate_id="GONE01")
    values: dict[str, Any] = {
        "centre_id": entry.centre_id,
        "below": "Z",
        "after": entry.session.window_start - dt.timedelta(days=1),
    }
    prepared = PreparedQuery(_entries_like, {"centre_id": int, "below": str, "after": dt.datetime})
    (name,) = keep_plans(queries=[prepared])
    assert prepared.query_string(**values)[0].startswith(f"{_CALL} {name}(")
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP FUNCTION {prepared.kept_plan().signature}")

        rows = prepared.rows(**values)  # fails once inside, then goes as SQL

        assert [row[0] for row in rows] == ["GONE01"]
        assert prepared.query_string(**values) == prepared.sql(**values)
        with pytest.raises(DatabaseError), connection.cursor() as cursor:  # a string holding the call fails, once
            cursor.execute(prepared.kept_plan().call_sql(), [values[name] for name in ("centre_id", "below", "after")])
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP FUNCTION IF EXISTS {prepared.kept_plan().signature}")


def test_keep_plans_leaves_a_function_that_runs_the_same_alone_and_replaces_one_whose_result_changed() -> None:
    prepared = PreparedQuery(_entries_like, {"centre_id": int, "below": str, "after": dt.datetime})
    keep_plans(queries=[prepared])
    signature = prepared.kept_plan().signature

    def oid() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regprocedure(%s)::oid", [signature])
            return int(cursor.fetchone()[0])

    first = oid()
    keep_plans(queries=[prepared])
    assert oid() == first  # the same SQL and result: not rewritten under its callers
    with connection.cursor() as cursor:  # as if a migration had changed a column's type under the same SQL
        cursor.execute(f"DROP FUNCTION {signature}")
        cursor.execute(prepared.kept_plan().create_sql(["text", "uuid", "bigint"]))
    changed = oid()
    keep_plans(queries=[prepared])
    assert oid() != changed
    assert prepared.rows(centre_id=0, below="Z", after=timezone.now()) == []
