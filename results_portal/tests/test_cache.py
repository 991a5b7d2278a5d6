"""While Redis is unreachable the cache misses instead of failing the page."""

import socket

from results_portal.cache import DegradingRedisCache


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
