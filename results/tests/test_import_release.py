"""Results day: import, release at the window instant, 'Q' after it, amendments after release."""

import datetime as dt
import re
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import AuditEvent
from centres.tests.factories import EntryFactory, ExamSessionFactory
from results.imports import RESULT_COLUMNS, ImportRejected, results_import
from results.models import ComponentScore, OutgoingEmail, Result, ResultAmendment, ResultEvent
from results.selectors import Audience, entry_is_pending, results_visible
from results.services import HOLD_REASON_REQUIRED, result_hold, result_unhold, results_release_due
from results.tests.factories import FCE_SCORES, account_for

pytestmark = pytest.mark.django_db

HEADER = ",".join(RESULT_COLUMNS)


def _csv(*entries: Any, scores: dict[str, int] | None = None) -> str:
    lines = [HEADER]
    for entry in entries:
        for component, score in (scores or FCE_SCORES).items():
            lines.append(f"{entry.candidate_id},{entry.session.exam.code},{entry.session.date},{component},{score}")
    return "\n".join(lines) + "\n"


def _open_session(days_ago: int = 1, **kwargs: Any) -> Any:
    """A paper-based FCE session whose release window opened ``days_ago`` days ago."""
    today = timezone.localdate()
    return ExamSessionFactory(date=today - dt.timedelta(days=35 + days_ago), mode="paper", **kwargs)


def _future_session() -> Any:
    return ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=3), mode="paper")


def test_import_grades_through_the_grading_engine() -> None:
    entry = EntryFactory(session=_open_session())

    summary = results_import(text=_csv(entry))

    result = Result.objects.get(entry=entry)
    assert (summary.created, summary.replaced, summary.amended) == (1, 0, 0)
    assert (result.overall_score, result.grade, result.cefr_level, result.certificate) == (176, "Grade B", "B2", True)
    assert ComponentScore.objects.filter(result=result).count() == 5
    assert result.status == Result.Status.READY


def test_import_query_count_does_not_grow_with_rows(django_assert_max_num_queries: Any) -> None:
    session = _open_session()
    small = [EntryFactory(session=session) for _ in range(3)]
    large = [EntryFactory(session=session) for _ in range(60)]

    with django_assert_max_num_queries(20):
        results_import(text=_csv(*small))
    with django_assert_max_num_queries(20):
        results_import(text=_csv(*large))
    assert Result.objects.count() == 63


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ZZZ999999,FCE,{date},reading,170", "line 2, column candidate_id: unknown Candidate ID ZZZ999999"),
        ("{cid},XYZ,{date},reading,170", "line 2, column exam_code: unknown exam XYZ"),
        ("{cid},CAE,{date},reading,170", "line 2, column exam_code: Candidate ID {cid} is entered for FCE, not CAE"),
        ("{cid},FCE,2001-01-01,reading,170", "line 2, column session_date: Candidate ID {cid} sat FCE on {date}"),
        ("{cid},FCE,{date},maths,170", "line 2, column component: 'maths' is not a component of B2 First"),
        ("{cid},FCE,{date},reading,abc", "line 2, column score: 'abc' is not a whole number"),
        ("{cid},FCE,{date},reading,195", "line 2, column score: score 195 is out of range for B2 First (0–190)"),
        ("{cid},FCE,31/12/2026,reading,170", "line 2, column session_date: '31/12/2026' is not a date"),
    ],
)
def test_bad_lines_are_named_and_nothing_is_written(line: str, expected: str) -> None:
    entry = EntryFactory(session=_open_session())
    good = _csv(entry).splitlines()[2:]  # the other four components
    text = "\n".join([HEADER, line.format(cid=entry.candidate_id, date=entry.session.date), *good]) + "\n"

    with pytest.raises(ImportRejected) as rejected:
        results_import(text=text)

    messages = [str(e) for e in rejected.value.errors]
    assert any(m.startswith(expected.format(cid=entry.candidate_id, date=entry.session.date)) for m in messages), (
        messages
    )
    assert not Result.objects.exists()


def test_duplicate_and_missing_components_are_reported() -> None:
    entry = EntryFactory(session=_open_session())
    lines = _csv(entry).splitlines()
    text = "\n".join([lines[0], lines[1], lines[1], lines[2]]) + "\n"

    with pytest.raises(ImportRejected) as rejected:
        results_import(text=text)

    messages = [str(e) for e in rejected.value.errors]
    assert (
        f"line 3, column component: a reading score for Candidate ID {entry.candidate_id} is also on line 2"
        in messages
    )
    assert any("has no writing, listening, speaking score" in m for m in messages)


