"""POST /api/v1/verifications: the contract's bodies and statuses, keys, limits, audit, query counts."""

import json
from typing import Any
from unittest.mock import patch

import pytest
from django.test import Client
from django.utils import timezone

from accounts.guard import _lock_state_rows
from accounts.models import AuthFailure, CredentialLock
from centres.tests.factories import DEFAULT_SECRET
from results.tests.factories import FCE_SCORES
from results_portal.tests.redis_sent import commands, redis_round_trips
from verification.models import ApiKey, Verification
from verification.selectors import _entry_facts_rows, _visible_scores_of_one
from verification.services import api_key_create, api_key_revoke
from verification.tests.conftest import organisation, pending_entry, released_entry, unreleased_entry

pytestmark = pytest.mark.django_db

URL = "/api/v1/verifications"
WRONG = "0000" if DEFAULT_SECRET != "0000" else "1111"


def _post(client: Client, body: Any, **headers: str) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", headers=headers)


def test_released_result_has_the_contract_shape(client: Client) -> None:
    entry = released_entry()

    response = _post(client, {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "candidate_id": entry.candidate_id,
        "candidate_name": entry.person.full_name,
        "results": [
            {
                "exam_code": "FCE",
                "exam_name": "B2 First",
                "session_date": entry.session.date.isoformat(),
                "status": "released",
                "overall_score": 176,
                "result": "Grade B",
                "cefr_level": "B2",
                "components": FCE_SCORES,
            }
        ],
    }
    assert "Set-Cookie" not in response.headers and not response.cookies


@pytest.mark.parametrize(
    ("make", "status", "result"), [(pending_entry, "pending", "Q"), (unreleased_entry, "not_yet_released", None)]
)
def test_unreleased_states_have_nulls(client: Client, make: Any, status: str, result: str | None) -> None:
    entry = make()

    body = _post(client, {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET}).json()

    assert body["results"] == [
        {
            "exam_code": "FCE",
            "exam_name": "B2 First",
            "session_date": entry.session.date.isoformat(),
            "status": status,
            "overall_score": None,
            "result": result,
            "cefr_level": None,
            "components": None,
        }
    ]


def test_unknown_id_and_wrong_secret_are_identical_404s(client: Client) -> None:
    entry = released_entry()

    wrong = _post(client, {"candidate_id": entry.candidate_id, "secret_number": WRONG})
    unknown = _post(client, {"candidate_id": "ZZZ999999", "secret_number": WRONG})

    assert wrong.status_code == unknown.status_code == 404
    assert wrong.content == unknown.content
    assert wrong.json() == {
        "error": "The Candidate ID and secret number do not match our records. Check them with the candidate."
    }
    # The same headers, but for the clock's (never_cache's Expires names the second each answer was made in).
    assert _timeless(wrong.headers) == _timeless(unknown.headers)


def _timeless(headers: Any) -> list[tuple[str, str]]:
    return sorted((name, value) for name, value in headers.items() if name not in {"Expires", "Date"})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("not json", "body"),
        (b"\xff\xfe", "body"),
        ("[1, 2]", "body"),
        ("", "body"),
        ("[" * 2000 + "]" * 2000, "body"),
        ('{"candidate_id": "' + "A" * 5000 + '", "secret_number": "1234"}', "body"),
        ('{"candidate_id": "ABC123", "secret_number": "1234"' + " " * 3_000_000 + "}", "body"),
        ({}, "candidate_id"),
        ({"secret_number": "1234"}, "candidate_id"),
        ({"candidate_id": "ABC123"}, "secret_number"),
        ({"candidate_id": 12345, "secret_number": "1234"}, "candidate_id"),
        ({"candidate_id": None, "secret_number": "1234"}, "candidate_id"),
        ({"candidate_id": "ABC123", "secret_number": 1234}, "secret_number"),
        ({"candidate_id": "ABC123", "secret_number": "123"}, "secret_number"),
        ({"candidate_id": "ABC123", "secret_number": "12345"}, "secret_number"),
        ({"candidate_id": "ABC123", "secret_number": "12a4"}, "secret_number"),
        ({"candidate_id": "ABC123", "secret_number": "١٢٣٤"}, "secret_number"),
        ({"candidate_id": "ABC 123", "secret_number": "1234"}, "candidate_id"),
        ({"candidate_id": "", "secret_number": "1234"}, "candidate_id"),
        ({"candidate_id": "A" * 17, "secret_number": "1234"}, "candidate_id"),
        ({"candidate_id": "ABC123\n", "secret_number": "1234"}, "candidate_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client: Client, body: Any, field: str) -> None:
    response = _post(client, body)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["error"]


def test_bad_input_is_not_counted_as_a_guess(client: Client) -> None:
    from accounts.models import AuthFailure

    _post(client, {"candidate_id": "ABC123", "secret_number": "12"})

    assert not AuthFailure.objects.exists()


def test_only_post(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 405 and response["Allow"] == "POST" and "error" in response.json()


def test_lockout_and_throttle_answer_429_with_retry_after(client: Client, settings: Any) -> None:
    entry = released_entry()
    statuses = [
        _post(client, {"candidate_id": entry.candidate_id, "secret_number": WRONG}).status_code for _ in range(5)
    ]
    locked = _post(client, {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET})

    assert statuses == [404, 404, 404, 404, 429]
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 800
    assert "Too many unsuccessful attempts" in locked.json()["error"]

    settings.GUARD_IP_FAILURES = 2
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert [_post(other, {"candidate_id": f"X{n}", "secret_number": WRONG}).status_code for n in range(3)] == [
        404,
        404,
        429,
    ]


def test_api_key_raises_the_limit_and_is_audited(client: Client, settings: Any) -> None:
    settings.GUARD_IP_FAILURES = 2
    org = organisation(name="Acme Recruiting", allowance=5)
    _key, secret = api_key_create(organisation=org, name="HR system")
    auth = {"Authorization": f"Bearer {secret}"}

    statuses = [_post(client, {"candidate_id": f"K{n}", "secret_number": WRONG}, **auth).status_code for n in range(4)]
    entry = released_entry()
    ok = _post(client, {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET}, **auth)

    assert statuses == [404, 404, 404, 404]
    assert ok.status_code == 200
    row = Verification.objects.get(entry=entry)
    assert (row.channel, row.organisation_name) == ("api", "Acme Recruiting")
    assert ApiKey.objects.get().last_used_at is not None


@pytest.mark.parametrize("header", ["Bearer rpv_not-a-key", "Bearer ", "Basic dXNlcjpwYXNz", "rpv_x", "Bearer"])
def test_an_invalid_key_is_a_401(client: Client, header: str) -> None:
    entry = released_entry()

    response = _post(
        client, {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET}, Authorization=header
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "error" in response.json()
    assert not Verification.objects.exists()


def test_a_revoked_key_is_a_401(client: Client) -> None:
    org = organisation()
    key, secret = api_key_create(organisation=org, name="old")
    entry = released_entry()
    body = {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET}
    assert _post(client, body, Authorization=f"Bearer {secret}").status_code == 200

    api_key_revoke(organisation=org, public_id=key.public_id)

    assert _post(client, body, Authorization=f"Bearer {secret}").status_code == 401


def test_anonymous_lookups_are_audited_as_anonymous(client: Client) -> None:
    entry = released_entry()

    _post(client, {"candidate_id": entry.candidate_id.lower(), "secret_number": DEFAULT_SECRET})

    row = Verification.objects.get(entry=entry)
    assert (row.channel, row.organisation_id, row.organisation_name) == ("api", None, "")


def test_csrf_is_not_required(db: None) -> None:
    entry = released_entry()
    strict = Client(enforce_csrf_checks=True)

    response = _post(strict, {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET})

    assert response.status_code == 200


def _statements(captured: Any) -> list[str]:
    return [query["sql"].split()[0].upper() for query in captured.captured_queries]


def test_a_success_takes_five_statements_and_writes_only_the_audit_row(
    client: Client, django_assert_num_queries: Any
) -> None:
    entry = released_entry()
    body = {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET}

    # The guard's transaction (a savepoint in tests): the ID's turn, its lock state and the entry (one query
    # string). Then the visible result with its scores, and the audit row.
    with django_assert_num_queries(5) as captured:
        assert _post(client, body).status_code == 200

    sql = [query["sql"] for query in captured.captured_queries]
    assert _statements(captured) == ["SAVEPOINT", "SELECT", "RELEASE", "SELECT", "INSERT"]
    lock_state, entry_read = (plan.kept_plan().name for plan in (_lock_state_rows, _entry_facts_rows))
    assert lock_state in sql[1] and entry_read in sql[1]  # through their kept plans (results_portal/prepared.py)
    assert "verification_verification" in sql[-1]
    assert not any("FOR UPDATE" in statement for statement in sql), "no row lock on success"
    assert not CredentialLock.objects.exists() and not AuthFailure.objects.exists()


def test_an_api_key_adds_its_lookup_and_at_most_one_write_a_minute(
    client: Client, django_assert_num_queries: Any
) -> None:
    entry = released_entry()
    _key, secret = api_key_create(organisation=organisation(), name="k")
    body = {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET}

    with django_assert_num_queries(7):  # the key, noting its first use, then the five of a success
        assert _post(client, body, Authorization=f"Bearer {secret}").status_code == 200
    with django_assert_num_queries(6):
        assert _post(client, body, Authorization=f"Bearer {secret}").status_code == 200


@pytest.mark.parametrize("candidate_id", ["known", "ZZZ999999"])
def test_a_failure_takes_five_statements_for_an_unknown_id_as_for_a_wrong_secret(
    client: Client, django_assert_num_queries: Any, candidate_id: str
) -> None:
    entry = released_entry()
    body = {"candidate_id": entry.candidate_id if candidate_id == "known" else candidate_id, "secret_number": WRONG}

    # Turn, lock state and entry, count the failure, audit it; no results read, no Verification row.
    with django_assert_num_queries(5) as captured:
        assert _post(client, body).status_code == 404

    assert _statements(captured) == ["SAVEPOINT", "SELECT", "INSERT", "INSERT", "RELEASE"]
    assert not Verification.objects.exists()


def test_refusals_compare_nothing_and_write_nothing(
    client: Client, django_assert_num_queries: Any, settings: Any
) -> None:
    entry = released_entry()
    for _ in range(5):
        _post(client, {"candidate_id": entry.candidate_id, "secret_number": WRONG})
    body = {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET}

    # Turn, lock state and the entry read with them (one query string), rolled back; the secret number is not
    # compared with anything.
    with (
        patch("verification.selectors.secret_number_matches", side_effect=AssertionError("compared")) as compare,
        django_assert_num_queries(4) as captured,
    ):
        assert _post(client, body).status_code == 429
    assert not compare.called
    assert not any(query["sql"].startswith("INSERT") for query in captured.captured_queries)

    settings.GUARD_IP_FAILURES = 5
    with django_assert_num_queries(0):  # the network's throttle is read from the cache alone
        assert _post(client, {"candidate_id": "OTHER1", "secret_number": DEFAULT_SECRET}).status_code == 429
    assert AuthFailure.objects.count() == 5


def test_schema_is_openapi_31(client: Client) -> None:
    schema = client.get("/api/v1/schema").json()

    assert schema["openapi"].startswith("3.1")
    assert "/api/v1/verifications" in schema["paths"]


@pytest.mark.django_db(transaction=True)
def test_the_audit_row_alone_commits_without_waiting_for_the_disk(client: Client) -> None:
    """ADR 0013: the audit row's own transaction sets synchronous_commit off for itself only, then commits; both
    statements go to the server as one query string, outside any transaction of Django's (autocommit)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    entry = released_entry()
    body = {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET}

    with CaptureQueriesContext(connection) as captured:
        assert _post(client, body).status_code == 200

    sql = [query["sql"] for query in captured.captured_queries]
    # The guard's transaction (its BEGIN, the turn, lock state and entry in one query string; Django logs the
    # BEGIN it opened, which psycopg no longer sends), then one query string: the guard's COMMIT, the setting, the
    # visible result, the audit row. Django's own COMMIT after it finds the transaction over and sends nothing
    # (test_a_success_takes_two_round_trips_to_postgresql).
    assert sql[:2] == ["BEGIN", sql[1]] and sql[1].startswith("BEGIN; SELECT pg_advisory_xact_lock(")
    assert sql[3] == "COMMIT" and len(sql) == 4
    end_of_turn, setting, visible, insert = sql[2].split("; ", 3)
    assert end_of_turn == "COMMIT"
    assert setting == "SET LOCAL synchronous_commit TO OFF"
    assert visible.startswith(f"SELECT * FROM {_visible_scores_of_one.kept_plan().name}(")  # noqa: S608
    assert insert.startswith('INSERT INTO "verification_verification"')
    assert not any("synchronous_commit" in statement for statement in sql[:2])  # the guard's reads: untouched
    row = Verification.objects.get(entry=entry)  # committed
    assert (row.channel, row.organisation_id) == ("api", None)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"  # for that transaction only


def _round_trips(client: Client, body: dict[str, str]) -> tuple[int, list[str]]:
    """POST a verification; return its status and the query strings libpq sent to PostgreSQL (its protocol trace:
    one Query message per round trip, BEGIN and COMMIT included), each cut to its first 40 characters."""
    import tempfile

    from django.db import connection

    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        try:
            status = _post(client, body).status_code
        finally:
            pgconn.untrace()
        trace.seek(0)
        sent = [
            line.split("\tQuery\t", 1)[1].strip()[1:].removesuffix('"')[:40]
            for line in trace
            if "\tF\t" in line and "\tQuery\t" in line
        ]
    return status, [text for text in sent if text != "SELECT 1"]  # Django's health check of a kept connection


@pytest.mark.django_db(transaction=True)
def test_a_success_takes_two_round_trips_to_postgresql(client: Client) -> None:
    """The guard's BEGIN with its turn, lock state and entry; then its COMMIT sent ahead of the audit row's query
    string (the setting, the visible result, the INSERT): no round trip for the BEGIN or the COMMIT alone."""
    entry = released_entry()

    status, sent = _round_trips(client, {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET})

    assert status == 200
    assert [text.split(";")[0] for text in sent] == ["BEGIN", "COMMIT"], sent
    assert sent[0].startswith("BEGIN; SELECT pg_advisory_xact_lock(")
    assert sent[1].startswith("COMMIT; SET LOCAL synchronous_commit")
    assert Verification.objects.filter(entry=entry, channel="api").count() == 1
    assert not CredentialLock.objects.exists() and not AuthFailure.objects.exists()


@pytest.mark.django_db
def test_a_success_takes_one_round_trip_to_redis(client: Client) -> None:
    """The guard's throttle read carries the page's traffic count (results_portal.cache.writes_ahead)."""
    entry = released_entry()

    with redis_round_trips() as sent:
        response = _post(client, {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET})

    assert response.status_code == 200
    assert len(sent) == 1, sent
    assert [command[0] for command in commands(sent[0])] == [b"HINCRBY", b"EXPIRE", b"MGET"]


@pytest.mark.django_db(transaction=True)
def test_a_success_after_failures_commits_the_reset_durably_before_the_audit_row(client: Client) -> None:
    """A success that clears earlier failures writes in the guard's transaction: that COMMIT stays on its own
    (durable), and the audit row follows in its own query string as before."""
    entry = released_entry()
    _post(client, {"candidate_id": entry.candidate_id, "secret_number": WRONG})
    assert CredentialLock.objects.get().failures == 1

    status, sent = _round_trips(client, {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET})

    assert status == 200
    assert [text.split(";")[0].split(" ")[0] for text in sent] == ["BEGIN", "UPDATE", "COMMIT", "SET"], sent
    assert CredentialLock.objects.get().failures == 0
    assert Verification.objects.filter(entry=entry).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failure_still_writes_and_commits_in_the_guards_transaction(client: Client) -> None:
    entry = released_entry()

    status, sent = _round_trips(client, {"candidate_id": entry.candidate_id, "secret_number": WRONG})

    assert status == 404
    assert [text.split(" ")[0].rstrip(";") for text in sent] == ["BEGIN", "INSERT", "INSERT", "COMMIT"]
    assert sent[0].startswith("BEGIN; SELECT pg_advisory_xact_lock(")
    assert CredentialLock.objects.get().failures == 1 and AuthFailure.objects.count() == 1
    assert not Verification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_audit_rows_query_string_turns_synchronous_commit_off_for_its_own_transaction_only() -> None:
    """What PostgreSQL does with the query string: the SET LOCAL holds for the INSERT beside it, not after."""
    from django.db import connection

    from verification.services import NO_DISK_WAIT

    with connection.cursor() as cursor:
        cursor.execute(f"{NO_DISK_WAIT}; SELECT current_setting('synchronous_commit')")
        assert cursor.nextset()
        assert cursor.fetchone()[0] == "off"
        cursor.execute("SELECT current_setting('synchronous_commit')")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.django_db(transaction=True)
def test_the_audit_row_is_the_row_the_orm_writes(client: Client) -> None:
    """The INSERT is compiled by the ORM from the model: the row read back equals one made by ``save()``."""
    from verification.services import _verification_row_write

    entry = released_entry()
    org = organisation()
    at = timezone.now()

    written = _verification_row_write(entry_id=entry.pk, channel="api", organisation=org, at=at)

    stored = Verification.objects.get(pk=written.pk)
    assert (stored.entry_id, stored.at, stored.channel, stored.organisation_id, stored.organisation_name) == (
        entry.pk,
        at,
        "api",
        org.pk,
        org.name,
    )
    assert stored.share_link_id is None and not written._state.adding


def test_the_audit_rows_insert_kept_per_process_is_what_the_orm_compiles_for_each_row() -> None:
    """ADR 0010's parity for the INSERT compiled once (``_insert_sql``): the same text and values as the ORM's
    compiler gives for each row, with and without an organisation, whichever row was compiled first."""
    from verification.services import _insert_compiled, _insert_sql, _insert_texts, _verification_row

    entry = released_entry()
    org = organisation()
    rows = [
        _verification_row(entry_id=entry.pk, channel=channel, organisation=who, share_link=None, at=None)
        for channel, who in [("api", None), ("form", org), ("bulk", org), ("api", None)]
    ]
    _insert_texts.clear()
    for row in rows:
        assert _insert_sql(row) == _insert_compiled(row)
    assert len(_insert_texts) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("make_entry", "status"),
    [(released_entry, "released"), (unreleased_entry, "not_yet_released"), (pending_entry, "pending")],
)
def test_the_result_read_with_the_audit_row_is_the_one_read_on_its_own(
    client: Client, make_entry: Any, status: str
) -> None:
    """ADR 0010's parity: the answer from the rows read in the audit row's query string equals the answer of
    ``entry_verified`` reading them itself (its twin, and the path inside a caller's transaction)."""
    from django.utils import timezone as tz

    from verification.selectors import entry_facts_matching_secret, entry_verified
    from web.api.views import verified_json

    entry = make_entry()
    body = {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET}

    answer = _post(client, body)

    facts = entry_facts_matching_secret(candidate_id=entry.candidate_id, secret_number=DEFAULT_SECRET)
    assert facts is not None
    assert answer.status_code == 200
    (result,) = answer.json()["results"]
    assert result["status"] == status
    if status != "released":  # nothing of an embargoed or missing result
        assert (result["overall_score"], result["cefr_level"], result["components"]) == (None, None, None)
    assert answer.json() == verified_json(entry_verified(entry=facts, now=tz.now()))
    assert Verification.objects.filter(entry=entry).count() == 1
