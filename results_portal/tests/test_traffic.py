"""Pages served and server errors per minute (results_portal/traffic.py), in Redis and in local memory."""

from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings

from results_portal import traffic
from results_portal.tests.redis_sent import redis_round_trips
from results_portal.traffic import TrafficMiddleware, traffic_count, traffic_last

NOW = 1_900_000_000.0  # a fixed instant: minute 31 666 666 (the counts are keyed by it, not by today)


def test_counts_per_minute_with_the_errors_among_them() -> None:
    cache.clear()
    for _ in range(3):
        traffic_count(error=False, now=NOW - 60)
    traffic_count(error=True, now=NOW)
    traffic_count(error=False, now=NOW + 1)

    minutes = traffic_last(minutes=3, now=NOW)

    assert [(m.pages, m.errors) for m in minutes] == [(0, 0), (3, 0), (2, 1)]
    assert minutes[-1].at.timestamp() == NOW // 60 * 60


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
def test_the_embedded_cache_counts_too() -> None:
    traffic_count(error=True, now=NOW)
    traffic_count(error=False, now=NOW)

    assert [(m.pages, m.errors) for m in traffic_last(minutes=1, now=NOW)] == [(2, 1)]


def test_the_middleware_counts_each_response_and_5xx_as_errors() -> None:
    cache.clear()
    responses = iter([HttpResponse(), HttpResponse(status=404), HttpResponse(status=503)])
    middleware = TrafficMiddleware(lambda request: next(responses))

    for _ in range(3):
        middleware(HttpRequest())

    assert [(m.pages, m.errors) for m in traffic_last(minutes=1)] == [(3, 1)]


@pytest.mark.django_db
def test_pages_are_counted_and_shown_to_the_board(board_client: Client) -> None:
    from centres.tests.factories import ExamSessionFactory

    cache.clear()
    session: Any = ExamSessionFactory()
    Client().get("/")
    Client().get("/verify/")

    page = board_client.get(f"/admin/results/result/release-progress/{session.pk}/").content.decode()

    assert "pages served this minute" in page
    assert 'aria-labelledby="traffic-title"' in page
    assert sum(m.pages for m in traffic_last(minutes=2)) >= 3  # the two pages and the board's own


def _counted() -> tuple[int, int]:
    """The pages and errors of this minute and the last (a test may cross a minute's end)."""
    minutes = traffic_last(minutes=2)
    return sum(m.pages for m in minutes), sum(m.errors for m in minutes)


def _reading_view(status: int) -> Any:
    def view(request: HttpRequest) -> HttpResponse:
        cache.get_many(["session", "page"])
        return HttpResponse(status=status)

    return view


def test_a_request_that_reads_the_cache_is_counted_in_that_read() -> None:
    cache.clear()
    with redis_round_trips() as sent:
        TrafficMiddleware(_reading_view(200))(HttpRequest())

    assert len(sent) == 1  # the view's read, carrying the count
    assert _counted() == (1, 0)


def test_a_server_error_after_a_read_is_counted_once_the_response_is_ready() -> None:
    cache.clear()
    with redis_round_trips() as sent:
        TrafficMiddleware(_reading_view(500))(HttpRequest())

    assert len(sent) == 2  # the read with the page; the error
    assert _counted() == (1, 1)


def test_a_request_that_does_not_read_the_cache_is_counted_at_its_end() -> None:
    cache.clear()
    with redis_round_trips() as sent:
        TrafficMiddleware(lambda request: HttpResponse())(HttpRequest())

    assert len(sent) == 1
    assert _counted() == (1, 0)


def test_a_server_error_is_counted_in_the_minute_its_page_is() -> None:
    """The page is counted in the minute the request came (with its read), and so is its error, however long
    the answer took: a minute never shows more errors than pages (found by a review)."""
    cache.clear()
    times = iter([NOW])  # when the request comes; any later reading of the clock is a minute on

    with mock.patch.object(traffic, "time", mock.Mock(time=lambda: next(times, NOW + 60))):
        TrafficMiddleware(_reading_view(500))(HttpRequest())

    assert [(m.pages, m.errors) for m in traffic_last(minutes=2, now=NOW + 60)] == [(1, 1), (0, 0)]