def test_every_bad_line_is_reported_at_once() -> None:
    entry = EntryFactory(session=_open_session())
    text = _csv(entry).replace(",176\n", ",abc\n").replace(",180\n", ",999\n")

    with pytest.raises(ImportRejected) as rejected:
        results_import(text=text)

    assert [e.line for e in rejected.value.errors] == [2, 6]


def test_results_ready_before_the_window_are_released_exactly_at_its_start() -> None:
    session = _future_session()
    entry = EntryFactory(session=session)
    account = account_for(entry)
    results_import(text=_csv(entry))
    start = session.window_start
    audience = Audience.candidate(account.pk)

    assert not results_visible(audience=audience, now=start - dt.timedelta(seconds=1)).exists()
    assert results_visible(audience=audience, now=start).exists()
    assert results_release_due(now=start - dt.timedelta(seconds=1)) == 0
    assert mail.outbox == []
    assert results_release_due(now=start) == 1
    assert Result.objects.get().status == Result.Status.RELEASED


def test_results_ready_inside_the_window_are_released_as_soon_as_ready() -> None:
    entry = EntryFactory(session=_open_session(days_ago=3))
    account = account_for(entry)
    imported_at = timezone.now()

    results_import(text=_csv(entry), now=imported_at)

    assert Result.objects.get().released_at == imported_at
    assert results_visible(audience=Audience.candidate(account.pk), now=imported_at).exists()


