"""Small deterministic regressions for the embargo bugs found by tests/test_embargo_stateful.py (each fails today)."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from centres.services import certification_entry_create, unit_entries_set
from centres.tests.factories import DEFAULT_SECRET, EntryFactory, ExamSessionFactory, StaffMemberFactory
from certificates.models import CertificateAmendment, Document
from certificates.services import (
    certificate_amendment_issue,
    certificate_amendment_mark_returned,
    certificate_amendment_request,
    document_current,
)
from results.centre_files import results_file_read, results_files_latest, results_files_regenerate_all
from results.imports import RESULT_COLUMNS, results_import
from results.models import Result
from results.services import result_hold
from results.tests.factories import UK, result_for, unitised_qualification, unitised_series

pytestmark = pytest.mark.django_db


def _units(rows: list[tuple[object, str, int]]) -> str:
    lines = [",".join(RESULT_COLUMNS)] + [
        f"{e.candidate_id},{e.session.exam.code},{e.session.date},{unit},{raw}" for e, unit, raw in rows
    ]
    return "\n".join(lines) + "\n"


def test_a_later_series_unit_does_not_change_a_released_qualification_result() -> None:
    """Bug 1: results/unitised.py required_units_for(best=…) picks optional units from every series."""
    exam = unitised_qualification()
    january, june = unitised_series(exam, month=1), unitised_series(exam, month=6)
    first = EntryFactory(session=january)
    later = EntryFactory(session=june, person=first.person, centre=first.centre)
    unit_entries_set(entry=first, unit_codes=["F240", "F241", "F242"], actor=None)
    unit_entries_set(entry=later, unit_codes=["F243"], actor=None)
    february = dt.datetime(2026, 2, 1, 9, 0, tzinfo=UK)
    results_import(text=_units([(first, "F240", 45), (first, "F241", 8), (first, "F242", 30)]), now=february)
    certification_entry_create(entry=first, actor=None, now=february)
    assert (Result.objects.get(entry=first).grade, Result.objects.get(entry=first).overall_score) == (
        "Distinction",
        85 + 80 + 60,
    )

    # April: the January qualification is released; June's F243 (embargoed until August) is imported.
    results_import(text=_units([(later, "F243", 60)]), now=dt.datetime(2026, 4, 1, 9, 0, tzinfo=UK))

    result = Result.objects.get(entry=first)
    assert (result.grade, result.overall_score, result.version) == ("Distinction", 225, 1)


def test_a_held_result_leaves_the_centres_edi_file_at_once(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """Bug 2: centres/edi.py results_files_store writes once a day; result_hold never rewrites the stored files."""
    exam = unitised_qualification()
    june = unitised_series(exam, month=6)
    entry = EntryFactory(session=june)
    unit_entries_set(entry=entry, unit_codes=["F240"], actor=None)
    results_import(text=_units([(entry, "F240", 45)]), now=dt.datetime(2026, 8, 1, 9, 0, tzinfo=UK))
    release = dt.datetime(2026, 8, 12, 0, 1, tzinfo=UK)
    results_files_regenerate_all(now=release)

    with django_capture_on_commit_callbacks(execute=True):
        result_hold(result=Result.objects.get(entry=entry), actor=None, reason="malpractice investigation")
    results_files_regenerate_all(now=release + dt.timedelta(hours=2))  # the beat, later the same day

    unit_file = results_file_read(results_files_latest(centre=entry.centre, series=june)["unit"]).decode()
    rows = [line.split(",") for line in unit_file.splitlines()[1:]]
    assert rows and all(row[-1] == "Q" for row in rows if row[1] == entry.candidate_id), unit_file


def test_saving_a_unitised_series_keeps_the_restricted_release_to_centres() -> None:
    """Bug 3: results/services.py results_reschedule sets centre_released_at to Greatest(ready_at, window_start)."""
    exam = unitised_qualification()
    june = unitised_series(exam, month=6)
    entry = EntryFactory(session=june)
    unit_entries_set(entry=entry, unit_codes=["F240"], actor=None)
    results_import(text=_units([(entry, "F240", 45)]), now=dt.datetime(2026, 8, 1, 9, 0, tzinfo=UK))

    june.save()  # as the admin saves it, changing nothing

    result = Result.objects.get(entry=entry)
    assert result.centre_released_at == dt.datetime(2026, 8, 12, 0, 1, tzinfo=UK)
    assert result.released_at == dt.datetime(2026, 8, 13, 8, 0, tzinfo=UK)


def test_a_corrected_name_shows_to_verifiers_not_only_on_the_certificate() -> None:
    """Bug 4: certificates/selectors.py printed_name is used for documents only; verification (selectors.py
    EntryFacts / entry_facts_matching_secret) and the statement page read entry.person."""
    now = timezone.now()
    session = ExamSessionFactory(
        date=(now - dt.timedelta(days=40)).date(),
        window_start=now - dt.timedelta(days=2),
        window_end=now + dt.timedelta(days=12),
    )
    entry = EntryFactory(session=session, person__first_name="Amelai", person__last_name="Brown")
    result = result_for(entry, released_at=now - dt.timedelta(hours=1))
    staff = StaffMemberFactory(centre=entry.centre)
    certificate = document_current(result=result, kind=Document.Kind.CERTIFICATE)
    amendment = certificate_amendment_request(
        certificate=certificate,
        actor=staff.user,
        reason=CertificateAmendment.Reason.MISSPELLING,
        corrected_first_name="Amelia",
        corrected_last_name="Brown",
    )
    certificate_amendment_mark_returned(amendment=amendment, actor=staff.user)
    certificate_amendment_issue(amendment=amendment, actor=staff.user)

    body = (
        Client()
        .post(
            "/api/v1/verifications",
            data=json.dumps({"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET}),
            content_type="application/json",
        )
        .json()
    )
    assert body["candidate_name"] == "Amelia Brown"
