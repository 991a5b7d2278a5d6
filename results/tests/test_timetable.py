"""The timetable import (``import_sessions`` and the admin upload) and copying sessions to next year."""

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent
from centres.tests.factories import EntryFactory, ExamSessionFactory
from exams.models import ExamSession
from exams.services import sessions_copy_to_next_year
from results.models import Result
from results.tests.factories import UK, result_for
from results.timetable import timetable_import
from results_portal.csvimport import ImportRejected

pytestmark = pytest.mark.django_db

HEADER = "exam_code,session_date,mode,window_start,window_end,centre_release_at,certification_closing_date"


def _file(*lines: str, header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def test_new_sessions_take_the_given_window_or_the_default() -> None:
    text = _file(
        "FCE,2031-06-14,paper,,,,",
        "cae,2031-06-21,COMPUTER,2031-07-01T09:00:00+01:00,2031-07-20T18:00:00+01:00,,",
    )

    summary = timetable_import(text=text)

    assert (summary.created, summary.updated, summary.unchanged) == (2, 0, 0)
    fce = ExamSession.objects.get(exam__code="FCE", date=dt.date(2031, 6, 14))
    # Paper: the window opens five weeks after the exam, at 00:00 UK time, and closes 13 days later at 23:59:59.
    assert fce.window_start == dt.datetime(2031, 7, 19, 0, 0, tzinfo=UK)
    assert fce.window_end == dt.datetime(2031, 8, 1, 23, 59, 59, tzinfo=UK)
    cae = ExamSession.objects.get(exam__code="CAE", date=dt.date(2031, 6, 21), mode="computer")
    assert cae.window_start == dt.datetime(2031, 7, 1, 8, 0, tzinfo=dt.UTC)
    assert cae.window_end == dt.datetime(2031, 7, 20, 17, 0, tzinfo=dt.UTC)
    assert AuditEvent.objects.filter(action="timetable.import").count() == 1


def test_a_reimport_changes_only_the_fields_it_gives() -> None:
    timetable_import(text=_file("FCE,2031-06-14,paper,2031-07-20T00:00:00+01:00,2031-08-02T23:59:59+01:00,,"))
    session = ExamSession.objects.get()

    again = timetable_import(text=_file("FCE,2031-06-14,paper,2031-07-20T00:00:00+01:00,,,"))
    moved = timetable_import(text=_file("FCE,2031-06-14,paper,,2031-08-09T23:59:59+01:00,,"))

    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert (moved.created, moved.updated, moved.unchanged) == (0, 1, 0)
    session.refresh_from_db()
    assert session.window_start == dt.datetime(2031, 7, 20, 0, 0, tzinfo=UK)
    assert session.window_end == dt.datetime(2031, 8, 9, 23, 59, 59, tzinfo=UK)


def test_moving_a_window_reschedules_its_unreleased_results() -> None:
    session = ExamSessionFactory(date=dt.date(2031, 6, 14), mode="paper")
    entry = EntryFactory(session=session)
    result_for(entry, released_at=session.window_start, status=Result.Status.READY)
    Result.objects.update(ready_at=timezone.now())

    timetable_import(text=_file("FCE,2031-06-14,paper,2031-07-25T08:00:00+01:00,,,"))

    assert Result.objects.get().released_at == dt.datetime(2031, 7, 25, 8, 0, tzinfo=UK)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("XYZ,2031-06-14,paper,,,,", "line 2, column exam_code: unknown exam code 'XYZ'"),
        ("FCE,14/06/2031,paper,,,,", "line 2, column session_date: '14/06/2031' is not a date in the form YYYY-MM-DD"),
        ("FCE,2031-02-30,paper,,,,", "line 2, column session_date: 2031-02-30 is not a real date"),
        ("FCE,2031-06-14,online,,,,", "line 2, column mode: 'online' is not a mode: use paper, computer, digital"),
        (
            "FCE,2031-06-14,paper,2031-07-20T00:00:00,,,",
            "line 2, column window_start: '2031-07-20T00:00:00' is not a date and time in ISO 8601 with its UTC "
            "offset, e.g. 2026-08-13T08:00:00+01:00",
        ),
        (
            "FCE,2031-06-14,paper,2031-07-20,,,",
            "line 2, column window_start: '2031-07-20' is not a date and time in ISO 8601",
        ),
        (
            "FCE,2031-06-14,paper,2031-07-20T00:00:00+01:00,2031-07-19T00:00:00+01:00,,",
            "line 2, column window_end: the release window closes (2031-07-19T00:00:00+01:00) before it opens "
            "(2031-07-20T00:00:00+01:00)",
        ),
        (
            "FCE,2031-06-14,paper,2031-07-20T08:00:00+01:00,,2031-07-20T09:00:00+01:00,",
            "line 2, column centre_release_at: the restricted release to centres (2031-07-20T09:00:00+01:00) is "
            "after the window opens (2031-07-20T08:00:00+01:00)",
        ),
        ("FCE,2031-06-14,paper,,,,2031-09-31", "line 2, column certification_closing_date: 2031-09-31 is not a real"),
    ],
)
def test_each_bad_line_is_named_and_nothing_is_written(line: str, expected: str) -> None:
    with pytest.raises(ImportRejected) as rejected:
        timetable_import(text=_file("CAE,2031-06-21,paper,,,,", line))

    assert [str(error) for error in rejected.value.errors][0].startswith(expected.replace("line 2", "line 3"))
    assert not ExamSession.objects.exists()


