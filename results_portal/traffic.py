"""Pages served and server errors per minute, for the board's results-day dashboard.

``TrafficMiddleware`` counts every response of the portal (static files are served before it) in one Redis hash
per minute — ``HINCRBY`` and ``EXPIRE`` pipelined, kept two hours; in the request's first read of the cache when it
makes one, else in a round trip of their own — and ``traffic_last`` reads the last hour in one more. Counting
never fails a request: while Redis is down the counts are dropped. Without Redis (``make run``) the local-memory
cache keeps them per process.
"""

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from .cache import UNAVAILABLE, writes_ahead

KEPT_SECONDS = 2 * 3600


@dataclass(frozen=True)
class TrafficMinute:
    at: dt.datetime  # the minute's start (UTC)
    pages: int
    errors: int


def _key(minute: int) -> str:
    return f"traffic:{minute}"


def _redis(key: str) -> Any:
    """Return the raw Redis client behind the cache, or None for another backend."""
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    return get_client(key, write=True) if get_client is not None else None


def _minute(now: float | None) -> int:
    return int((time.time() if now is None else now) // 60)


def _queue_count(pipe: Any, *, minute: int, fields: tuple[str, ...]) -> None:
    """Put the count of ``fields`` ("pages", "errors") in ``minute`` on a Redis pipeline."""
    key = cache.make_key(_key(minute))
    for field in fields:
        pipe.hincrby(key, field, 1)
    pipe.expire(key, KEPT_SECONDS)


def traffic_count(*, error: bool, now: float | None = None, page: bool = True) -> None:
    """Count one response (``page``) and one server error when ``error`` in the current minute."""
    minute = _minute(now)
    fields = (("pages",) if page else ()) + (("errors",) if error else ())
    if not fields:
        return
    try:
        client = _redis(cache.make_key(_key(minute)))
        if client is None:
            for field in fields:
                cache.add(f"{_key(minute)}:{field}", 0, KEPT_SECONDS)
                cache.incr(f"{_key(minute)}:{field}")
            return
        pipe = client.pipeline(transaction=False)
        _queue_count(pipe, minute=minute, fields=fields)
        pipe.execute()
    except (*UNAVAILABLE, ValueError):
        pass


def traffic_last(*, minutes: int = 60, now: float | None = None) -> list[TrafficMinute]:
    """Return the pages and server errors of each of the last ``minutes`` minutes, oldest first."""
    current = int((time.time() if now is None else now) // 60)
    wanted = list(range(current - minutes + 1, current + 1))
    counts: list[tuple[int, int]]
    try:
        client = _redis(cache.make_key(_key(current)))
        if client is None:
            found = cache.get_many([f"{_key(m)}:{field}" for m in wanted for field in ("pages", "errors")])
            counts = [(found.get(f"{_key(m)}:pages", 0), found.get(f"{_key(m)}:errors", 0)) for m in wanted]
        else:
            pipe = client.pipeline(transaction=False)
            for minute in wanted:
                pipe.hmget(cache.make_key(_key(minute)), ["pages", "errors"])
            counts = [(int(pages or 0), int(errors or 0)) for pages, errors in pipe.execute()]
    except UNAVAILABLE:
        counts = [(0, 0)] * len(wanted)
    return [
        TrafficMinute(at=dt.datetime.fromtimestamp(minute * 60, tz=dt.UTC), pages=pages, errors=errors)
        for minute, (pages, errors) in zip(wanted, counts, strict=True)
    ]


class TrafficMiddleware:
    """Count each response of the portal per minute, and the server errors (5xx) among them.

    The page is counted in the minute the request arrives, with the request's first read of the cache when it
    makes one (a session, a page, the guard's throttles: ``writes_ahead``), so that counting costs that request no
    round trip of its own; otherwise, and for a server error, once the response is ready.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        minute = _minute(None)
        with writes_ahead(lambda pipe: _queue_count(pipe, minute=minute, fields=("pages",))) as ahead:
            response = self.get_response(request)
        error = response.status_code >= 500
        if ahead is None or not ahead.sent:
            traffic_count(error=error, now=minute * 60)
        elif error:
            traffic_count(error=True, page=False, now=minute * 60)
        return response
