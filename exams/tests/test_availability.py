"""Exams are offered between dates and in modes: sessions and entries outside them are refused, naming the last
date the exam was offered (docs/domain.md §16). The dates are the catalogue's, from their public sources."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from centres.imports import entries_import
from centres.models import Entry
from centres.tests.factories import CentreFactory, ExamSessionFactory, csv_text, entry_row
from exams.availability import session_refusal
from exams.models import Exam, ExamSession
from exams.services import sessions_copy_to_next_year
from results.timetable import timetable_import
from results_portal.csvimport import ImportRejected

pytestmark = pytest.mark.django_db

TIMETABLE = "exam_code,session_date,mode\n"


def _next_year() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=365)


@pytest.mark.parametrize(
    ("code", "day", "expected"),
    [
        # ICFE: discontinued after December 2016.
        ("ICFE", dt.date(2016, 12, 31), None),
        ("ICFE", dt.date(2017, 1, 1), "the last date it was offered is 31 December 2016"),
        # ILEC: final session on 9 December 2016.
        ("ILEC", dt.date(2016, 12, 9), None),
        ("ILEC", dt.date(2016, 12, 10), "the last date it was offered is 9 December 2016"),
        # ICFE: first session in May 2007.
        ("ICFE", dt.date(2007, 4, 30), "was first offered on 1 May 2007"),
    ],
)
def test_the_offered_dates_come_from_the_catalogue(code: str, day: dt.date, expected: str | None) -> None:
    refusal = session_refusal(exam=Exam.objects.get(code=code), day=day, mode="paper")

    assert (refusal is None) if expected is None else (expected in str(refusal))


def test_a_mode_the_exam_is_not_offered_in_is_refused() -> None:
    refusal = session_refusal(exam=Exam.objects.get(code="DELTA1"), day=_next_year(), mode="computer")

    assert refusal == "Delta Module One is not offered computer-based: it is offered paper-based."
    assert session_refusal(exam=Exam.objects.get(code="DELTA1"), day=_next_year(), mode="paper") is None


def test_the_timetable_import_refuses_a_session_after_the_last_date_and_writes_nothing() -> None:
    text = TIMETABLE + f"FCE,{_next_year()},paper\nICFE,2017-05-10,paper\nDELTA1,{_next_year()},computer\n"

    with pytest.raises(ImportRejected) as rejected:
        timetable_import(text=text)

    messages = {(e.line, e.column): e.message for e in rejected.value.errors}
    assert "the last date it was offered is 31 December 2016" in messages[(3, "session_date")]
    assert "not offered computer-based" in messages[(4, "session_date")]
    assert not ExamSession.objects.exists()


def test_the_admin_refuses_a_new_session_but_keeps_an_old_one_editable() -> None:
    with pytest.raises(ValidationError) as refused:
        ExamSession(exam=Exam.objects.get(code="ILEC"), date=dt.date(2017, 6, 9), mode="paper").full_clean()
    assert "the last date it was offered is 9 December 2016" in str(refused.value)

    held = ExamSessionFactory(exam=Exam.objects.get(code="ILEC"), date=dt.date(2016, 6, 10), mode="paper")
    held.full_clean()  # a session already held stays editable (its window, say)


def test_copy_to_next_year_leaves_out_an_exam_no_longer_offered() -> None:
    ilec = ExamSessionFactory.create(exam=Exam.objects.get(code="ILEC"), date=dt.date(2016, 6, 10), mode="paper")
    first = ExamSessionFactory.create(exam=Exam.objects.get(code="FCE"), date=timezone.localdate(), mode="paper")
    refused: list[str] = []

    created, already = sessions_copy_to_next_year(sessions=[ilec, first], actor=None, refused=refused)

    assert (created, already) == (1, 0)
    assert refused == [
        "International Legal English Certificate (ILEC) is not offered after 9 December 2016: the last date it was "
        "offered is 9 December 2016."
    ]
    assert not ExamSession.objects.filter(exam__code="ILEC", date=dt.date(2017, 6, 10)).exists()


def test_an_entry_for_a_session_the_exam_is_not_offered_for_is_refused() -> None:
    CentreFactory(number="GB900")
    # Sessions as old data holds them (written before the rule, or imported as history).
    ExamSessionFactory(exam=Exam.objects.get(code="ICFE"), date=dt.date(2017, 5, 10), mode="paper")
    ExamSessionFactory(exam=Exam.objects.get(code="DELTA1"), date=_next_year(), mode="computer")
    rows = [
        entry_row(exam_code="ICFE", session_date="2017-05-10", mode="paper"),
        entry_row(exam_code="DELTA1", session_date=_next_year().isoformat(), mode="computer"),
    ]

    with pytest.raises(ImportRejected) as rejected:
        entries_import(text=csv_text(rows))

    messages = {(e.line, e.column): e.message for e in rejected.value.errors}
    assert "the last date it was offered is 31 December 2016" in messages[(2, "session_date")]
    assert "Delta Module One is not offered computer-based" in messages[(3, "session_date")]
    assert not Entry.objects.exists()
