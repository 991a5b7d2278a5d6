"""The hottest queries of results day are answered from indexes: their plans have no sequential scan.

PostgreSQL picks a sequential scan for the small tables of a test whatever the indexes, so each plan is asked
for with ``enable_seqscan = off``: the planner then avoids a sequential scan wherever an index can answer, and
a "Seq Scan" left in the plan means a lookup path with no index. The queries are the ones the code runs (the
same SQL, from the same functions), not copies. A query whose plan is kept in a function (results_portal/
prepared.py) is checked twice: planned for its values, as on a connection's first calls, and planned for any
values (PostgreSQL's generic plan), as the function runs it afterwards.
"""

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accounts.backends import _user_with_account_sql
from results.models import OutgoingEmail
from results.selectors import _statement_fingerprint
from results_portal.prepared import PreparedQuery, prepared_queries_made
from web.candidate.dashboard import _dashboard_lines

pytestmark = pytest.mark.django_db


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _plan(sql: str, params: list[Any] | tuple[Any, ...], *, generic: str = "") -> dict[str, Any]:
    """Return the root node of this query's plan (``generic``: the argument types of ``sql``, planned as a generic
    plan for any values: ``params`` unused)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        if generic:
            cursor.execute(f"PREPARE plan_check({generic}) AS {sql}")
            cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE plan_check({', '.join(['%s'] * len(params))})", params)
            row = cursor.fetchone()
            cursor.execute("DEALLOCATE plan_check")
        else:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            row = cursor.fetchone()
    plan = row[0] if isinstance(row[0], list) else json.loads(row[0])
    return plan[0]["Plan"]  # type: ignore[no-any-return]


def _scans(sql: str, params: list[Any] | tuple[Any, ...], *, generic: str = "") -> list[tuple[str, str, bool]]:
    """Return (node type, table or index, looked up by a condition) of every scan in the plan of this query."""
    return [
        (node["Node Type"], node.get("Relation Name", node.get("Index Name", "")), "Index Cond" in node)
        for node in _nodes(_plan(sql, params, generic=generic))
        if node["Node Type"] in {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Index Scan"}
    ]


def _sorts(sql: str, params: list[Any] | tuple[Any, ...]) -> list[str]:
    """Return the sort nodes (a sort, an incremental sort) of this query's plan."""
    return [node["Node Type"] for node in _nodes(_plan(sql, params)) if "Sort" in node["Node Type"]]


def _assert_indexed(
    sql: str, params: list[Any] | tuple[Any, ...], *, generic: str = ""
) -> list[tuple[str, str, bool]]:
    """Fail unless every table is reached through an index condition (not read whole, not an index read whole)."""
    scans = _scans(sql, params, generic=generic)
    assert scans, "the plan reads no table"
    whole = [scan for scan in scans if scan[0] == "Seq Scan" or not scan[2]]
    assert not whole, f"read whole (Seq Scan or an index without a condition): {whole}"
    return scans


def _assert_kept_plan_indexed(prepared: PreparedQuery, **values: Any) -> list[tuple[str, str, bool]]:
    """Fail unless the query uses indexes planned for these values and planned for any (its function's plan)."""
    scans = _assert_indexed(*prepared.sql(**values))
    plan = prepared.kept_plan()
    generic = _assert_indexed(plan.body, list(values.values()), generic=", ".join(plan.arguments))
    assert len(generic) == len(scans), (scans, generic)
    return generic


def test_the_statement_pages_visibility_check_uses_indexes() -> None:
    scans = _assert_kept_plan_indexed(_statement_fingerprint, account_id=1, public_id=uuid.uuid4(), now=timezone.now())

    assert len(scans) >= 3  # entry by public id, its account link, its result (and what the page shows)


def test_the_dashboards_one_query_uses_indexes() -> None:
    scans = _assert_kept_plan_indexed(_dashboard_lines, account_id=1, now=timezone.now())

    # The account's links, each entry with its person, session, exam and centre, its result and verifications
    # (with their organisation and share link), and the result again in each visibility subquery.
    assert len(scans) >= 10


def test_loading_the_logged_in_user_with_their_account_uses_indexes() -> None:
    sql, _, _ = _user_with_account_sql()

    scans = _assert_indexed(sql, [1])

    assert len(scans) == 2  # the user by id, the account by user id


