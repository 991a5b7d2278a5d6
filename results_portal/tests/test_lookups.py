"""``field__any``: the same rows as ``field__in``, with the values as one array parameter on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from centres.tests.factories import EntryFactory
from results.models import Result
from results.tests.factories import result_for

pytestmark = pytest.mark.django_db


def test_the_same_rows_as_in_through_a_join_with_one_parameter_on_postgresql() -> None:
    results = [result_for(EntryFactory(), released_at=None) for _ in range(4)]
    wanted = [results[0].pk, results[2].pk, 10**12]  # one id no row has, beyond 32 bits

    with CaptureQueriesContext(connection) as queries:
        found = sorted(Result.objects.filter(pk__any=wanted).values_list("pk", flat=True))
        through_join = sorted(
            Result.objects.filter(entry__result__pk__any=wanted).values_list("entry__candidate_id", flat=True)
        )

    assert found == sorted([results[0].pk, results[2].pk])
    assert through_join == sorted([results[0].entry.candidate_id, results[2].entry.candidate_id])
    assert list(Result.objects.filter(pk__any=[])) == []
    candidate_ids = [results[1].entry.candidate_id, "NOBODY"]
    assert list(Result.objects.filter(entry__candidate_id__any=candidate_ids).values_list("pk", flat=True)) == [
        results[1].pk
    ]
    if connection.vendor == "postgresql":
        sql = queries.captured_queries[0]["sql"]
        assert "= ANY(" in sql and " IN (" not in sql
        assert f"'{{{results[0].pk},{results[2].pk},{10**12}}}'" in sql, "the values as one array literal"
