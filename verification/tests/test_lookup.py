"""verification_lookup: the lean entry lookup and results read keep the guard's and the embargo's promises."""

import datetime as dt
import json
from typing import Any
from unittest.mock import patch

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuthFailure
from centres.models import Entry
from centres.selectors import entries_with_details
from centres.tests.factories import DEFAULT_SECRET, CentreFactory, EntryFactory, ExamSessionFactory
from results.models import Result
from results.tests.factories import UK, result_for
from verification import selectors
from verification.models import Verification
from verification.selectors import NOT_YET_RELEASED, PENDING, EntryFacts, entry_facts_matching_secret, entry_verified

from .conftest import pending_entry, released_entry, session_with_window

pytestmark = pytest.mark.django_db

URL = "/api/v1/verifications"
WRONG = "0000" if DEFAULT_SECRET != "0000" else "1111"


def _post(client: Client, candidate_id: str, secret_number: str = DEFAULT_SECRET) -> Any:
    body = json.dumps({"candidate_id": candidate_id, "secret_number": secret_number})
    return client.post(URL, data=body, content_type="application/json")


def test_a_result_is_shown_from_its_release_instant_and_not_a_microsecond_before(client: Client) -> None:
    release = timezone.now() + dt.timedelta(hours=1)
    entry = EntryFactory(session=session_with_window(opened_days_ago=-1))
    result_for(entry, released_at=release, status=Result.Status.READY)

    with patch("django.utils.timezone.now", return_value=release - dt.timedelta(microseconds=1)):
        before = _post(client, entry.candidate_id).json()["results"][0]
    with patch("django.utils.timezone.now", return_value=release):
        at = _post(client, entry.candidate_id).json()["results"][0]

    assert (before["status"], before["result"], before["overall_score"], before["components"]) == (
        NOT_YET_RELEASED,
        None,
        None,
        None,
    )
    assert (at["status"], at["result"]) == ("released", "Grade B")


def test_a_result_held_after_release_is_not_shown(client: Client) -> None:
    entry = released_entry()
    Result.objects.filter(entry=entry).update(status=Result.Status.HELD)

    facts = _post(client, entry.candidate_id).json()["results"][0]

    assert (facts["status"], facts["result"], facts["overall_score"]) == (NOT_YET_RELEASED, None, None)


def test_a_withdrawn_entry_answers_like_a_wrong_secret_number(client: Client) -> None:
    withdrawn = released_entry(status=Entry.Status.WITHDRAWN)
    other = released_entry()

    refused = _post(client, withdrawn.candidate_id)
    wrong = _post(client, other.candidate_id, WRONG)

    assert refused.status_code == wrong.status_code == 404
    assert refused.content == wrong.content
    assert AuthFailure.objects.filter(identifier=withdrawn.candidate_id).count() == 1
    assert not Verification.objects.exists()


def test_an_unknown_id_is_compared_with_a_dummy_hash_like_a_wrong_secret() -> None:
    entry = EntryFactory()

    with patch.object(selectors, "secret_number_matches", wraps=selectors.secret_number_matches) as compared:
        assert entry_facts_matching_secret(candidate_id="ZZZ999999", secret_number=DEFAULT_SECRET) is None
        assert entry_facts_matching_secret(candidate_id=entry.candidate_id, secret_number=WRONG) is None

    assert compared.call_count == 2, "both answers cost one keyed hash"
    dummy = compared.call_args_list[0].kwargs["secret_hash"]
    assert dummy.split("$")[0] == entry.secret_hash.split("$")[0], "the dummy is a hash of the same kind"


def test_the_lookup_gives_the_facts_of_the_entry() -> None:
    results_by = dt.datetime(2026, 7, 31, 23, 59, tzinfo=UK)
    entry = EntryFactory(
        candidate_id="SIR094701",
        person__first_name="Ana",
        person__last_name="López García",
        person__centre=CentreFactory(number="GB777", name="Escuela Sol"),
        session=ExamSessionFactory(
            date=dt.date(2026, 6, 13), window_start=dt.datetime(2026, 7, 18, tzinfo=UK), window_end=results_by
        ),
    )

    found = entry_facts_matching_secret(candidate_id=" sir094701 ", secret_number=DEFAULT_SECRET)

    assert found == EntryFacts(
        entry_id=entry.pk,
        candidate_id="SIR094701",
        candidate_name="Ana López García",
        exam_code="FCE",
        exam_name="B2 First",
        verifiable=True,
        session_date=dt.date(2026, 6, 13),
        results_by=results_by,
        centre_name="Escuela Sol",
        family="scale",
        ums_max_total=None,
    )


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (dt.timedelta(microseconds=-1), NOT_YET_RELEASED),
        (dt.timedelta(0), NOT_YET_RELEASED),
        (dt.timedelta(microseconds=1), PENDING),
    ],
)
def test_pending_starts_just_after_the_windows_end(offset: dt.timedelta, expected: str) -> None:
    entry = entries_with_details().get(pk=pending_entry().pk)
    moment = entry.session.window_end + offset

    status = entry_verified(entry=EntryFacts.of(entry), now=moment).results[0].status

    assert status == expected


