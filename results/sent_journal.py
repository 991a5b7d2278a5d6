"""The outbox's sent journal: in Redis, each email the mail server accepted, written before the next one is sent.

Marking every accepted email SENT in PostgreSQL before the next is sent bounds what a killed worker sends twice to
one email per process, but an ``UPDATE`` of its own per email was most of the outbox's cost: the statement and its
commit took more CPU on the database server than everything else an email costs together (profile of 6 December
2026 in docs/decisions/0005-results-email-outbox.md). The send loop now writes the accepted email here instead (one
``HSET``, a few microseconds of Redis' time) and marks the rows SENT in PostgreSQL in batches; the recovery job
reads this journal before it requeues rows a dead worker left SENDING, and marks those found here SENT.

The journal holds one Redis hash per claim: the claim's rows share their ``sending_since``, and the hash is named
by it (and by the database), so an entry only ever speaks of that one claim of that row: a row claimed again has
another ``sending_since`` and is never taken for sent by a stale entry. Each field is an email id, its value the
instant (microseconds since the epoch) the server accepted it. A hash lives ``JOURNAL_TTL`` and is never cleared
sooner: the database's SENT marks are committed without waiting for the disk (synchronous commit off), so the
journal stays the record of a sent email until well after they are durable (a million emails a day are a few
tens of MB on the broker's Redis).

What the journal can lose (Redis restarted without persistence, an evicted key) only costs duplicates, with the
same ``Message-ID``: the recovery job then requeues rows that were in fact sent. It never makes an unsent email
look sent: an entry is written only after the server accepted that email.
"""

import datetime as dt
from collections.abc import Iterable
from functools import cache

import redis
import redis.connection
from django.conf import settings

JOURNAL_TTL = dt.timedelta(days=1)
_TTL_SECONDS = str(int(JOURNAL_TTL.total_seconds()))
_PREFIX = "results:outbox:sent"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def _microseconds(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


class SentJournal:
    """Write down and read back which claimed outbox rows the mail server accepted. Methods raise ``RedisError``."""

    def __init__(self, *, client: redis.Redis, database: str) -> None:
        self.client = client
        self.database = database
        # The pool's connection ``record`` holds from its first entry until ``close`` (the send loop's batch).
        self._connection: redis.connection.Connection | None = None

    def _key(self, claimed_at: dt.datetime) -> str:
        return f"{_PREFIX}:{self.database}:{_microseconds(claimed_at)}"

    def record(self, *, email_id: int, claimed_at: dt.datetime, accepted_at: dt.datetime) -> None:
        """Write down that the row claimed at ``claimed_at`` was accepted at ``accepted_at``: one round trip.

        ``HSET`` and ``EXPIRE`` go in one write and both replies are read before this returns. The hash's expiry is
        set with every entry, so a hash Redis lost and made again mid-batch expires too. The commands are written
        on a connection of the client's pool held until ``close``, without a pipeline object: redis-py's pipeline
        (objects, command packing, the pool's bookkeeping on every call) was half of the send loop's CPU per email.
        A connection that fails is dropped; the error is raised (``RedisError``).
        """
        key = self._key(claimed_at)
        command = _packed(("HSET", key, str(email_id), str(_microseconds(accepted_at))), ("EXPIRE", key, _TTL_SECONDS))
        connection = self._connection
        if connection is None:
            connection = self._connection = self.client.connection_pool.get_connection()
        try:
            connection.send_packed_command([command])
            connection.read_response()
            connection.read_response()
        except BaseException:
            self._connection = None
            connection.disconnect()
            self.client.connection_pool.release(connection)
            raise

    def close(self) -> None:
        """Give the connection ``record`` held back to the client's pool."""
        connection, self._connection = self._connection, None
        if connection is not None:
            self.client.connection_pool.release(connection)

    def accepted(self, *, claims: Iterable[tuple[int, dt.datetime]]) -> dict[int, dt.datetime]:
        """Return, of these (email id, claimed at), the emails written down, with when the server accepted them."""
        by_key: dict[str, list[int]] = {}
        for email_id, claimed_at in claims:
            by_key.setdefault(self._key(claimed_at), []).append(email_id)
        if not by_key:
            return {}
        pipe = self.client.pipeline(transaction=False)
        for key, ids in by_key.items():
            pipe.hmget(key, [str(i) for i in ids])
        found: dict[int, dt.datetime] = {}
        for ids, values in zip(by_key.values(), pipe.execute(), strict=True):
            for email_id, value in zip(ids, values, strict=True):
                if value is not None:
                    found[email_id] = _EPOCH + int(value) * _MICROSECOND
        return found


def _packed(*commands: tuple[str, ...]) -> bytes:
    """Return these commands in the Redis protocol (RESP), as one write."""
    out = []
    for arguments in commands:
        out.append(b"*%d\r\n" % len(arguments))
        for argument in arguments:
            value = argument.encode()
            out.append(b"$%d\r\n%s\r\n" % (len(value), value))
    return b"".join(out)


def sent_journal() -> SentJournal | None:
    """Return the journal on the Celery broker's Redis (never evicting), or None when the broker is not Redis."""
    url = str(settings.CELERY_BROKER_URL or "")
    if not url.startswith(_REDIS_SCHEMES):
        return None
    return SentJournal(client=_client(url), database=str(settings.DATABASES["default"]["NAME"]))


@cache
def _client(url: str) -> redis.Redis:
    # Short timeouts: a Redis that does not answer makes the send loop mark in PostgreSQL instead, not wait.
    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
