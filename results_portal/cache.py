"""A Redis cache that degrades to "miss" while Redis is down (found by tests/faults/test_redis_restart.py).

Why: Django's ``RedisCache`` raises ``redis.exceptions.ConnectionError`` when Redis is unreachable. Sessions
are ``cached_db``: its ``load()`` catches the failed ``get`` but not the ``set`` that refills the cache, and
``save()`` sets it too, so every logged-in page and every login answers 500 while Redis restarts
(tests/faults/test_redis_restart.py). With this backend a Redis outage costs cache misses: sessions come from
PostgreSQL, the guard's throttles are skipped (the per-ID lockout in PostgreSQL still holds), and the health
check still reports the cache as failed (``set`` then ``get`` does not round-trip).

Writes that need no answer and may wait until the end of a request (the traffic counts) can ride on the request's
first read of the cache instead of a round trip of their own (``writes_ahead``).

Settings use it with short socket timeouts in ``OPTIONS`` so that an unreachable host does not hold a worker
for the operating system's TCP timeout. ``incr`` still raises (``ValueError`` for a
missing key, as the guard expects), and so does anything that must not silently succeed.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from django.core.cache import caches
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

    def loads(self, value: bytes) -> Any:
        """Return the value a raw reply of Redis holds (as ``get`` would)."""
        return self._serializer.loads(value)  # type: ignore[attr-defined]

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._clients[index] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


@dataclass
class WritesAhead:
    """Redis commands to send with the next read of the cache in this context; ``sent`` once a read carried them
    (or tried to: while Redis is down they are lost, as any write)."""

    client: Any  # the redis.Redis of the cache's write server
    queue: Callable[[Any], None]  # puts the commands on a pipeline
    sent: bool = False


_writes_ahead: ContextVar[WritesAhead | None] = ContextVar("cache_writes_ahead", default=None)


@contextmanager
def writes_ahead(queue: Callable[[Any], None]) -> Iterator[WritesAhead | None]:
    """Within the block, the first ``get`` or ``get_many`` of the default cache sends ``queue``'s commands ahead
    of its own, in its round trip (a pipeline); yield the ``WritesAhead``, whose ``sent`` says whether a read
    carried them, so that the caller writes them itself otherwise. Their replies are not read, and an error in
    one of them does not fail the read.

    For writes whose answer nobody reads and that may wait until the end of the request, like the traffic counts:
    a request that reads the cache anyway (a session, a page, the guard's throttles) then writes them without a
    round trip of its own. Yields None for a cache that is not ``DegradingRedisCache`` (local memory for
    ``make run``): write as usual. A read from a replica (several servers) does not carry them.
    """
    target = caches["default"]
    if not isinstance(target, DegradingRedisCache):
        yield None
        return
    ahead = WritesAhead(client=target._cache.get_client(write=True), queue=queue)  # noqa: SLF001
    token = _writes_ahead.set(ahead)
    try:
        yield ahead
    finally:
        _writes_ahead.reset(token)


class DegradingRedisCache(RedisCache):
    """``RedisCache`` whose reads miss and whose writes are dropped, with a warning, while Redis is unreachable."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def _unavailable(self, operation: str, error: Exception) -> None:
        logger.warning("cache unavailable, %s skipped: %s", operation, error)

    @property
    def _client(self) -> ReusingRedisCacheClient:
        return cast(ReusingRedisCacheClient, self._cache)

    def _read_carrying_writes(self, keys: list[str]) -> list[Any] | None:
        """Read ``keys`` (made keys) in one pipeline behind this context's writes ahead and return their raw
        values; None when there are none to carry, or this read goes to another server than they do."""
        ahead = _writes_ahead.get()
        if ahead is None or ahead.sent:
            return None
        client = self._cache.get_client(None)
        if client is not ahead.client:
            return None
        ahead.sent = True  # even if the pipeline fails: while Redis is down they are dropped, as any other write
        pipe = client.pipeline(transaction=False)
        ahead.queue(pipe)
        written = len(pipe)
        pipe.mget(keys)
        values = pipe.execute(raise_on_error=False)[written]
        if isinstance(values, Exception):
            raise values
        return list(values)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            made = self.make_and_validate_key(key, version=version)
            values = self._read_carrying_writes([made])
            if values is None:
                return self._cache.get(made, default)
            return default if values[0] is None else self._client.loads(values[0])
        except UNAVAILABLE as error:
            self._unavailable("get", error)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        try:
            key_map = {self.make_and_validate_key(key, version=version): key for key in keys}
            values = self._read_carrying_writes(list(key_map)) if key_map else None
            if values is None:
                found: dict[Any, Any] = self._cache.get_many(key_map.keys())
                return {key_map[made]: value for made, value in found.items()}
            loads = self._client.loads
            return {
                key_map[made]: loads(value) for made, value in zip(key_map, values, strict=True) if value is not None
            }
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
