"""First views drawn ahead (web/candidate/prerender.py): ready before the instant, served only after the check.

The pages are drawn when results become ready, for the release instant; before it the candidate gets exactly
what they got without them (404, a dashboard without the result), at it the stored page without drawing, and
what they get is the page the view draws itself, byte for byte apart from the CSRF tokens. A hold drops them.
"""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.backends import USER_WITH_ACCOUNT
from candidates.models import CandidateAccount
from centres.models import Entry
from results.imports import RESULT_COLUMNS, results_import
from results.models import Result, ResultEvent
from results.services import result_hold
from results_portal import pages
from web.candidate import prerender

from .test_statement_page import _account, _entry, _result

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _client(account: CandidateAccount) -> Client:
    client = Client()
    client.force_login(account.user, backend=USER_WITH_ACCOUNT)
    return client


def _at(moment: dt.datetime) -> Any:
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _not_drawn() -> Any:
    return mock.patch.object(pages, "render_to_string", side_effect=AssertionError("drawn in the request"))


def _waiting(
    language: str = "en", release: dt.datetime | None = None
) -> tuple[CandidateAccount, Entry, Result, dt.datetime]:
    """A candidate whose Grade B is ready, to be released in an hour (or at ``release``)."""
    account = _account()
    account.language = language
    account.save(update_fields=["language"])
    entry = _entry(account)
    release = release or timezone.now() + dt.timedelta(hours=1)
    result = _result(entry, released_at=release, status=Result.Status.READY)
    return account, entry, result, release


def test_pages_drawn_ahead_are_served_only_from_the_instant_and_without_drawing() -> None:
    account, entry, result, release = _waiting()
    client = _client(account)

    assert prerender.pages_prerender(result_ids=[result.pk]) == 2  # the statement and the dashboard

    with _at(release - dt.timedelta(seconds=1)):
        assert client.get(f"/results/{entry.public_id}/").status_code == 404
        assert "Grade B" not in client.get("/results/").content.decode()
    with _at(release), _not_drawn():
        statement = client.get(f"/results/{entry.public_id}/")
        dashboard = client.get("/results/")
    assert statement.status_code == dashboard.status_code == 200
    assert "Grade B" in statement.content.decode() and "Grade B" in dashboard.content.decode()
    for response in (statement, dashboard):
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(("language", "prefix"), [("en", ""), ("es", "/es"), ("zh-hans", "/zh-hans")])
def test_a_page_drawn_ahead_is_the_page_the_view_draws(language: str, prefix: str) -> None:
    account, entry, result, release = _waiting(language)
    client = _client(account)
    paths = (f"{prefix}/results/{entry.public_id}/", f"{prefix}/results/")
    prerender.pages_prerender(result_ids=[result.pk])

    with _at(release), _not_drawn():
        ahead = [client.get(path).content.decode() for path in paths]
    cache.clear()
    with _at(release):
        drawn = [client.get(path).content.decode() for path in paths]

    assert f'lang="{language}"' in ahead[0]
    for found, expected in zip(ahead, drawn, strict=True):
        assert TOKEN.search(found) is not None
        assert TOKEN.sub("", found) == TOKEN.sub("", expected)
        assert "csrf-" not in found  # every placeholder replaced by the visitor's own token


def test_another_candidate_never_gets_a_page_drawn_ahead() -> None:
    _owner, entry, result, release = _waiting()
    prerender.pages_prerender(result_ids=[result.pk])

    with _at(release):
        assert _client(_account()).get(f"/results/{entry.public_id}/").status_code == 404


def test_a_hold_drops_the_pages_drawn_ahead_and_nothing_is_served(
    django_capture_on_commit_callbacks: Callable[..., DjangoCaptureOnCommitCallbacks],
) -> None:
    account, entry, result, release = _waiting()
    prerender.pages_prerender(result_ids=[result.pk])
    index = pages.page_index_key(result.pk)
    listed = cache.get(index)
    assert len(listed) == 2 and all(cache.get(key) for key in listed)

    with django_capture_on_commit_callbacks(execute=True):
        result_hold(result=result, actor=None, reason="malpractice enquiry")

    assert cache.get(index) is None and not any(cache.get(key) for key in listed)
    with _at(release):
        assert _client(account).get(f"/results/{entry.public_id}/").status_code == 404
        assert "Grade B" not in _client(account).get("/results/").content.decode()


def test_an_amendment_draws_the_new_page_and_drops_the_old(
    django_capture_on_commit_callbacks: Callable[..., DjangoCaptureOnCommitCallbacks],
) -> None:
    account, entry, result, release = _waiting()
    prerender.pages_prerender(result_ids=[result.pk])
    old = cache.get_many(cache.get(pages.page_index_key(result.pk)))
    assert len(old) == 2
    Result.objects.filter(pk=result.pk).update(grade="Grade A", overall_score=185, version=2)

    with django_capture_on_commit_callbacks(execute=True):
        from results.events import result_event_record

        result_event_record(kind=ResultEvent.Kind.AMENDED, result_ids=[result.pk])

    # The statement's new page is kept where the old one was (its key is its URL's); neither old page is left.
    assert not any(cache.get(key) == page for key, page in old.items())
    with _at(release), _not_drawn():
        assert "Grade A" in _client(account).get(f"/results/{entry.public_id}/").content.decode()


