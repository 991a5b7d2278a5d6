"""A Redis cache that degrades to "miss" while Redis is down (found by tests/faults/test_redis_restart.py).

Why: Django's ``RedisCache`` raises ``redis.exceptions.ConnectionError`` when Redis is unreachable. Sessions
are ``cached_db``: its ``load()`` catches the failed ``get`` but not the ``set`` that refills the cache, and
``save()`` sets it too, so every logged-in page and every login answers 500 while Redis restarts
(tests/faults/test_redis_restart.py). With this backend a Redis outage costs cache misses: sessions come from
PostgreSQL, the guard's throttles are skipped (the per-ID lockout in PostgreSQL still holds), and the health
check still reports the cache as failed (``set`` then ``get`` does not round-trip).

Settings use it with short socket timeouts in ``OPTIONS`` so that an unreachable host does not hold a worker
for the operating system's TCP timeout. ``incr`` still raises (``ValueError`` for a
missing key, as the guard expects), and so does anything that must not silently succeed.
"""

import logging
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client, keeping one ``redis.Redis`` per connection pool instead of building one per operation.

    Django builds a new ``redis.Redis`` for every cache operation, and its constructor fills a case-insensitive
    table of ~170 response callbacks: about 0.15 ms of CPU, more than the round trip to Redis, twice per
    candidate page (session, statement). A ``redis.Redis`` only holds its pool and options and is safe to share
    between threads, so one per pool does the same work.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._clients[index] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class DegradingRedisCache(RedisCache):
    """``RedisCache`` whose reads miss and whose writes are dropped, with a warning, while Redis is unreachable."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def _unavailable(self, operation: str, error: Exception) -> None:
        logger.warning("cache unavailable, %s skipped: %s", operation, error)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except UNAVAILABLE as error:
            self._unavailable("get", error)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except UNAVAILABLE as error:
            self._unavailable("get_many", error)
            return {}

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:  # noqa: A003
        try:
            super().set(key, value, timeout, version)
        except UNAVAILABLE as error:
            self._unavailable("set", error)

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except UNAVAILABLE as error:
            self._unavailable("add", error)
            return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except UNAVAILABLE as error:
            self._unavailable("delete", error)
            return False

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except UNAVAILABLE as error:
            self._unavailable("has_key", error)
            return False

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:
        try:
            return super().touch(key, timeout, version)
        except UNAVAILABLE as error:
            self._unavailable("touch", error)
            return False
