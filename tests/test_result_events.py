"""One release rule and the domain events: every output follows a change to a result, nothing else changes.

Each test here failed before the change it guards (see each docstring): a later series leaking into a released
qualification, a held result left in a centre's stored files, a session save moving the restricted release, and
a corrected name reaching the certificate only.
"""

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import AuditEvent
from centres.models import Entry
from centres.services import certification_entry_create, unit_entries_set
from centres.tests.factories import DEFAULT_SECRET, EntryFactory, StaffMemberFactory
from certificates import services as documents
from certificates.models import Document
from certificates.tests.conftest import fake_pdf  # noqa: F401 - the fixture
from certificates.tests.factories import released_entry
from exams.models import ExamSession
from results.centre_files import results_file_read, results_files_latest, results_files_regenerate_all
from results.events import result_changed, result_event_dispatch, result_events_redispatch
from results.imports import RESULT_COLUMNS, results_import
from results.models import OutgoingEmail, Result, ResultAmendment, ResultEvent
from results.release import release_instants, release_instants_sql
from results.services import result_hold, result_unhold
from results.tests.factories import UK, account_for, unitised_qualification, unitised_series

pytestmark = pytest.mark.django_db

BEFORE_RESULTS = dt.datetime(2026, 8, 1, 9, 0, tzinfo=UK)
CENTRE_RELEASE = dt.datetime(2026, 8, 12, 0, 1, tzinfo=UK)
CANDIDATE_RELEASE = dt.datetime(2026, 8, 13, 8, 0, tzinfo=UK)
RESULTS_WEEK = dt.datetime(2026, 8, 20, 10, 0, tzinfo=UK)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _rows(rows: list[tuple[Entry, str, int]]) -> str:
    lines = [f"{e.candidate_id},{e.session.exam.code},{e.session.date},{unit},{raw}" for e, unit, raw in rows]
    return "\n".join([",".join(RESULT_COLUMNS), *lines]) + "\n"


def _june_cash_in() -> tuple[Entry, Any]:
    """A student with a June 2026 cash-in: F240 45 (85 UMS), F241 8 (80), F242 30 (60) → Distinction, 225."""
    exam = unitised_qualification()
    june = unitised_series(exam, month=6)
    entry = cast(Entry, EntryFactory(session=june))
    unit_entries_set(entry=entry, unit_codes=["F240", "F241", "F242"], actor=None)
    results_import(text=_rows([(entry, "F240", 45), (entry, "F241", 8), (entry, "F242", 30)]), now=BEFORE_RESULTS)
    certification_entry_create(entry=entry, actor=None, now=BEFORE_RESULTS)
    return entry, exam


# --- A later series never changes what an earlier one released ---------------------------------------------
def test_an_embargoed_later_unit_does_not_change_a_released_qualification(at: Callable[[dt.datetime], None]) -> None:
    """Before: F243 in January 2027 (not released) became the 'best optional unit' of June 2026's cash-in."""
    entry, exam = _june_cash_in()
    account_for(entry)
    result = Result.objects.get(entry=entry)
    assert (result.grade, result.overall_score) == ("Distinction", 225)
    documents.documents_render_for_results(result_ids=[result.pk])  # as on results day
    certificate = Document.objects.get(result=result, kind=Document.Kind.CERTIFICATE)
    january_2027 = unitised_series(exam, year=2027, month=1)
    later = cast(Entry, EntryFactory(session=january_2027, person=entry.person, centre=entry.centre))
    unit_entries_set(entry=later, unit_codes=["F243"], actor=None)
    mail.outbox.clear()

    in_february = dt.datetime(2027, 2, 1, 9, 0, tzinfo=UK)
    at(in_february)
    results_import(text=_rows([(later, "F243", 59)]), now=in_february)

    result.refresh_from_db()
    certificate.refresh_from_db()
    assert (result.grade, result.overall_score, result.version) == ("Distinction", 225, 1)
    june = str(result.entry.session.public_id)
    assert result.qualification["counted"] == {
        "F240": {"series": "June 2026", "series_id": june, "ums": 85},
        "F241": {"series": "June 2026", "series_id": june, "ums": 80},
        "F242": {"series": "June 2026", "series_id": june, "ums": 60},
    }
    assert not ResultAmendment.objects.filter(result=result).exists()
    assert certificate.status == Document.Status.CURRENT
    assert not OutgoingEmail.objects.filter(result=result, kind=OutgoingEmail.Kind.AMENDED).exists()


