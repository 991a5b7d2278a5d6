"""Board staff see candidate accounts and can detach their entries, disable them or lift their locks (audited)."""

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from candidates.models import LinkedEntry
from centres.tests.factories import EntryFactory
from results.tests.factories import account_for

pytestmark = pytest.mark.django_db


def test_the_list_shows_each_accounts_entries_in_a_fixed_number_of_queries(board_client: Client) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            page = board_client.get("/admin/candidates/candidateaccount/")
        assert page.status_code == 200
        return len(queries)

    account_for(EntryFactory())
    few = count()
    for _ in range(5):
        account_for(EntryFactory())
    page = board_client.get("/admin/candidates/candidateaccount/").content.decode()

    assert count() == few
    assert all(link.entry.candidate_id in page for link in LinkedEntry.objects.select_related("entry"))


def test_detach_and_disable_are_audited_and_the_holder_is_told(board_client: Client) -> None:
    entry = EntryFactory()
    account = account_for(entry)
    account.user.email = "holder@example.org"
    account.user.save()

    board_client.post(
        "/admin/candidates/candidateaccount/", {"action": "detach_entries", "_selected_action": [account.pk]}
    )
    board_client.post("/admin/candidates/candidateaccount/", {"action": "disable", "_selected_action": [account.pk]})

    account.user.refresh_from_db()
    assert not LinkedEntry.objects.filter(entry=entry).exists() and not account.user.is_active
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {"entry.detached", "account.disabled"}
    assert [m.to for m in mail.outbox] == [["holder@example.org"]]
