"""GET /verify/v/<token>: the QR code's page. Same facts as the document, its state, nothing secret, no logs."""

import logging
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent
from centres.tests.factories import DEFAULT_SECRET
from certificates import services
from certificates.models import Document
from certificates.tests.conftest import _site_url  # noqa: F401 - autouse: SITE_URL as in the documents tests
from certificates.tests.factories import released_entry
from certificates.tokens import document_token, document_verify_url
from results.models import Result

pytestmark = pytest.mark.django_db

FCE_SCORES_TEXT = ["Reading", "176", "Use of English", "181", "Speaking", "180"]


def _documents(result: Result) -> dict[str, Document]:
    services.documents_render_for_results(result_ids=[result.pk])
    return {d.kind: d for d in Document.objects.filter(result=result, status=Document.Status.CURRENT)}


def _page(client: Client, document: Document) -> tuple[int, str]:
    response = client.get(f"/verify/v/{document_token(document_uuid=document.uuid)}")
    return response.status_code, response.content.decode()


def test_a_current_statement_shows_its_facts(client: Client, fake_pdf: list[tuple[str, str]]) -> None:
    entry, result = released_entry(first_name="Wei", last_name="Chen")
    statement = _documents(result)[Document.Kind.STATEMENT]

    response = client.get(f"/verify/v/{document_token(document_uuid=statement.uuid)}")
    page = response.content.decode()

    assert response.status_code == 200
    assert "This document is current." in page
    for fact in ["Wei Chen", entry.candidate_id, "B2 First", "Grade B", "176", "B2", entry.centre.name]:
        assert fact in page, fact
    for fact in FCE_SCORES_TEXT:
        assert fact in page, fact
    assert DEFAULT_SECRET not in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_a_certificate_page_names_the_certificate_exam_and_never_the_mode(
    client: Client, fake_pdf: list[tuple[str, str]]
) -> None:
    _entry, result = released_entry(exam="KETS", mode="computer")

    status, page = _page(client, _documents(result)[Document.Kind.CERTIFICATE])

    assert status == 200
    assert "A2 Key" in page and "A2 Key for Schools" not in page
    assert "Computer-based" not in page and "computer" not in page.lower().replace("computer-", "")


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        document_token(document_uuid=uuid.uuid4()),  # well signed, but no such document
    ],
)
def test_unknown_or_forged_tokens_are_404(client: Client, token: str) -> None:
    assert client.get(f"/verify/v/{token}").status_code == 404


def test_an_altered_token_is_404(client: Client, fake_pdf: list[tuple[str, str]]) -> None:
    _entry, result = released_entry()
    token = document_token(document_uuid=_documents(result)[Document.Kind.STATEMENT].uuid)

    for position in (0, 10, len(token) - 1):
        altered = token[:position] + ("x" if token[position] != "x" else "y") + token[position + 1 :]
        assert client.get(f"/verify/v/{altered}").status_code == 404
    assert client.get(f"/verify/v/{token}").status_code == 200


def test_a_held_or_withdrawn_result_is_not_shown(client: Client, fake_pdf: list[tuple[str, str]]) -> None:
    entry, result = released_entry()
    statement = _documents(result)[Document.Kind.STATEMENT]

    Result.objects.filter(pk=result.pk).update(status=Result.Status.HELD, released_at=None)
    assert _page(client, statement)[0] == 404

    Result.objects.filter(pk=result.pk).update(status=Result.Status.RELEASED, released_at=timezone.now())
    entry.status = entry.Status.WITHDRAWN
    entry.save()
    assert _page(client, statement)[0] == 404


def test_an_amended_result_marks_the_old_document_replaced_with_the_current_facts(
    client: Client, fake_pdf: list[tuple[str, str]]
) -> None:
    _entry, result = released_entry()
    old = _documents(result)[Document.Kind.STATEMENT]
    amended_at = timezone.now()
    Result.objects.filter(pk=result.pk).update(
        version=2, grade="Grade A", overall_score=181, cefr_level="C1", amended_at=amended_at
    )

    # Before the new documents are rendered, the old one already says it is out of date.
    status, before = _page(client, old)
    assert status == 200
    assert "This document was replaced on" in before and "Grade A" in before and "Grade B" not in before

    result.refresh_from_db()
    new = _documents(result)[Document.Kind.STATEMENT]
    _status, after = _page(client, old)
    assert "This document was replaced on" in after and "Grade A" in after
    _status, current = _page(client, new)
    assert "This document is current." in current and "Grade A" in current


def test_a_revoked_document_says_so_without_facts(client: Client, fake_pdf: list[tuple[str, str]]) -> None:
    entry, result = released_entry()
    certificate = _documents(result)[Document.Kind.CERTIFICATE]

    services.document_revoke(document=certificate, actor=None, reason="Issued in error")

    status, page = _page(client, certificate)
    assert status == 200
    assert "This document has been revoked." in page
    assert entry.person.last_name not in page
    assert AuditEvent.objects.filter(action="document.revoke", subject=entry.candidate_id).exists()


def test_the_page_is_translated(client: Client, fake_pdf: list[tuple[str, str]]) -> None:
    _entry, result = released_entry()
    statement = _documents(result)[Document.Kind.STATEMENT]
    url = document_verify_url(document_uuid=statement.uuid).removeprefix("https://results.example.org")

    spanish = client.get(f"/es{url}")

    assert spanish.status_code == 200
    assert '<html lang="es">' in spanish.content.decode()


def test_nothing_personal_is_logged(
    client: Client, caplog: pytest.LogCaptureFixture, fake_pdf: list[tuple[str, str]]
) -> None:
    entry, result = released_entry(first_name="Zoë", last_name="Privacy")
    statement = _documents(result)[Document.Kind.STATEMENT]
    token = document_token(document_uuid=statement.uuid)

    with caplog.at_level(logging.DEBUG):
        client.get(f"/verify/v/{token}")
        client.get(f"/verify/v/{token}x")

    logged = "\n".join(record.getMessage() for record in caplog.records)
    for personal in ["Privacy", "Zoë", entry.candidate_id, str(statement.uuid)]:
        assert personal not in logged


def test_the_qr_page_costs_a_few_queries(
    client: Client, django_assert_max_num_queries: Any, fake_pdf: list[tuple[str, str]]
) -> None:
    _entry, result = released_entry()
    statement = _documents(result)[Document.Kind.STATEMENT]

    # The document, the result (through the selector) and its scores; the session is not touched.
    with django_assert_max_num_queries(4):
        assert _page(client, statement)[0] == 200