def test_release_sends_one_email_per_candidate_however_often_it_runs(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    session = _open_session()
    entries = [EntryFactory(session=session) for _ in range(3)]
    for entry in entries[:2]:
        account_for(entry)
    account_for(entries[2], confirmed=False)
    results_import(text=_csv(*entries))

    with django_capture_on_commit_callbacks(execute=True):
        results_release_due()
        assert mail.outbox == [], "the emails wait for the release to commit"
    with django_capture_on_commit_callbacks(execute=True):
        results_release_due()
    Result.objects.update(status=Result.Status.READY)  # as if a second worker saw them before the first marked them
    with django_capture_on_commit_callbacks(execute=True):
        results_release_due()

    assert len(mail.outbox) == 2
    assert OutgoingEmail.objects.filter(state=OutgoingEmail.State.SENT).count() == 2
    for message in mail.outbox:
        assert not re.search(r"\b176\b", message.body) and "Grade B" not in message.body


def test_release_starts_with_a_small_batch_and_doubles_it_up_to_the_cap(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """The first emails are queued once a small first batch commits, not after a full one (results day)."""
    session = _open_session()
    entries = [EntryFactory(session=session) for _ in range(13)]
    for entry in entries:
        account_for(entry)
    results_import(text=_csv(*entries))

    with (
        mock.patch("results.services.RELEASE_FIRST_BATCH_SIZE", 2),
        mock.patch("results.services.RELEASE_BATCH_SIZE", 5),
        django_capture_on_commit_callbacks(execute=True),
    ):
        released = results_release_due()

    batches = (
        ResultEvent.objects.filter(kind=ResultEvent.Kind.RELEASED).order_by("pk").values_list("result_ids", flat=True)
    )
    assert released == 13
    assert [len(ids) for ids in batches] == [2, 4, 5, 2]
    assert sorted(pk for ids in batches for pk in ids) == sorted(Result.objects.values_list("pk", flat=True))
    assert len(mail.outbox) == 13


def test_q_after_the_window_end_without_a_result() -> None:
    session = _open_session(days_ago=20)  # the 14-day window closed 6 days ago
    entry = EntryFactory(session=session)

    assert entry_is_pending(entry=entry)
    assert not entry_is_pending(entry=entry, now=session.window_end - dt.timedelta(seconds=1))


def test_hold_hides_a_result_and_release_again_shows_it() -> None:
    entry = EntryFactory(session=_open_session())
    account = account_for(entry)
    results_import(text=_csv(entry))
    result = Result.objects.get()
    audience = Audience.candidate(account.pk)

    with pytest.raises(ValidationError) as refused:
        result_hold(result=result, actor=None, reason="")
    assert refused.value.messages == [HOLD_REASON_REQUIRED]
    result_hold(result=result, actor=None, reason="malpractice investigation")
    assert not results_visible(audience=audience).exists()
    assert results_release_due() == 0

    result_unhold(result=result, actor=None, reason="investigation closed")
    assert results_visible(audience=audience).exists()
    assert list(
        AuditEvent.objects.filter(action__startswith="result.").values_list("action", flat=True).order_by("at")
    ) == [
        "result.hold",
        "result.unhold",
    ]


def test_reimport_before_release_replaces_the_result_quietly() -> None:
    session = _future_session()
    entry = EntryFactory(session=session)
    account_for(entry)
    results_import(text=_csv(entry))

    summary = results_import(text=_csv(entry, scores={**FCE_SCORES, "reading": 190, "speaking": 190}))

    result = Result.objects.get()
    assert (summary.replaced, summary.amended) == (1, 0)
    assert (result.overall_score, result.version, result.amended_at) == (180, 1, None)
    assert result.released_at == session.window_start
    assert not ResultAmendment.objects.exists() and mail.outbox == []


def test_change_after_release_is_an_amendment_kept_in_history_and_told(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    entry = EntryFactory(session=_open_session())
    account_for(entry)
    results_import(text=_csv(entry))
    with django_capture_on_commit_callbacks(execute=True):
        results_release_due()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        summary = results_import(
            text=_csv(entry, scores={**FCE_SCORES, "reading": 190, "speaking": 190}), reason="clerical check"
        )

    result = Result.objects.get()
    amendment = ResultAmendment.objects.get()
    assert summary.amended == 1
    assert (result.overall_score, result.grade, result.version) == (180, "Grade A", 2)
    assert result.amended_at is not None
    assert (amendment.before["grade"], amendment.after["grade"], amendment.reason) == (
        "Grade B",
        "Grade A",
        "clerical check",
    )
    assert len(mail.outbox) == 1 and "amended" in mail.outbox[0].subject.lower()
    assert "Grade A" not in mail.outbox[0].body
    assert results_import(text=_csv(entry, scores={**FCE_SCORES, "reading": 190, "speaking": 190})).unchanged == 1


def test_moving_a_window_moves_unreleased_results_only() -> None:
    session = _future_session()
    entry = EntryFactory(session=session)
    results_import(text=_csv(entry))
    later = session.window_start + dt.timedelta(days=2)

    session.window_start = later
    session.save()

    assert Result.objects.get().released_at == later


def test_import_results_command(tmp_path: Path) -> None:
    entry = EntryFactory(session=_open_session())
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(_csv(entry))
    bad.write_text(_csv(entry).replace(",176\n", ",abc\n"))
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="1 problem found; nothing was written"):
        call_command("import_results", str(bad), stdout=out, stderr=err)
    assert "line 2, column score: 'abc' is not a whole number" in err.getvalue()
    call_command("import_results", str(good), stdout=out)
    assert "1 results created" in out.getvalue()
    call_command("release_due", stdout=out)
    assert "1 results released" in out.getvalue()


def test_release_due_is_not_fooled_by_a_clock_a_second_early() -> None:
    session = _future_session()
    entry = EntryFactory(session=session)
    account = account_for(entry)
    results_import(text=_csv(entry))
    with mock.patch("django.utils.timezone.now", return_value=session.window_start - dt.timedelta(seconds=1)):
        assert results_release_due() == 0
        assert not results_visible(audience=Audience.candidate(account.pk)).exists()


def test_board_staff_watch_a_release_live(
    board_client: Any, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    session = _open_session()
    entries = [EntryFactory(session=session) for _ in range(3)]
    for entry in entries:
        account_for(entry)
    results_import(text=_csv(*entries[:2]))

    page = board_client.get(f"/admin/results/result/release-progress/{session.pk}/")
    before = board_client.get(f"/admin/results/result/release-progress/{session.pk}/status").json()
    with django_capture_on_commit_callbacks(execute=True):
        results_release_due()
    after = board_client.get(f"/admin/results/result/release-progress/{session.pk}/status").json()

    assert page.status_code == 200 and "<progress" in page.content.decode()
    assert "2 of 3 results visible" in before["status_label"]
    assert before["finished"] is False
    assert (after["done"], after["total"], after["percent"], after["finished"]) == (2, 2, 100, True)
    assert "emails 2 sent" in after["status_label"]
