"""While Redis is unreachable the cache misses instead of failing the page."""

import socket

from django.core.cache import cache
from django.test import override_settings

from results_portal.cache import DegradingRedisCache, writes_ahead
from results_portal.tests.redis_sent import redis_round_trips


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_reads_miss_and_writes_are_dropped_when_redis_is_down() -> None:
    cache = DegradingRedisCache(
        f"redis://127.0.0.1:{_closed_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}},
    )

    assert cache.get("session:abc", "missing") == "missing"
    assert cache.get_many(["a", "b"]) == {}
    cache.set("session:abc", {"user": 1})
    assert cache.add("window", 1) is False
    assert cache.delete("session:abc") is False
    assert cache.touch("page:abc", 60) is False


def test_a_read_carries_the_writes_ahead_in_its_round_trip_and_answers_as_without() -> None:
    cache.clear()
    cache.set_many({"page": {"lines": [1, 2]}, "count": 7})
    with redis_round_trips() as sent, writes_ahead(lambda pipe: pipe.incr(cache.make_key("ahead"))) as ahead:
        assert ahead is not None and not ahead.sent
        assert cache.get_many(["page", "count", "absent"]) == {"page": {"lines": [1, 2]}, "count": 7}
        assert ahead.sent
        assert cache.get("page") == {"lines": [1, 2]}  # the next read carries nothing more

    assert len(sent) == 2  # the read with the write; the second read
    assert cache.get("ahead") == 1  # written once


def test_a_get_carries_them_too_and_a_miss_is_the_default() -> None:
    cache.clear()
    with writes_ahead(lambda pipe: pipe.incr(cache.make_key("ahead"))) as ahead:
        assert cache.get("absent", "default") == "default"
        assert ahead is not None and ahead.sent
    assert cache.get("ahead") == 1


def test_a_write_carries_nothing() -> None:
    cache.clear()
    with writes_ahead(lambda pipe: pipe.incr(cache.make_key("ahead"))) as ahead:
        cache.set("other", 1)
        assert ahead is not None and not ahead.sent
    assert cache.get("ahead") is None


def test_a_write_ahead_that_fails_does_not_fail_the_read() -> None:
    cache.clear()
    cache.set("text", "not a number")
    with writes_ahead(lambda pipe: pipe.incr(cache.make_key("text"))) as ahead:
        assert cache.get_many(["text"]) == {"text": "not a number"}
        assert ahead is not None and ahead.sent


def test_no_writes_ahead_outside_the_block() -> None:
    cache.clear()
    with writes_ahead(lambda pipe: pipe.incr(cache.make_key("ahead"))):
        pass
    assert cache.get("page") is None
    assert cache.get("ahead") is None


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
def test_another_cache_has_no_writes_ahead() -> None:
    with writes_ahead(lambda pipe: None) as ahead:
        assert ahead is None