def test_an_import_draws_the_first_views_of_its_results(
    django_capture_on_commit_callbacks: Callable[..., DjangoCaptureOnCommitCallbacks],
) -> None:
    account = _account()
    entry = _entry(account, days_ago=2)  # the window opens in the future: released at its opening
    line = f"{entry.candidate_id},{entry.session.exam.code},{entry.session.date},reading,176"
    scores = ["reading", "use_of_english", "writing", "listening", "speaking"]
    text = "\n".join([",".join(RESULT_COLUMNS), *(line.replace("reading,176", f"{skill},176") for skill in scores)])

    with django_capture_on_commit_callbacks(execute=True):
        results_import(text=text + "\n")

    result = Result.objects.get(entry=entry)
    assert ResultEvent.objects.filter(kind=ResultEvent.Kind.READY, result_ids=[result.pk]).exists()
    assert result.released_at is not None and result.released_at > timezone.now()
    with _at(result.released_at - dt.timedelta(seconds=1)):
        assert _client(account).get(f"/results/{entry.public_id}/").status_code == 404
    with _at(result.released_at), _not_drawn():
        page = _client(account).get(f"/results/{entry.public_id}/")
    assert page.status_code == 200


def test_drawing_ahead_reads_in_a_few_queries_whatever_the_number_of_candidates(
    django_assert_num_queries: Any,
) -> None:
    release = timezone.now() + dt.timedelta(hours=1)  # a few queries more for each other instant in a batch

    def waiting(count: int) -> list[int]:
        return [_waiting(release=release)[2].pk for _ in range(count)]

    few, many = waiting(1), waiting(5)
    with django_assert_num_queries(7) as counted:  # 8 before the dashboards were drawn from their lines
        prerender.pages_prerender(result_ids=few)
    with django_assert_num_queries(len(counted.captured_queries)):
        prerender.pages_prerender(result_ids=many)


def test_the_bulk_fingerprints_are_the_requests_own() -> None:
    """``statement_fingerprints`` (many entries, for the task) gives what ``statement_fingerprint`` (one request)
    gives at the same moment: the same key, and nothing for a held, withdrawn or not yet released result."""
    from results.selectors import statement_fingerprint, statement_fingerprints

    release = timezone.now() + dt.timedelta(hours=1)
    waiting = [_waiting(release=release) for _ in range(4)]
    held_result, withdrawn = waiting[1][2], waiting[2][1]
    result_hold(result=held_result, actor=None, reason="enquiry")
    Entry.objects.filter(pk=withdrawn.pk).update(status=Entry.Status.WITHDRAWN)
    later = _waiting(release=release + dt.timedelta(days=1))

    for moment in (release - dt.timedelta(seconds=1), release):
        bulk = statement_fingerprints(entry_ids=[w[1].pk for w in [*waiting, later]], now=moment)
        for account, entry, _held, _at_release in [*waiting, later]:
            one = statement_fingerprint(account_id=account.pk, public_id=entry.public_id, now=moment)
            assert repr(bulk.get(entry.pk)) == repr(one)  # the key is a digest of the repr
    assert set(bulk) == {waiting[0][1].pk, waiting[3][1].pk}


def test_the_bulk_dashboard_lines_are_the_requests_own() -> None:
    """``dashboard_lines_bulk`` (many accounts, for the task) gives each account the lines ``dashboard_lines`` (its
    request) reads at the same moment — the same key — whatever state its entries are in."""
    from verification.models import Verification
    from web.candidate.dashboard import dashboard_lines, dashboard_lines_bulk

    release = timezone.now() + dt.timedelta(hours=1)
    waiting = [_waiting(release=release) for _ in range(4)]
    result_hold(result=waiting[1][2], actor=None, reason="enquiry")
    Entry.objects.filter(pk=waiting[2][1].pk).update(status=Entry.Status.WITHDRAWN)
    account, _entry_released, _result_released, _at_release = waiting[3]
    older = _entry(account, days_ago=400)  # a second entry: released long ago, verified twice
    _result(older)
    for days in (1, 2):
        Verification.objects.create(
            entry=older, at=timezone.now() - dt.timedelta(days=days), channel=Verification.Channel.LINK
        )
    _entry(waiting[0][0], days_ago=30)  # no result yet, its window still to close
    out_then_held = _entry(waiting[0][0], days_ago=200)
    result_hold(result=_result(out_then_held), actor=None, reason="enquiry")
    accounts = [w[0] for w in waiting]
    entry_ids = [link.entry_id for a in accounts for link in a.links.all()]

    for moment in (release - dt.timedelta(seconds=1), release):
        bulk = dashboard_lines_bulk(entry_ids=entry_ids, now=moment)
        for account in accounts:
            one = dashboard_lines(account_id=account.pk, now=moment)
            assert bulk[account.pk] == one
            assert repr([line.shown for line in bulk[account.pk]]) == repr([line.shown for line in one])

    at_release = dashboard_lines_bulk(entry_ids=entry_ids, now=release)
    assert [(line.visible, line.under_review) for line in at_release[accounts[0].pk]] == [
        (False, False),  # the newest: waiting for its window (30 days ago)
        (True, False),  # released at the instant (70 days ago)
        (False, True),  # out, then held (200 days ago)
    ]
    assert [line.visible for line in at_release[accounts[1].pk]] == [False]  # held before the instant
    assert [line.visible for line in at_release[accounts[2].pk]] == [False]  # withdrawn
    assert [(line.visible, line.verified) for line in at_release[accounts[3].pk]] == [(True, False), (True, True)]
    assert len(at_release[accounts[3].pk][1].shown[-1]) == 2  # both verifications, newest first


