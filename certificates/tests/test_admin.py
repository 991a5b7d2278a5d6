"""Board staff see the history read-only, filter it, and revoke a document with a reason."""

import pytest
from django.test import Client

from accounts.models import AuditEvent
from certificates import services
from certificates.models import Document
from certificates.tests.factories import released_entry

pytestmark = pytest.mark.django_db


def test_history_pages_are_read_only(board_client: Client, fake_pdf: list[tuple[str, str]]) -> None:
    _entry, result = released_entry()
    services.documents_render_for_results(result_ids=[result.pk])
    document = Document.objects.filter(result=result).first()
    assert document is not None

    for model in ["document", "certificateamendment", "certifyingstatementorder"]:
        assert board_client.get(f"/admin/certificates/{model}/").status_code == 200
        assert board_client.get(f"/admin/certificates/{model}/add/").status_code == 403
    assert (
        board_client.get("/admin/certificates/document/?status__exact=current&kind__exact=statement").status_code
        == 200
    )
    change = board_client.get(f"/admin/certificates/document/{document.pk}/change/")
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()


def test_revoke_with_a_reason(board_client: Client, fake_pdf: list[tuple[str, str]]) -> None:
    entry, result = released_entry()
    services.documents_render_for_results(result_ids=[result.pk])
    certificate = Document.objects.get(result=result, kind=Document.Kind.CERTIFICATE)
    form = {"action": "revoke", "_selected_action": [certificate.pk]}

    asks = board_client.post("/admin/certificates/document/", form)
    assert asks.status_code == 200 and "reason" in asks.content.decode()

    board_client.post("/admin/certificates/document/", {**form, "reason": "Issued in error"})

    certificate.refresh_from_db()
    assert certificate.status == Document.Status.REVOKED and certificate.status_reason == "Issued in error"
    event = AuditEvent.objects.get(action="document.revoke")
    assert event.subject == entry.candidate_id and event.reason == "Issued in error"