def test_a_session_twice_in_one_file_is_refused() -> None:
    with pytest.raises(ImportRejected) as rejected:
        timetable_import(text=_file("FCE,2031-06-14,paper,,,,", "fce,2031-06-14,Paper,,,,"))

    assert [str(error) for error in rejected.value.errors] == ["line 3: this session is already on line 2"]


def test_a_released_session_keeps_its_window_but_other_fields_may_change() -> None:
    session = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=60), mode="paper")
    result_for(EntryFactory(session=session), released_at=timezone.now() - dt.timedelta(days=1))
    day = session.date.isoformat()
    before = (session.window_start, session.window_end)

    with pytest.raises(ImportRejected) as rejected:
        timetable_import(text=_file(f"FCE,{day},paper,,2099-01-01T00:00:00+00:00,,"))
    summary = timetable_import(text=_file(f"FCE,{day},paper,,,,{(session.date + dt.timedelta(days=90)).isoformat()}"))

    assert [str(error) for error in rejected.value.errors] == [
        "line 2, column window_end: results of this session have already been released, so its release window "
        "and restricted release cannot change"
    ]
    session.refresh_from_db()
    assert (session.window_start, session.window_end) == before
    assert summary.updated == 1 and session.certification_closing_date == session.date + dt.timedelta(days=90)


def test_import_sessions_command_exits_1_with_every_bad_line(tmp_path: Path) -> None:
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(_file("XYZ,2031-06-14,paper,,,,", "FCE,2031-06-14,weekly,,,,"), encoding="utf-8")
    good.write_text("\ufeff" + _file("FCE,2031-06-14,paper,,,,", header="exam_code,session_date,mode"))
    err, out = StringIO(), StringIO()

    with pytest.raises(CommandError, match="2 problems found; nothing was written") as failed:
        call_command("import_sessions", str(bad), stderr=err)
    call_command("import_sessions", str(good), stdout=out)

    assert failed.value.returncode == 1
    assert err.getvalue().splitlines() == [
        "line 2, column exam_code: unknown exam code 'XYZ'",
        "line 3, column mode: 'weekly' is not a mode: use paper, computer, digital",
    ]
    assert out.getvalue().strip() == "1 sessions created, 0 updated, 0 unchanged."


