"""results_portal.prepared.PreparedQuery: a queryset compiled once runs with new values as Django would run it."""

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from centres.models import Entry
from centres.tests.factories import EntryFactory
from results_portal.prepared import AS_WRITTEN, PreparedQuery

pytestmark = pytest.mark.django_db


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


@pytest.mark.django_db(transaction=True)
def test_a_query_as_written_is_planned_so_for_itself_alone() -> None:
    """Outside a transaction the join order setting goes with the query, in its query string, and lasts no
    longer; inside one it is not sent (``SET LOCAL`` would last until the transaction ends)."""
    entry = EntryFactory()
    EntryFactory(centre=entry.centre, session=entry.session)
    values: dict[str, Any] = {
        "centre_id": entry.centre_id,
        "after": entry.session.window_start - dt.timedelta(days=1),
        "public_id": uuid.uuid4(),
    }
    prepared = PreparedQuery(
        _entries_of_centre_after, {"centre_id": int, "after": dt.datetime, "public_id": uuid.UUID}, as_written=True
    )

    sent, _params = prepared.query_string(**values)
    rows = prepared.rows(**values)

    assert sent.startswith(f"{AS_WRITTEN}; SELECT ")
    assert rows == list(_entries_of_centre_after(**values)) and len(rows) == 2
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        assert cursor.fetchone() == ("8",)  # PostgreSQL's default: the setting lasted for the query alone
    with transaction.atomic():
        assert prepared.query_string(**values)[0] == prepared.sql(**values)[0]
        assert prepared.rows(**values) == rows
