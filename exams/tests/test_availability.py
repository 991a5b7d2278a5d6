"""Exams are offered between dates and in modes, each mode with its own dates: sessions and entries outside them are
refused, naming the last date the exam was offered (docs/domain.md §16). The dates are the catalogue's, from their
sources (public pages, or the board's decision)."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from centres.imports import entries_import
from centres.models import Entry
from centres.tests.factories import CentreFactory, ExamSessionFactory, csv_text, entry_row
from exams.availability import MODES, session_refusal
from exams.models import Exam, ExamMode, ExamSession
from exams.services import sessions_copy_to_next_year
from results.timetable import timetable_import
from results_portal.csvimport import ImportRejected

pytestmark = pytest.mark.django_db

TIMETABLE = "exam_code,session_date,mode\n"
UK = zoneinfo.ZoneInfo("Europe/London")


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

    assert refusal == "Delta Module One is not offered in the computer-based mode: its modes are paper-based."
    assert session_refusal(exam=Exam.objects.get(code="DELTA1"), day=_next_year(), mode="paper") is None


@pytest.mark.parametrize(
    ("code", "day", "mode", "expected"),
    [
        # Paper-based A2 Key: last offered on 30 June 2026 (the board's decision, docs/domain.md §16.2).
        ("KET", dt.date(2026, 6, 30), "paper", None),
        (
            "KET",
            dt.date(2026, 7, 1),
            "paper",
            "A2 Key is not offered in the paper-based mode after 30 June 2026: the last date it was offered in that "
            "mode is 30 June 2026. On that date it is offered in these modes: computer-based, digital.",
        ),
        ("KET", dt.date(2026, 7, 1), "computer", None),
        ("KET", dt.date(2026, 7, 1), "digital", None),
        # A2 Key for Schools stays paper-based (Cambridge English's A2 Key pages).
        ("KETS", dt.date(2026, 7, 1), "paper", None),
        # Digital: the Cambridge English Qualifications, not the Business Certificates nor the legacy exams.
        ("FCE", dt.date(2027, 3, 13), "digital", None),
        ("CPE", dt.date(2027, 3, 13), "digital", None),
        (
            "BECP",
            dt.date(2027, 3, 13),
            "digital",
            "B1 Business Preliminary is not offered in the digital mode: its modes are paper-based, computer-based.",
        ),
        ("ICFE", dt.date(2015, 6, 13), "digital", "is not offered in the digital mode"),
        ("BECP", dt.date(2027, 3, 13), "computer", None),
    ],
)
def test_each_mode_has_its_own_dates_and_digital_is_offered_where_the_exam_has_it(
    code: str, day: dt.date, mode: str, expected: str | None
) -> None:
    refusal = session_refusal(exam=Exam.objects.get(code=code), day=day, mode=mode)

    if expected is None:
        assert refusal is None
    else:
        assert refusal is not None and expected in refusal


def test_a_mode_with_a_first_date_refuses_sessions_before_it_and_an_exam_without_modes_takes_every_mode() -> None:
    exam = Exam.objects.create(code="NEWX", name="New exam")
    assert {session_refusal(exam=exam, day=_next_year(), mode=mode) for mode in ExamSession.Mode.values} == {None}

    ExamMode.objects.create(exam=exam, mode="digital", offered_from=dt.date(2030, 1, 6))
    exam = Exam.objects.prefetch_related(MODES).get(pk=exam.pk)

    assert session_refusal(exam=exam, day=dt.date(2030, 1, 5), mode="digital") == (
        "New exam was first offered in the digital mode on 6 January 2030: no session in that mode before that date."
    )
    assert session_refusal(exam=exam, day=dt.date(2030, 1, 6), mode="digital") is None
    assert "its modes are digital" in str(session_refusal(exam=exam, day=dt.date(2030, 1, 6), mode="paper"))


def test_a_mode_whose_last_date_comes_before_its_first_is_refused() -> None:
    offer = ExamMode(
        exam=Exam.objects.get(code="FCE"),
        mode="paper",
        offered_from=dt.date(2030, 1, 6),
        offered_until=dt.date(2030, 1, 5),
    )
    with pytest.raises(ValidationError) as refused:
        offer.full_clean()
    assert refused.value.message_dict["offered_until"] == ["The last date in this mode comes before the first."]
    with pytest.raises(IntegrityError), transaction.atomic():
        offer.save()


def test_the_catalogue_names_the_source_of_each_mode_date() -> None:
    ket_paper = ExamMode.objects.get(exam__code="KET", mode="paper")

    assert ket_paper.offered_until == dt.date(2026, 6, 30)
    assert "Board's decision" in ket_paper.source
    assert set(ExamMode.objects.filter(mode="digital").values_list("exam__code", flat=True)) == {
        "KET",
        "KETS",
        "PET",
        "PETS",
        "FCE",
        "FCES",
        "CAE",
        "CPE",
    }
    assert list(ExamMode.objects.filter(exam__code="DELTA1").values_list("mode", flat=True)) == ["paper"]


def test_the_timetable_import_refuses_a_session_after_the_last_date_and_writes_nothing() -> None:
    text = TIMETABLE + f"FCE,{_next_year()},paper\nICFE,2017-05-10,paper\nDELTA1,{_next_year()},computer\n"

    with pytest.raises(ImportRejected) as rejected:
        timetable_import(text=text)

    messages = {(e.line, e.column): e.message for e in rejected.value.errors}
    assert "the last date it was offered is 31 December 2016" in messages[(3, "session_date")]
    assert "not offered in the computer-based mode" in messages[(4, "session_date")]
    assert not ExamSession.objects.exists()


def test_the_timetable_import_refuses_paper_based_key_after_june_2026_and_gives_digital_its_window() -> None:
    text = TIMETABLE + "KET,2026-06-27,paper\nKET,2026-07-04,paper\nKET,2026-07-04,digital\n"

    with pytest.raises(ImportRejected) as rejected:
        timetable_import(text=text)
    messages = {(e.line, e.column): e.message for e in rejected.value.errors}
    assert list(messages) == [(3, "session_date")]
    assert "the last date it was offered in that mode is 30 June 2026" in messages[(3, "session_date")]

    timetable_import(text=TIMETABLE + "KET,2026-06-27,paper\nKET,2026-07-04,digital\n")
    digital = ExamSession.objects.get(exam__code="KET", date=dt.date(2026, 7, 4), mode="digital")
    # Results 5–10 days after the exam: the window opens on 9 July and closes at the end of 14 July (UK time).
    assert timezone.localtime(digital.window_start) == dt.datetime(2026, 7, 9, 0, 0, tzinfo=UK)
    assert timezone.localtime(digital.window_end) == dt.datetime(2026, 7, 14, 23, 59, 59, tzinfo=UK)
    assert digital.get_mode_display() == "Digital"


def test_the_timetable_import_reads_every_exams_modes_in_one_query(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    lines = "".join(f"{code},2031-06-14,digital\n" for code in ("KET", "KETS", "PET", "PETS", "FCE", "CAE", "CPE"))
    refused = "BECP,2031-06-14,digital\nBECV,2031-06-14,digital\nBECH,2031-06-14,digital\nDELTA1,2031-06-14,digital\n"

    # the savepoint, the exams, their modes (one query for all), the sessions already there, the rollback, the release
    with django_assert_num_queries(6), pytest.raises(ImportRejected) as rejected:
        timetable_import(text=TIMETABLE + lines + refused)

    assert [error.line for error in rejected.value.errors] == [9, 10, 11, 12]


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


@pytest.mark.parametrize("copies", [2, 8])
def test_copy_to_next_year_leaves_out_paper_based_key_in_a_constant_number_of_queries(
    copies: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    ket = Exam.objects.get(code="KET")
    sessions = [
        ExamSessionFactory.create(exam=ket, date=dt.date(2026, 1, 10) + dt.timedelta(weeks=n), mode="paper")
        for n in range(copies)
    ]
    refused: list[str] = []

    # the savepoint, the sessions chosen, every exam's modes (one query), the sessions already there, the audit
    # record, the release: the same for 2 sessions and for 8
    with django_assert_num_queries(6):
        created, _already = sessions_copy_to_next_year(
            sessions=ExamSession.objects.filter(pk__in=[s.pk for s in sessions]).select_related("exam"),
            actor=None,
            refused=refused,
        )

    assert created == 0 and len(refused) == copies
    assert all("the last date it was offered in that mode is 30 June 2026" in reason for reason in refused)


def test_the_admin_gives_a_digital_session_its_window_and_refuses_digital_business_preliminary() -> None:
    with pytest.raises(ValidationError) as refused:
        ExamSession(exam=Exam.objects.get(code="BECP"), date=dt.date(2031, 6, 14), mode="digital").full_clean()
    assert "not offered in the digital mode" in str(refused.value)

    session = ExamSession(exam=Exam.objects.get(code="FCE"), date=dt.date(2031, 6, 14), mode="digital")
    session.full_clean()
    session.save()
    assert timezone.localtime(session.window_start) == dt.datetime(2031, 6, 19, 0, 0, tzinfo=UK)
    assert timezone.localtime(session.window_end) == dt.datetime(2031, 6, 24, 23, 59, 59, tzinfo=UK)


def test_the_exam_list_in_the_admin_shows_each_modes_dates(board_client: Client) -> None:
    page = board_client.get("/admin/exams/exam/").content.decode()

    assert "Paper-based until 2026-06-30, Computer-based, Digital" in page
    assert "Paper-based, Computer-based</td>" in page  # the Business Certificates: no digital mode
    ket = Exam.objects.get(code="KET")
    form = board_client.get(f"/admin/exams/exam/{ket.pk}/change/").content.decode()
    assert "Modes offered (none listed: every mode)" in form
    assert 'value="30/06/2026"' in form


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
    assert "Delta Module One is not offered in the computer-based mode" in messages[(3, "session_date")]
    assert not Entry.objects.exists()


def test_an_entry_for_paper_based_key_after_june_2026_is_refused_and_digital_key_is_entered() -> None:
    CentreFactory(number="GB900")
    ket = Exam.objects.get(code="KET")
    ExamSessionFactory(exam=ket, date=_next_year(), mode="paper")  # as old data may hold it
    ExamSessionFactory(exam=ket, date=_next_year(), mode="digital")
    day = _next_year().isoformat()
    rows = [
        entry_row(exam_code="KET", session_date=day, mode="paper"),
        entry_row(first_name="Wei", exam_code="KET", session_date=day, mode="digital"),
    ]

    with pytest.raises(ImportRejected) as rejected:
        entries_import(text=csv_text(rows))
    messages = {(e.line, e.column): e.message for e in rejected.value.errors}
    assert list(messages) == [(2, "session_date")]
    assert "A2 Key is not offered in the paper-based mode after 30 June 2026" in messages[(2, "session_date")]

    issued = entries_import(text=csv_text(rows[1:]))
    assert [(i.exam_code, i.mode, i.mode_label) for i in issued] == [("KET", "digital", "Digital")]