# --- A moved release instant keeps what was drawn (the release-instant check of issue 22) -------------------------
def _move(result: Result, release: dt.datetime, capture: Callable[..., DjangoCaptureOnCommitCallbacks]) -> None:
    """Move a result's instant as ``results_reschedule`` does, and handle its event as the workers do."""
    from results.events import result_event_record

    Result.objects.filter(pk=result.pk).update(released_at=release)
    with capture(execute=True):
        result_event_record(kind=ResultEvent.Kind.RESCHEDULED, result_ids=[result.pk])


def test_a_moved_instant_keeps_the_pages_drawn_ahead_and_serves_them_only_from_the_new_instant(
    django_capture_on_commit_callbacks: Callable[..., DjangoCaptureOnCommitCallbacks],
) -> None:
    """Before: the move dropped them, so every first view at an instant moved shortly before it was drawn in the
    request (the release-instant check: 99 % within 12–24 s instead of 4 s on the loaded machine)."""
    account, entry, result, release = _waiting()
    prerender.pages_prerender(result_ids=[result.pk])
    listed = cache.get(pages.page_index_key(result.pk))
    later = release + dt.timedelta(days=1)

    with mock.patch.object(prerender, "_prerender_at", side_effect=AssertionError("drawn again")) as drawing:
        _move(result, later, django_capture_on_commit_callbacks)

    drawing.assert_not_called()
    assert len(listed) == 2 and all(cache.get(key) for key in listed)
    client = _client(account)
    with _at(release):  # the old instant: still under embargo
        assert client.get(f"/results/{entry.public_id}/").status_code == 404
        assert "Grade B" not in client.get("/results/").content.decode()
    with _at(later), _not_drawn():
        assert "Grade B" in client.get(f"/results/{entry.public_id}/").content.decode()
        assert "Grade B" in client.get("/results/").content.decode()


def test_pages_kept_after_a_moved_instant_live_past_the_new_instant(
    django_capture_on_commit_callbacks: Callable[..., DjangoCaptureOnCommitCallbacks],
) -> None:
    _account_, _entry_, result, release = _waiting()
    prerender.pages_prerender(result_ids=[result.pk])
    listed = cache.get(pages.page_index_key(result.pk))
    later = release + dt.timedelta(days=3)  # past the lifetime the pages were stored with
    before = timezone.now()

    with mock.patch.object(cache, "touch", wraps=cache.touch) as touch:
        _move(result, later, django_capture_on_commit_callbacks)

    touched = {call.args[0]: call.args[1] for call in touch.call_args_list}
    assert set(touched) == {*listed, pages.page_index_key(result.pk)}
    assert all(seconds > (later - before).total_seconds() for seconds in touched.values())


def test_a_moved_instant_draws_the_pages_not_drawn_or_gone(
    django_capture_on_commit_callbacks: Callable[..., DjangoCaptureOnCommitCallbacks],
) -> None:
    never_account, never_entry, never_drawn, release = _waiting()
    gone_account, gone_entry, gone, _release = _waiting(release=release)
    prerender.pages_prerender(result_ids=[gone.pk])
    cache.delete(cache.get(pages.page_index_key(gone.pk))[0])  # evicted, say
    later = release + dt.timedelta(hours=2)

    for result in (never_drawn, gone):
        _move(result, later, django_capture_on_commit_callbacks)

    with _at(later), _not_drawn():
        for account, entry in ((never_account, never_entry), (gone_account, gone_entry)):
            assert _client(account).get(f"/results/{entry.public_id}/").status_code == 200


def test_keeping_the_pages_drawn_ahead_reads_one_query_whatever_the_number_of_results(
    django_assert_num_queries: Any,
) -> None:
    release = timezone.now() + dt.timedelta(hours=1)
    few = [_waiting(release=release)[2].pk]
    many = [_waiting(release=release)[2].pk for _ in range(5)]
    prerender.pages_prerender(result_ids=[*few, *many])

    for ids in (few, many):
        with django_assert_num_queries(1):
            assert prerender.pages_prerender(result_ids=ids, keep_drawn=True) == 0
