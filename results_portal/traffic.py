"""Pages served and server errors per minute, for the board's results-day dashboard.

``TrafficMiddleware`` counts every response of the portal (static files are served before it) in one Redis hash
per minute — ``HINCRBY`` and ``EXPIRE`` in one pipelined round trip, kept two hours — and ``traffic_last``
reads the last hour in one more. Counting never fails a request: while Redis is down the counts are dropped.
Without Redis (``make run``) the local-memory cache keeps them per process.
"""

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from .cache import UNAVAILABLE

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


def traffic_count(*, error: bool, now: float | None = None) -> None:
    """Count one response (and one server error when ``error``) in the current minute."""
    minute = int((time.time() if now is None else now) // 60)
    key = cache.make_key(_key(minute))
    try:
        client = _redis(key)
        if client is None:
            for field in ("pages", "errors") if error else ("pages",):
                cache.add(f"{_key(minute)}:{field}", 0, KEPT_SECONDS)
                cache.incr(f"{_key(minute)}:{field}")
            return
        pipe = client.pipeline(transaction=False)
        pipe.hincrby(key, "pages", 1)
        if error:
            pipe.hincrby(key, "errors", 1)
        pipe.expire(key, KEPT_SECONDS)
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
    """Count each response of the portal per minute, and the server errors (5xx) among them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        traffic_count(error=response.status_code >= 500)
        return response
