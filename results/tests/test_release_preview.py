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
