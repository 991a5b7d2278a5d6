"""The release preview for board staff: what the next release instant shows, per centre, with the emails."""

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from centres.tests.factories import CentreFactory, EntryFactory, ExamSessionFactory
from results.models import Result
from results.selectors import release_preview
from results.tests.factories import account_for, result_for

pytestmark = pytest.mark.django_db


def _ready(session: Any, *, at: dt.datetime, centre: Any, account: bool = False) -> None:
    entry = EntryFactory(session=session, person__centre=centre, centre=centre)
    if account:
        account_for(entry)
    result_for(entry, released_at=at, status=Result.Status.READY)


def test_the_next_release_instant_with_its_centres_and_emails(django_assert_max_num_queries: Any) -> None:
    now = timezone.now()
    session = ExamSessionFactory(date=timezone.localdate() + dt.timedelta(days=10), mode="paper")
    first, later = session.window_start, session.window_start + dt.timedelta(hours=5)
    north, south = CentreFactory(number="GB100"), CentreFactory(number="GB200")
    _ready(session, at=first, centre=north, account=True)
    _ready(session, at=first, centre=north)
    _ready(session, at=first, centre=south, account=True)
    _ready(session, at=later, centre=south)
    held = EntryFactory(session=session, person__centre=south, centre=south)
    result_for(held, released_at=first, status=Result.Status.HELD)
    EntryFactory(session=session, person__centre=north, centre=north)  # no result yet

    with django_assert_max_num_queries(5):
        [preview] = [p for p in release_preview(now=now) if p.session_id == session.pk]

    assert preview.next_release == first
    assert (preview.at_next_release, preview.emails_at_next_release) == (3, 2)
    assert (preview.waiting, preview.held, preview.missing, preview.entries) == (4, 1, 1, 6)
    assert [(c.centre_number, c.results, c.emails) for c in preview.centres] == [("GB100", 2, 1), ("GB200", 1, 1)]


def test_the_query_count_does_not_grow_with_sessions(django_assert_max_num_queries: Any) -> None:
    for days in range(5):
        session = ExamSessionFactory(date=timezone.localdate() + dt.timedelta(days=10 + days), mode="paper")
        _ready(session, at=session.window_start, centre=CentreFactory())

    with django_assert_max_num_queries(5):
        assert len([p for p in release_preview() if p.next_release is not None]) == 5


def test_board_staff_see_the_release_preview(board_client: Client) -> None:
    session = ExamSessionFactory(date=timezone.localdate() + dt.timedelta(days=10), mode="paper")
    _ready(session, at=session.window_start, centre=CentreFactory(number="GB300", name="Hill School"), account=True)

    page = board_client.get("/admin/results/result/release-preview/").content.decode()

    assert str(session) in page and "GB300 Hill School" in page
    assert f'href="/admin/results/result/release-progress/{session.pk}/"' in page


def test_the_release_timeline_is_cumulative_per_minute(django_assert_max_num_queries: Any) -> None:
    from results.models import OutgoingEmail
    from results.selectors import release_timeline

    session = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=40), mode="paper")
    start = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=30)
    for minute in (0, 0, 1, 5):
        entry = EntryFactory(session=session)
        result = result_for(entry, released_at=start + dt.timedelta(minutes=minute, seconds=20))
        if minute < 5:
            OutgoingEmail.objects.create(
                account=account_for(entry),
                result=result,
                kind="released",
                state="sent",
                sent_at=start + dt.timedelta(minutes=minute + 1, seconds=5),
            )
    held = result_for(EntryFactory(session=session), released_at=start, status=Result.Status.HELD)
    assert held.status == "held"
    now = start + dt.timedelta(minutes=30)

    with django_assert_max_num_queries(3):
        points = release_timeline(session_id=session.pk, now=now)

    minutes = [(round((p.at - start).total_seconds() / 60), p.visible, p.emails_sent) for p in points]
    assert minutes == [(0, 2, 0), (1, 3, 2), (2, 3, 3), (5, 4, 3), (30, 4, 3)]


def test_the_release_page_draws_the_timeline_and_lists_failures(board_client: Client) -> None:
    from results.models import OutgoingEmail

    session = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=40), mode="paper")
    entry = EntryFactory(session=session)
    result = result_for(entry, released_at=timezone.now() - dt.timedelta(hours=2))
    OutgoingEmail.objects.create(
        account=account_for(entry),
        result=result,
        kind="released",
        state="failed",
        attempts=5,
        last_error="550 mailbox unavailable",
    )

    page = board_client.get(f"/admin/results/result/release-progress/{session.pk}/").content.decode()

    assert 'class="timeline"' in page and "1 results visible, 0 emails sent" in page
    assert f"<td>{entry.candidate_id}</td><td>5</td><td>550 mailbox unavailable</td>" in page


def test_the_release_page_counts_the_pdfs_rendered(board_client: Client) -> None:
    from certificates.models import Document

    session = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=40), mode="paper")
    results = [result_for(EntryFactory(session=session), released_at=timezone.now()) for _ in range(3)]
    Document.objects.all().delete()  # whatever the release rendered on its own: the count below is ours
    for result, rendered in zip(results, (True, True, False), strict=True):
        Document.objects.create(
            result=result,
            kind="statement",
            result_version=1,
            name_printed="A B",
            rendered_at=timezone.now() if rendered else None,
        )

    page = board_client.get(f"/admin/results/result/release-progress/{session.pk}/").content.decode()

    assert "<dt>PDFs rendered (current statements and certificates)</dt><dd>2 of 3</dd>" in page
