"""The session engine (accounts/session_store.py): cached_db without the spare writes of a login."""

from typing import Any
from unittest.mock import patch

import pytest
from django.contrib.sessions.backends.base import CreateError
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.session_store import SessionStore

pytestmark = pytest.mark.django_db


def _statements(captured: Any) -> list[str]:
    return [query["sql"].split()[0].upper() for query in captured.captured_queries]


def test_cycle_key_chooses_a_key_that_the_next_save_inserts() -> None:
    session = SessionStore()
    session["colour"] = "blue"

    with CaptureQueriesContext(connection) as chosen:
        session.cycle_key()
    with CaptureQueriesContext(connection) as saved:
        session.save()

    assert chosen.captured_queries == []  # no check of the key, no empty row
    assert "INSERT" in _statements(saved) and "UPDATE" not in _statements(saved)
    stored = SessionStore(session.session_key)
    assert stored.load() == {"colour": "blue"}
    assert Session.objects.filter(session_key=session.session_key).count() == 1


def test_a_save_that_changes_nothing_writes_nothing_and_a_change_is_written() -> None:
    session = SessionStore()
    session["colour"] = "blue"
    session.cycle_key()
    session.save()

    with CaptureQueriesContext(connection) as again:
        session.save()
    session["colour"] = "green"
    with CaptureQueriesContext(connection) as changed:
        session.save()

    assert again.captured_queries == []
    assert "UPDATE" in _statements(changed)
    cache.clear()  # read from the database, not the cache
    assert SessionStore(session.session_key).load() == {"colour": "green"}


def test_cycle_key_deletes_the_old_session() -> None:
    session = SessionStore()
    session["colour"] = "blue"
    session.save()
    old = session.session_key

    session.cycle_key()
    session.save()

    assert session.session_key != old
    assert not Session.objects.filter(session_key=old).exists()
    assert SessionStore(session.session_key).load() == {"colour": "blue"}


def test_a_drawn_key_already_taken_is_drawn_again_and_the_other_session_is_untouched() -> None:
    other = SessionStore()
    other["owner"] = "someone else"
    other.save()
    session = SessionStore()
    session["owner"] = "me"
    drawn = iter([other.session_key, "k" * 32])

    with patch("accounts.session_store.get_random_string", lambda *args: next(drawn)):
        session.cycle_key()
        session.save()

    assert session.session_key == "k" * 32
    cache.clear()
    assert SessionStore(other.session_key).load() == {"owner": "someone else"}
    assert SessionStore("k" * 32).load() == {"owner": "me"}


def test_a_key_taken_at_every_draw_is_an_error() -> None:
    other = SessionStore()
    other.save()
    session = SessionStore()

    with patch("accounts.session_store.get_random_string", lambda *args: other.session_key):
        session.cycle_key()
        with pytest.raises(CreateError):
            session.save()


def test_a_value_changed_in_place_is_written() -> None:
    session = SessionStore()
    session["seen"] = ["a"]
    session.cycle_key()
    session.save()

    session["seen"].append("b")
    session.modified = True
    session.save()

    cache.clear()
    assert SessionStore(session.session_key).load() == {"seen": ["a", "b"]}
