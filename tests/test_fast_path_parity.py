"""Each PostgreSQL fast path gives what its ORM twin (the path SQLite takes under ``make run``) gives.

docs/decisions/0010-fast-paths.md lists the fast paths and where each twin is held to it: the import's COPY writes
(results/tests/test_import_copy.py), compiled queries (results_portal/tests/test_prepared.py) and, here, the
email outbox's one-statement insert and the session user loader. Each test runs both paths on PostgreSQL, the twin
by making the module see another database vendor.
"""

from typing import Any

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from accounts import backends
from centres.tests.factories import EntryFactory
from results import emails
from results.models import OutgoingEmail
from results.tests.factories import account_for, result_for

pytestmark = pytest.mark.django_db


class _AnotherVendor:
    """The default connection in every way but its vendor: the modules then take their ORM twin."""

    vendor = "sqlite"

    def __getattr__(self, name: str) -> Any:
        return getattr(connection, name)


def _outbox() -> list[tuple[Any, ...]]:
    return sorted(
        OutgoingEmail.objects.values_list("account_id", "result_id", "kind", "result_version", "state", "attempts")
    )


def test_the_outbox_insert_writes_what_bulk_create_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = []
    for _ in range(3):
        entry = EntryFactory()
        result = result_for(entry, released_at=None)
        rows.append((account_for(entry).pk, result.pk, 1))

    emails._outgoing_emails_insert(rows=rows, kind=OutgoingEmail.Kind.RELEASED)
    emails._outgoing_emails_insert(rows=rows[:2], kind=OutgoingEmail.Kind.RELEASED)  # already there: skipped
    fast = _outbox()
    OutgoingEmail.objects.all().delete()
    monkeypatch.setattr(emails, "db_connection", _AnotherVendor())
    emails._outgoing_emails_insert(rows=rows, kind=OutgoingEmail.Kind.RELEASED)
    emails._outgoing_emails_insert(rows=rows[:2], kind=OutgoingEmail.Kind.RELEASED)

    assert _outbox() == fast and len(fast) == 3


def test_the_session_user_loader_gives_what_the_orm_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = EntryFactory()
    user = account_for(entry).user
    backend = backends.UserWithAccountBackend()

    fast = backend.get_user(user.pk)
    monkeypatch.setattr(backends, "connection", _AnotherVendor())
    twin = backend.get_user(user.pk)

    assert fast is not None and twin is not None
    assert model_to_dict(fast) == model_to_dict(twin)
    assert model_to_dict(fast.candidate_account) == model_to_dict(twin.candidate_account)  # type: ignore[attr-defined]
