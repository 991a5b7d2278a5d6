"""The hottest queries of results day are answered from indexes: their plans have no sequential scan.

PostgreSQL picks a sequential scan for the small tables of a test whatever the indexes, so each plan is asked
for with ``enable_seqscan = off``: the planner then avoids a sequential scan wherever an index can answer, and
a "Seq Scan" left in the plan means a lookup path with no index. The queries are the ones the code runs (the
same SQL, from the same functions), not copies.
"""

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accounts.backends import _user_with_account_sql
from results.models import OutgoingEmail, Result
from results.selectors import _statement_fingerprint
from results_portal.prepared import AS_WRITTEN
from web.candidate.dashboard import _dashboard_lines

pytestmark = pytest.mark.django_db


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _scans(sql: str, params: list[Any] | tuple[Any, ...], *, as_written: bool) -> list[tuple[str, str, bool]]:
    """Return (node type, table or index, looked up by a condition) of every scan in the plan of this query,
    planned as it is sent (``as_written``: with ``AS_WRITTEN``, the tables joined in the order it names them)."""
    with connection.cursor() as cursor:
        if as_written:
            cursor.execute(AS_WRITTEN)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        row = cursor.fetchone()
    plan = row[0] if isinstance(row[0], list) else json.loads(row[0])
    return [
        (node["Node Type"], node.get("Relation Name", node.get("Index Name", "")), "Index Cond" in node)
        for node in _nodes(plan[0]["Plan"])
        if node["Node Type"] in {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Index Scan"}
    ]


def _assert_indexed(
    sql: str, params: list[Any] | tuple[Any, ...], *, as_written: bool = False
) -> list[tuple[str, str, bool]]:
    """Fail unless every table is reached through an index condition (not read whole, not an index read whole)."""
    scans = _scans(sql, params, as_written=as_written)
    assert scans, "the plan reads no table"
    whole = [scan for scan in scans if scan[0] == "Seq Scan" or not scan[2]]
    assert not whole, f"read whole (Seq Scan or an index without a condition): {whole}"
    return scans


def test_the_statement_pages_visibility_check_uses_indexes() -> None:
    sql, params = _statement_fingerprint.sql(account_id=1, public_id=uuid.uuid4(), now=timezone.now())

    scans = _assert_indexed(sql, params, as_written=_statement_fingerprint.as_written)

    assert len(scans) >= 3  # entry by public id, its account link, its result (and what the page shows)


def test_the_dashboards_one_query_uses_indexes() -> None:
    sql, params = _dashboard_lines.sql(account_id=1, now=timezone.now())

    scans = _assert_indexed(sql, params, as_written=_dashboard_lines.as_written)

    # The account's links, each entry with its person, session, exam and centre, its result and verifications
    # (with their organisation and share link), and the result again in each visibility subquery.
    assert len(scans) >= 10


def test_loading_the_logged_in_user_with_their_account_uses_indexes() -> None:
    sql, _, _ = _user_with_account_sql()

    scans = _assert_indexed(sql, [1])

    assert len(scans) == 2  # the user by id, the account by user id


def test_the_verification_lookup_by_candidate_id_uses_an_index() -> None:
    from verification.selectors import entry_facts_read

    # The entry by its Candidate ID, then its person, exam and centre by primary key (one-row subqueries).
    sql, params = entry_facts_read(candidate_id="ABC123")

    scans = _assert_indexed(sql, params)
    tables = {table for _kind, table, _cond in scans}
    assert tables == {"centres_entry", "centres_candidate", "exams_examsession", "exams_exam", "centres_centre"}, scans


def test_the_release_jobs_due_results_query_uses_an_index() -> None:
    query = Result.objects.filter(status=Result.Status.READY, released_at__lte=timezone.now()).values_list("pk")

    _assert_indexed(*query.query.sql_with_params())


def test_the_outbox_claim_uses_an_index() -> None:
    query = OutgoingEmail.objects.filter(state=OutgoingEmail.State.QUEUED).values_list("pk")[:200]

    _assert_indexed(*query.query.sql_with_params())


def test_a_lookup_with_no_index_is_caught() -> None:
    """The check itself: a column in no index (a candidate's date of birth) is read whole."""
    from centres.models import Candidate

    query = Candidate.objects.filter(date_of_birth="2006-05-17").values_list("pk")

    with pytest.raises(AssertionError, match="read whole"):
        _assert_indexed(*query.query.sql_with_params())