def test_a_change_to_a_released_qualification_is_an_amendment(
    at: Callable[[dt.datetime], None], django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    """A released qualification result changes only with a new version, the old values kept, the candidate told."""
    entry, _exam = _june_cash_in()
    account_for(entry)
    at(RESULTS_WEEK)
    result = Result.objects.get(entry=entry)

    with django_capture_on_commit_callbacks(execute=True):
        results_import(text=_rows([(entry, "F242", 59)]), now=RESULTS_WEEK, reason="Review of marking: F242")

    result.refresh_from_db()
    # F242 59 of 60: 80 UMS at the distinction boundary (40) + 19 of the 20 marks to 100 UMS → 99; total 264.
    assert (result.grade, result.overall_score, result.version) == ("Distinction*", 85 + 80 + 99, 2)
    (amendment,) = ResultAmendment.objects.filter(result=result)
    assert (amendment.version, amendment.reason) == (2, "Review of marking: F242")
    assert amendment.before["overall_score"] == 225 and amendment.after["overall_score"] == 264
    assert OutgoingEmail.objects.filter(result=result, kind=OutgoingEmail.Kind.AMENDED, result_version=2).count() == 1
    assert ResultEvent.objects.filter(kind=ResultEvent.Kind.AMENDED, handled_at__isnull=False).exists()


# --- A hold reaches the centre's stored files at once ---------------------------------------------------------
def test_a_hold_takes_the_result_out_of_the_stored_centre_files_at_once(
    at: Callable[[dt.datetime], None], django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    """Before: the stored unit and qualification files kept the held marks until the next daily build."""
    entry, _exam = _june_cash_in()
    at(RESULTS_WEEK)
    assert results_files_regenerate_all(now=RESULTS_WEEK) == 1
    centre, series = entry.centre, entry.session
    unit_file = results_file_read(results_files_latest(centre=centre, series=series)["unit"]).decode()
    assert f"{entry.candidate_id}," in unit_file and ",45,85,100,distinction,R" in unit_file

    with django_capture_on_commit_callbacks(execute=True):
        result_hold(result=Result.objects.get(entry=entry), actor=None, reason="Malpractice investigation")

    latest = results_files_latest(centre=centre, series=series)
    unit_file = results_file_read(latest["unit"]).decode()
    qualification_file = results_file_read(latest["qualification"]).decode()
    assert ",45," not in unit_file and ",85," not in unit_file and ",Q,Q" in unit_file
    fields = [field for row in csv.reader(io.StringIO(qualification_file)) for field in row]
    assert "225" not in fields and not any("Distinction" in field for field in fields)  # not the ID's digits

    with django_capture_on_commit_callbacks(execute=True):
        result_unhold(result=Result.objects.get(entry=entry), actor=None, reason="Cleared")

    unit_file = results_file_read(results_files_latest(centre=centre, series=series)["unit"]).decode()
    assert ",45,85,100,distinction,R" in unit_file


# --- One release rule; a save reschedules only when an instant moved ------------------------------------------
def test_saving_a_session_without_moving_its_window_keeps_the_restricted_release(
    at: Callable[[dt.datetime], None],
) -> None:
    """Before: any save in the admin moved the centres' 00:01 release to the candidates' 08:00."""
    entry, _exam = _june_cash_in()
    at(BEFORE_RESULTS)
    session = ExamSession.objects.get(pk=entry.session_id)

    session.certification_closing_date = dt.date(2026, 9, 25)
    session.save()

    result = Result.objects.get(entry=entry)
    assert (result.centre_released_at, result.released_at) == (CENTRE_RELEASE, CANDIDATE_RELEASE)
    assert not ResultEvent.objects.filter(kind=ResultEvent.Kind.RESCHEDULED).exists()


def test_moving_the_window_moves_each_audience_by_its_own_instant(at: Callable[[dt.datetime], None]) -> None:
    entry, _exam = _june_cash_in()
    at(BEFORE_RESULTS)
    session = ExamSession.objects.get(pk=entry.session_id)

    session.window_start = dt.datetime(2026, 8, 14, 8, 0, tzinfo=UK)
    session.save()

    result = Result.objects.get(entry=entry)
    assert result.centre_released_at == CENTRE_RELEASE
    assert result.released_at == dt.datetime(2026, 8, 14, 8, 0, tzinfo=UK)
    assert ResultEvent.objects.filter(kind=ResultEvent.Kind.RESCHEDULED, result_ids=[result.pk]).exists()


def test_a_window_moved_after_its_instant_takes_back_nothing_seen(at: Callable[[dt.datetime], None]) -> None:
    entry, _exam = _june_cash_in()
    at(dt.datetime(2026, 8, 12, 12, 0, tzinfo=UK))  # the centres have seen it, the candidates not yet
    session = ExamSession.objects.get(pk=entry.session_id)

    session.centre_release_at = dt.datetime(2026, 8, 13, 0, 1, tzinfo=UK)
    session.window_start = dt.datetime(2026, 8, 14, 8, 0, tzinfo=UK)
    session.save()

    result = Result.objects.get(entry=entry)
    assert result.centre_released_at == CENTRE_RELEASE  # already seen: kept
    assert result.released_at == dt.datetime(2026, 8, 14, 8, 0, tzinfo=UK)


@pytest.mark.parametrize(
    ("ready_at", "candidate", "centre"),
    [
        # Ready weeks before: the window's instants. Ready between the two: centres at once, candidates at 08:00.
        (BEFORE_RESULTS, CANDIDATE_RELEASE, CENTRE_RELEASE),
        (dt.datetime(2026, 8, 12, 15, 0, tzinfo=UK), CANDIDATE_RELEASE, dt.datetime(2026, 8, 12, 15, 0, tzinfo=UK)),
        (RESULTS_WEEK, RESULTS_WEEK, RESULTS_WEEK),
    ],
)
def test_the_release_rule_and_its_sql_twin_agree(ready_at: dt.datetime, candidate: Any, centre: Any) -> None:
    exam = unitised_qualification()
    session = unitised_series(exam, month=6)
    entry = cast(Entry, EntryFactory(session=session))
    Result.objects.create(entry=entry, grade="", ready_at=ready_at, released_at=ready_at, centre_released_at=ready_at)

    instants = release_instants(session=session, ready_at=ready_at)
    Result.objects.filter(entry=entry).update(**release_instants_sql(session=session))

    stored = Result.objects.get(entry=entry)
    assert (instants.candidate, instants.centre) == (candidate, centre)
    assert (stored.released_at, stored.centre_released_at) == (candidate, centre)


# --- A corrected name reaches every output --------------------------------------------------------------------
@pytest.mark.usefixtures("fake_pdf")
def test_a_corrected_name_reaches_the_statement_and_verification(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """Before: only the amended certificate printed the corrected name; the statement and verification kept it."""
    exam_date = timezone.localdate() - dt.timedelta(days=120)  # inside the two years whatever day this runs
    entry, result = released_entry(date=exam_date, first_name="Ana", last_name="Lopez")
    documents.documents_render_for_results(result_ids=[result.pk])
    certificate = Document.objects.get(result=result, kind=Document.Kind.CERTIFICATE)
    statement = Document.objects.get(result=result, kind=Document.Kind.STATEMENT)
    staff = StaffMemberFactory(centre=entry.centre).user
    amendment = documents.certificate_amendment_request(
        certificate=certificate,
        actor=staff,
        reason="misspelling",
        corrected_first_name="Ana",
        corrected_last_name="López",
        explanation="Accent missing",
    )
    documents.certificate_amendment_mark_returned(amendment=amendment, actor=staff)

    with django_capture_on_commit_callbacks(execute=True):
        documents.certificate_amendment_issue(amendment=amendment, actor=staff)

    entry.person.refresh_from_db()
    statement.refresh_from_db()
    assert entry.person.full_name == "Ana López"
    assert statement.status == Document.Status.SUPERSEDED
    assert Document.objects.get(result=result, kind=Document.Kind.STATEMENT, status="current").name_printed == (
        "Ana López"
    )
    (corrected,) = AuditEvent.objects.filter(action="candidate.name_corrected")
    assert (corrected.detail["before"], corrected.detail["after"]) == ("Ana Lopez", "Ana López")
    response = Client().post(
        "/api/v1/verifications",
        {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["candidate_name"] == "Ana López"
    page = Client().post("/verify/", {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET})
    assert "Ana López" in page.content.decode() and "Ana Lopez" not in page.content.decode()


# --- The events themselves --------------------------------------------------------------------------------------
def test_an_event_a_listener_failed_is_dispatched_again_until_handled(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _entry, result = released_entry()
    calls: list[tuple[str, list[int]]] = []
    failing = {"on": True}

    def listener(sender: object, event: str, result_ids: list[int], **kwargs: Any) -> None:
        calls.append((event, result_ids))
        if failing["on"]:
            raise RuntimeError("storage unavailable")

    result_changed.connect(listener, dispatch_uid="test-listener")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result_hold(result=result, actor=None, reason="checking")
        event = ResultEvent.objects.get(kind=ResultEvent.Kind.HELD)
        event.refresh_from_db()
        assert event.handled_at is None and "storage unavailable" in event.last_error and event.attempts == 1

        failing["on"] = False
        later = event.created_at + dt.timedelta(minutes=2)
        assert result_events_redispatch(now=later) == 1
        event.refresh_from_db()
        assert event.handled_at is not None and event.attempts == 2
        assert result_event_dispatch(event_id=event.pk) is True  # handled: not sent again
        assert calls == [("held", [result.pk]), ("held", [result.pk])]
    finally:
        result_changed.disconnect(dispatch_uid="test-listener")
