"""The sent journal's entries: written on a connection held for the batch, both replies read, a lost one dropped."""

import datetime as dt

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from results.sent_journal import JOURNAL_TTL, sent_journal


def test_an_entry_is_in_redis_with_its_expiry_when_record_returns() -> None:
    journal = sent_journal()
    assert journal is not None
    claimed = timezone.now()
    accepted = claimed + dt.timedelta(seconds=1)

    journal.record(email_id=7, claimed_at=claimed, accepted_at=accepted)
    journal.record(email_id=8, claimed_at=claimed, accepted_at=accepted)

    other = redis.Redis.from_url(_url())
    key = journal._key(claimed)
    assert other.hgetall(key).keys() == {b"7", b"8"}
    assert 0 < other.ttl(key) <= JOURNAL_TTL.total_seconds()
    assert journal.accepted(claims=[(7, claimed), (8, claimed), (9, claimed)]) == {7: accepted, 8: accepted}
    journal.close()


def test_a_connection_lost_between_two_entries_raises_and_the_next_entry_connects_again() -> None:
    journal = sent_journal()
    assert journal is not None
    claimed = timezone.now()
    journal.record(email_id=1, claimed_at=claimed, accepted_at=claimed)
    held = journal._connection
    assert held is not None
    held.send_command("CLIENT", "ID")
    client_id = held.read_response()
    redis.Redis.from_url(_url()).client_kill_filter(_id=client_id)

    with pytest.raises(redis.RedisError):
        journal.record(email_id=2, claimed_at=claimed, accepted_at=claimed)
    assert journal._connection is None, "a connection that failed is not kept"
    journal.record(email_id=3, claimed_at=claimed, accepted_at=claimed)

    assert set(journal.accepted(claims=[(1, claimed), (2, claimed), (3, claimed)])) == {1, 3}, "2 was never written"
    journal.close()
    assert journal._connection is None


def _url() -> str:
    return str(settings.CELERY_BROKER_URL)
