"""CSV export of the board's lists (results, entries, audit, verifications): the list's columns, audited."""

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent
from centres.tests.factories import EntryFactory
from results.tests.factories import result_for

pytestmark = pytest.mark.django_db


def _rows(response: Any) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "private, no-store" or "no-store" in response["Cache-Control"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_filtered_entries_list_exports_with_its_columns_and_formulas_neutralised(board_client: Client) -> None:
    kept = EntryFactory(person__first_name="=HYPERLINK(1)")
    EntryFactory()

    response = board_client.post("/admin/centres/entry/", {"action": "export_csv", "_selected_action": [kept.pk]})
    rows = _rows(response)

    assert rows[0] == ["Candidate ID", "person", "session", "centre", "status"]
    assert len(rows) == 2 and rows[1][0] == kept.candidate_id
    assert rows[1][1].startswith("'=HYPERLINK")
    assert AuditEvent.objects.filter(action="admin.export", subject="centres.Entry", detail__rows=1).exists()


def test_results_export_and_audit_export(board_client: Client) -> None:
    result = result_for(EntryFactory(), released_at=timezone.now())

    results = _rows(
        board_client.post("/admin/results/result/", {"action": "export_csv", "_selected_action": [result.pk]})
    )
    audit = _rows(
        board_client.post(
            "/admin/accounts/auditevent/",
            {"action": "export_csv", "_selected_action": list(AuditEvent.objects.values_list("pk", flat=True))},
        )
    )

    assert results[1][:4] == [str(result.entry), "released", "176", "Grade B"]
    assert audit[0] == ["at", "action", "subject", "actor", "reason"] and audit[1][1] == "admin.export"