def test_board_staff_upload_a_timetable_in_the_admin(board_client: Client) -> None:
    page = board_client.get("/admin/exams/examsession/")
    assert 'href="/admin/results/result/timetable-import/"' in page.content.decode()

    bad = SimpleUploadedFile("t.csv", _file("XYZ,2031-06-14,paper,,,,").encode(), content_type="text/csv")
    rejected = board_client.post("/admin/results/result/timetable-import/", {"file": bad})
    good = SimpleUploadedFile("t.csv", _file("FCE,2031-06-14,paper,,,,").encode(), content_type="text/csv")
    done = board_client.post("/admin/results/result/timetable-import/", {"file": good}, follow=True)

    assert "line 2, column exam_code: unknown exam code &#x27;XYZ&#x27;" in rejected.content.decode()
    assert "Timetable imported: 1 sessions created, 0 updated, 0 unchanged." in done.content.decode()
    assert ExamSession.objects.filter(exam__code="FCE", date=dt.date(2031, 6, 14)).exists()


def test_the_timetable_upload_needs_the_right_to_add_sessions(client: Client) -> None:
    from accounts.tests.factories import UserFactory
    from conftest import otp_login

    otp_login(client, UserFactory(username="viewer@example.org", is_staff=True))

    assert client.get("/admin/results/result/timetable-import/").status_code == 403


def test_copy_a_series_to_next_year(board_client: Client) -> None:
    leap: Any = ExamSessionFactory(date=dt.date(2032, 2, 29), mode="computer")
    series: Any = ExamSessionFactory(
        date=dt.date(2031, 6, 10),
        mode="paper",
        window_start=dt.datetime(2031, 8, 13, 8, 0, tzinfo=UK),
        window_end=dt.datetime(2031, 9, 30, 23, 59, tzinfo=UK),
        centre_release_at=dt.datetime(2031, 8, 12, 0, 1, tzinfo=UK),
        certification_closing_date=dt.date(2031, 9, 24),
    )

    response = board_client.post(
        "/admin/exams/examsession/",
        {"action": "copy_to_next_year", "_selected_action": [leap.pk, series.pk]},
        follow=True,
    )
    again = sessions_copy_to_next_year(sessions=[leap, series], actor=None)

    assert "2 session(s) created for next year; 0 were already there." in response.content.decode()
    assert again == (0, 2)
    copied = ExamSession.objects.get(date=dt.date(2033, 2, 28))
    assert (copied.mode, copied.window_start) == ("computer", dt.datetime(2033, 3, 14, 0, 0, tzinfo=UK))
    summer = ExamSession.objects.get(date=dt.date(2032, 6, 10))
    assert (summer.centre_release_at, summer.window_start, summer.certification_closing_date) == (
        dt.datetime(2032, 8, 12, 0, 1, tzinfo=UK),
        dt.datetime(2032, 8, 13, 8, 0, tzinfo=UK),
        dt.date(2032, 9, 24),
    )


def test_the_enquiry_deadline_is_an_optional_column_that_a_released_session_may_change() -> None:
    session = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=61), mode="paper")
    result_for(EntryFactory(session=session), released_at=timezone.now() - dt.timedelta(days=1))
    day, deadline = session.date.isoformat(), timezone.localdate() + dt.timedelta(days=25)
    header = f"{HEADER},enquiry_deadline"

    summary = timetable_import(text=_file(f"FCE,{day},paper,,,,,{deadline.isoformat()}", header=header))
    with pytest.raises(ImportRejected) as rejected:
        timetable_import(text=_file(f"FCE,{day},paper,,,,,next week", header=header))
    untouched = timetable_import(text=_file(f"FCE,{day},paper,,,,"))  # a file without the column keeps it

    session.refresh_from_db()
    assert summary.updated == 1 and session.enquiry_deadline == deadline
    assert [error.column for error in rejected.value.errors] == ["enquiry_deadline"]
    assert untouched.unchanged == 1 and session.enquiry_deadline == deadline