def test_several_entries_are_read_in_one_query(django_assert_num_queries: Any) -> None:
    entries = [released_entry(), released_entry(), pending_entry()]
    facts = [EntryFacts.of(entry) for entry in entries_with_details().filter(pk__in=[e.pk for e in entries])]

    with django_assert_num_queries(1):
        selectors.entries_verified(entries=[f for f in facts if f.entry_id != entries[2].pk])  # the released two
    # An entry without a visible result costs one query more for all of them (is it a result under review?).
    with django_assert_num_queries(2):
        verified = selectors.entries_verified(entries=facts)

    assert sorted(v.results[0].status for v in verified.values()) == [PENDING, "released", "released"]
    assert all(len(v.results[0].components) == 5 for v in verified.values() if v.results[0].is_released)


@pytest.mark.parametrize("case", ["right", "wrong", "unknown", "withdrawn", "lower-case"])
def test_the_entry_read_with_the_guards_turn_matches_as_its_twin(case: str) -> None:
    """ADR 0010's parity: the guard's lookup (the entry read in the turn's query string, then compared) gives
    what ``entry_facts_matching_secret`` (its twin, run by ``verify`` off PostgreSQL) gives, and fails alike."""
    from accounts.guard import GuardFailure

    entry = released_entry()
    if case == "withdrawn":
        Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.WITHDRAWN)
    candidate_id = {"unknown": "ZZZ999999", "lower-case": entry.candidate_id.lower()}.get(case, entry.candidate_id)
    secret = "0000" if case == "wrong" else DEFAULT_SECRET
    twin = entry_facts_matching_secret(candidate_id=candidate_id, secret_number=secret)

    with patch("verification.services.entry_facts_matching_secret", side_effect=AssertionError("twin called")):
        if twin is None:
            with pytest.raises(GuardFailure):
                _guarded_try(candidate_id, secret)
            assert case in {"wrong", "unknown", "withdrawn"}
            return
        found = _guarded_try(candidate_id, secret)

    assert found == twin
    assert case in {"right", "lower-case"} and found.entry_id == entry.pk


def _guarded_try(candidate_id: str, secret: str, *, after_match: Any = None) -> EntryFacts:
    """Try this Candidate ID and secret number through the guard, as a verification does."""
    from verification.services import _entry_guarded

    return _entry_guarded(
        candidate_id=candidate_id,
        secret_number=secret,
        ip="192.0.2.1",
        purpose="verify",
        allowance=1,
        after_match=after_match,
    )


ADVISORY_LOCKS = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"


def _advisory_locks_held() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(ADVISORY_LOCKS)
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_after_a_match_the_turn_is_held_until_the_commit_sent_with_the_callers_statements() -> None:
    """``Lookup.after_match`` runs inside the guard's transaction, still holding the Candidate ID's turn; the COMMIT
    it sends first ends the turn, and what follows it runs after (accounts/guard.py, ADR 0003)."""
    from django.db import connection

    entry = released_entry()
    seen: list[tuple[str, int, int]] = []

    def after_match(found: EntryFacts, end_of_turn: str) -> None:
        held = _advisory_locks_held()
        with connection.cursor() as cursor:
            cursor.execute("; ".join([end_of_turn, ADVISORY_LOCKS]))
            assert cursor.nextset()
            seen.append((end_of_turn, held, cursor.fetchone()[0]))

    found = _guarded_try(entry.candidate_id, DEFAULT_SECRET, after_match=after_match)

    assert found.entry_id == entry.pk
    assert seen == [("COMMIT", 1, 0)]
    assert _advisory_locks_held() == 0


@pytest.mark.django_db(transaction=True)
def test_an_after_match_that_does_not_end_the_guards_transaction_is_an_error() -> None:
    entry = released_entry()

    with pytest.raises(RuntimeError, match="did not end the guard's transaction"):
        _guarded_try(entry.candidate_id, DEFAULT_SECRET, after_match=lambda found, end_of_turn: None)
    assert _advisory_locks_held() == 0 and not AuthFailure.objects.exists()


@pytest.mark.parametrize("secret", ["wrong", "locked"])
@pytest.mark.django_db(transaction=True)
def test_after_match_is_not_called_for_a_failure_or_a_refusal(secret: str) -> None:
    from accounts.guard import GuardRefusal

    entry = released_entry()
    tries = 5 if secret == "locked" else 1
    called: list[EntryFacts] = []

    def record(found: EntryFacts, end_of_turn: str) -> None:
        called.append(found)

    for _ in range(tries):
        with pytest.raises(GuardRefusal):
            _guarded_try(entry.candidate_id, "0000" if DEFAULT_SECRET != "0000" else "1111", after_match=record)
    if secret == "locked":
        with pytest.raises(GuardRefusal):
            _guarded_try(entry.candidate_id, DEFAULT_SECRET, after_match=record)
    assert called == []
