"""Certifying statements for lost certificates: ordered by the centre, paid (postal order too), then produced."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import AuditEvent
from certificates import services
from certificates.models import CertifyingStatementOrder, Document
from certificates.tests.factories import pdf_text, released_entry, staff_client
from certificates.tokens import document_token
from results.models import Result

pytestmark = pytest.mark.django_db


def test_order_pay_by_postal_order_and_download(client: Client) -> None:
    entry, _result = released_entry(exam="FCES", mode="computer", first_name="Wei", last_name="Chen")
    staff, member = staff_client(entry.centre)
    page_url = f"/centre/certificates/entries/{entry.public_id}/"

    response = staff.post(
        f"{page_url}certifying-statement/",
        {"payment_method": "postal_order", "amount": "45.00", "payment_reference": "PO 123456"},
    )
    assert response.status_code == 302
    order = CertifyingStatementOrder.objects.get()
    assert (order.status, order.payment_method, order.amount) == ("ordered", "postal_order", Decimal("45.00"))
    assert not Document.objects.filter(kind=Document.Kind.CERTIFYING_STATEMENT).exists()

    staff.post(f"/centre/certificates/orders/{order.public_id}/paid/", {"payment_reference": ""})

    order.refresh_from_db()
    assert order.status == CertifyingStatementOrder.Status.ISSUED and order.paid_at and order.issued_at
    assert order.paid_recorded_by == member.user and order.payment_reference == "PO 123456"
    document = order.document
    assert document is not None and document.kind == Document.Kind.CERTIFYING_STATEMENT

    download = staff.get(f"/centre/certificates/documents/{document.uuid}.pdf")
    assert download.status_code == 200
    pdf = b"".join(download.streaming_content)  # type: ignore[arg-type]
    text = pdf_text(pdf)
    for fact in ["Certifying Statement", "Wei Chen", entry.candidate_id, "B2 First", "Grade B", "CEFR level B2"]:
        assert fact in text, fact
    for word in ["for schools", "paper", "computer"]:
        assert word not in text.lower(), word
    assert "in place of the original certificate" in text

    qr_page = client.get(f"/verify/v/{document_token(document_uuid=document.uuid)}").content.decode()
    assert "This document is current." in qr_page and "Wei Chen" in qr_page

    assert [e.action for e in AuditEvent.objects.filter(subject=entry.candidate_id).order_by("at", "pk")] == [
        "certificate.certifying_statement_ordered",
        "certificate.certifying_statement_paid",
        "certificate.certifying_statement_issued",
    ]


@pytest.mark.parametrize("method", ["card", "bank_transfer", "postal_order"])
def test_every_payment_method_is_accepted(method: str, fake_pdf: list[tuple[str, str]]) -> None:
    entry, result = released_entry()
    staff, member = staff_client(entry.centre)

    order = services.certifying_statement_order(
        result=result, actor=member.user, payment_method=method, amount=Decimal("30")
    )
    order = services.certifying_statement_mark_paid(order=order, actor=member.user)

    assert order.status == CertifyingStatementOrder.Status.ISSUED
    assert fake_pdf == [(Document.Kind.CERTIFYING_STATEMENT, entry.person.full_name)]


def test_a_second_statement_replaces_the_first(fake_pdf: list[tuple[str, str]]) -> None:
    entry, result = released_entry()
    _staff, member = staff_client(entry.centre)
    orders = []
    for _ in range(2):
        order = services.certifying_statement_order(
            result=result, actor=member.user, payment_method="card", amount=Decimal("30")
        )
        orders.append(services.certifying_statement_mark_paid(order=order, actor=member.user))

    first, second = (o.document for o in orders)
    first.refresh_from_db()  # type: ignore[union-attr]
    assert first.status == Document.Status.SUPERSEDED and first.replaced_by == second  # type: ignore[union-attr]


def test_refused_without_a_certificate_while_unpaid_or_twice_paid(fake_pdf: list[tuple[str, str]]) -> None:
    entry, result = released_entry(grade="Fail", overall=130, cefr="")
    Result.objects.filter(pk=result.pk).update(certificate=False)
    result.refresh_from_db()
    _staff, member = staff_client(entry.centre)

    with pytest.raises(ValidationError) as no_certificate:
        services.certifying_statement_order(
            result=result, actor=member.user, payment_method="card", amount=Decimal("30")
        )
    assert no_certificate.value.messages == [services.CERTIFYING_NO_CERTIFICATE]

    _entry2, other = released_entry(centre=entry.centre)
    order = services.certifying_statement_order(
        result=other, actor=member.user, payment_method="card", amount=Decimal("30")
    )
    with pytest.raises(ValidationError) as waiting:
        services.certifying_statement_order(
            result=other, actor=member.user, payment_method="card", amount=Decimal("30")
        )
    assert waiting.value.messages == [services.ORDER_ALREADY_OPEN]
    services.certifying_statement_mark_paid(order=order, actor=member.user)
    with pytest.raises(ValidationError) as paid:
        services.certifying_statement_mark_paid(order=order, actor=member.user)
    assert paid.value.messages == [services.ORDER_NOT_OPEN]


def test_the_amount_must_be_positive(fake_pdf: list[tuple[str, str]]) -> None:
    entry, _result = released_entry()
    staff, _member = staff_client(entry.centre)

    response = staff.post(
        f"/centre/certificates/entries/{entry.public_id}/certifying-statement/",
        {"payment_method": "postal_order", "amount": "0"},
    )

    assert response.status_code == 400
    assert not CertifyingStatementOrder.objects.exists()