def test_the_verification_lookup_by_candidate_id_uses_an_index() -> None:
    from verification.selectors import _entry_facts_rows

    # The entry by its Candidate ID, then its person, exam and centre by primary key (one-row subqueries).
    scans = _assert_kept_plan_indexed(_entry_facts_rows, candidate_id="ABC123")
    tables = {table for _kind, table, _cond in scans}
    assert tables == {"centres_entry", "centres_candidate", "exams_examsession", "exams_exam", "centres_centre"}, scans


def test_the_verification_apis_read_of_one_visible_result_uses_indexes() -> None:
    from verification.selectors import _visible_scores_of_one

    scans = _assert_kept_plan_indexed(_visible_scores_of_one, entry_id=1, now=timezone.now())

    assert {"results_result", "centres_entry", "exams_component"} <= {table for _kind, table, _cond in scans}, scans


def test_a_logins_account_by_candidate_id_uses_indexes() -> None:
    from candidates.services import _account_lookup

    scans = _assert_kept_plan_indexed(_account_lookup, candidate_id="ABC123")

    assert {"centres_entry", "candidates_candidateaccount"} <= {table for _kind, table, _cond in scans}, scans


def test_the_guards_lock_state_uses_an_index() -> None:
    from accounts.guard import _lock_state_rows

    _assert_kept_plan_indexed(_lock_state_rows, kind="login", identifier="ABC123")


def test_the_release_jobs_batch_of_due_results_is_read_in_an_indexs_order() -> None:
    """Indexed, and in the index's order: a sort would read every due result for each batch of 5 000."""
    from results.services import _due_results_batch

    query = _due_results_batch(moment=timezone.now())

    _assert_indexed(*query.query.sql_with_params())
    assert not _sorts(*query.query.sql_with_params())


def test_the_outbox_claim_uses_an_index() -> None:
    query = OutgoingEmail.objects.filter(state=OutgoingEmail.State.QUEUED).values_list("pk")[:200]

    _assert_indexed(*query.query.sql_with_params())


def test_a_lookup_with_no_index_is_caught() -> None:
    """The check itself: a column in no index (a candidate's date of birth) is read whole."""
    from centres.models import Candidate

    query = Candidate.objects.filter(date_of_birth="2006-05-17").values_list("pk")

    with pytest.raises(AssertionError, match="read whole"):
        _assert_indexed(*query.query.sql_with_params())


def test_migrate_kept_the_plans_of_the_request_paths() -> None:
    """The apps load their hot queries (``ready``) and the test database was migrated: each one's plan is kept."""
    from accounts.guard import _lock_state_rows
    from candidates.services import _account_lookup
    from results.selectors import _statement_fingerprint
    from verification.selectors import _entry_facts_rows, _visible_scores_of_one
    from web.candidate.dashboard import _dashboard_lines

    made = prepared_queries_made()
    for prepared in (
        _lock_state_rows,
        _account_lookup,
        _statement_fingerprint,
        _entry_facts_rows,
        _visible_scores_of_one,
        _dashboard_lines,
    ):
        assert prepared in made
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regprocedure(%s) IS NOT NULL", [prepared.kept_plan().signature])
            assert cursor.fetchone() == (True,), prepared.kept_plan().name
        sent, _params = prepared.query_string(**_sample(prepared))
        assert sent == prepared.kept_plan().call_sql()


def test_keep_plans_drop_others_drops_older_codes_functions_and_keeps_ours() -> None:
    from io import StringIO

    from django.core.management import call_command

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION portal_plan_00000000000000000000(bigint, timestamptz) RETURNS TABLE(c0 integer) "
            "LANGUAGE sql STABLE AS 'SELECT 1'"
        )
    out = StringIO()

    call_command("keep_plans", "--drop-others", stdout=out)

    assert "portal_plan_00000000000000000000(bigint,timestamp with time zone)" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'portal_plan_%%'")
        left = {row[0] for row in cursor.fetchall()}
    assert left == {prepared.kept_plan().name for prepared in prepared_queries_made()}


def _sample(prepared: PreparedQuery) -> dict[str, Any]:
    samples = {int: 1, str: "X", uuid.UUID: uuid.uuid4(), dt.datetime: timezone.now()}
    return {name: samples[kind] for name, kind in prepared._params.items()}
