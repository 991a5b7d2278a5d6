"""Each PostgreSQL fast path gives what its ORM twin (the path SQLite takes under ``make run``) gives.

docs/decisions/0010-fast-paths.md lists the fast paths and where each twin is held to it: the import's COPY writes
(results/tests/test_import_copy.py), compiled queries (results_portal/tests/test_prepared.py) and, here, the
dashboard's compiled query, the email outbox's one-statement insert and the session user loader. Each test runs
both paths on PostgreSQL, the twin by making the module see another database vendor.
"""

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.utils import timezone

from accounts import backends
from accounts.tests.factories import UserFactory
from candidates.models import CandidateAccount, LinkedEntry
from centres.models import Entry
from centres.tests.factories import EntryFactory
from results import emails
from results.models import OutgoingEmail, Result
from results.selectors import statement_fingerprint, statement_fingerprint_of, statement_fingerprint_query
from results.services import result_hold
from results.tests.factories import account_for, result_for
from results_portal import prepared
from verification.models import Verification, VerifierOrganisation
from web.candidate import dashboard

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


def _account_with_entries(count: int, **person: Any) -> tuple[CandidateAccount, list[Entry]]:
    """Return a candidate account holding ``count`` entries of one person."""
    account = account_for(EntryFactory(**person))
    entries = [account.links.get().entry]
    for _ in range(count - 1):
        entry = EntryFactory(person=entries[0].person)
        LinkedEntry.objects.create(account=account, entry=entry)
        entries.append(entry)
    return account, entries


class _AnotherVendorConnections:
    """``django.db.connections`` with the default connection seen as another vendor's."""

    def __getitem__(self, alias: str) -> Any:
        return _AnotherVendor()


def test_the_dashboards_compiled_query_gives_what_its_queryset_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    account, entries = _account_with_entries(4, person__first_name="Ana")
    result_for(entries[0], released_at=timezone.now() - dt.timedelta(days=1))
    result_hold(
        result=result_for(entries[1], released_at=timezone.now() - dt.timedelta(days=1)), actor=None, reason="x"
    )
    result_for(entries[2], released_at=timezone.now() + dt.timedelta(days=1), status=Result.Status.READY)
    Result.objects.filter(entry=entries[0]).update(qualification={"absent_units": ["4", "2"], "not_entered": []})
    organisation = VerifierOrganisation.objects.create(
        user=UserFactory(), name="Uni", country="Spain", email="uni@example.edu", verified_at=timezone.now()
    )
    for days in (1, 2):
        Verification.objects.create(
            entry=entries[0],
            at=timezone.now() - dt.timedelta(days=days),
            channel=Verification.Channel.API,
            organisation=organisation,
            organisation_name=organisation.name,
        )
    now = timezone.now()

    fast = dashboard.dashboard_lines(account_id=account.pk, now=now)
    with backends.user_loaded_with(dashboard.dashboard_lines_query(account_id=account.pk, now=now)) as sent:
        user = backends.UserWithAccountBackend().get_user(account.user_id)
    assert sent is not None and sent.rows is not None and user is not None
    with_the_user = dashboard.dashboard_lines_of(sent.rows, now=now)
    monkeypatch.setattr(prepared, "connections", _AnotherVendorConnections())
    twin = dashboard.dashboard_lines(account_id=account.pk, now=now)

    assert fast == twin == with_the_user
    assert sorted((line.visible, line.under_review, line.verified) for line in fast) == [
        (False, False, False),  # no result
        (False, False, False),  # not released yet
        (False, True, False),  # out, then held
        (True, False, True),  # released, verified twice
    ]


def test_the_statement_check_sent_with_the_user_gives_what_it_gives_alone() -> None:
    """The visibility check sent in the user's round trip (``user_loaded_with``) reads what it reads on its own,
    for a result visible, one not yet released and one held; and the user is loaded as without it."""
    account, entries = _account_with_entries(3)
    result_for(entries[0], released_at=timezone.now() - dt.timedelta(days=1))
    result_for(entries[1], released_at=timezone.now() + dt.timedelta(days=1), status=Result.Status.READY)
    result_hold(
        result=result_for(entries[2], released_at=timezone.now() - dt.timedelta(days=1)), actor=None, reason="x"
    )
    now = timezone.now()
    backend = backends.UserWithAccountBackend()

    for each in entries:
        alone = statement_fingerprint(account_id=account.pk, public_id=each.public_id, now=now)
        query = statement_fingerprint_query(account_id=account.pk, public_id=each.public_id, now=now)
        with backends.user_loaded_with(query) as sent:
            user = backend.get_user(account.user_id)
        assert sent is not None and sent.rows is not None and user is not None
        assert statement_fingerprint_of(sent.rows) == alone
        assert model_to_dict(user) == model_to_dict(backend.get_user(account.user_id))  # type: ignore[arg-type]
    assert statement_fingerprint(account_id=account.pk, public_id=entries[0].public_id, now=now) is not None
    assert statement_fingerprint(account_id=account.pk, public_id=entries[1].public_id, now=now) is None
    assert statement_fingerprint(account_id=account.pk, public_id=entries[2].public_id, now=now) is None
