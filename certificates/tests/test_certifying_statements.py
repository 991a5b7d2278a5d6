"""Certifying statements for lost certificates: ordered by the candidate at the fee of the table, paid to the board
(card or postal order, with its reference), and only then produced, in the name at the time of the award."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from accounts.models import AuditEvent
from accounts.tests.factories import UserFactory
from certificates import services
from certificates.models import CertifyingStatementOrder, Document
from certificates.tests.factories import pdf_text, released_entry, staff_client
from certificates.tokens import document_token
from conftest import otp_login
from exams.models import ServiceFee
from results.models import Result
from results.tests.factories import account_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def fee() -> ServiceFee:
    return ServiceFee.objects.create(
        service=ServiceFee.Service.CERTIFYING_STATEMENT, year=timezone.localdate().year, amount=Decimal("52.00")
    )


def _with_certificate(**kwargs: object) -> tuple:
    entry, result = released_entry(**kwargs)  # type: ignore[arg-type]
    services.documents_render_for_results(result_ids=[result.pk])
    return entry, result


def test_candidate_orders_board_records_postal_order_then_statement_is_produced(
    client: Client, fee: ServiceFee
) -> None:
    entry, result = _with_certificate(exam="FCES", mode="computer", first_name="Wei", last_name="Chen")
    account = account_for(entry)
    client.force_login(account.user)
    page_url = f"/results/{entry.public_id}/certifying-statement/"

    page = client.get(page_url).content.decode()
    assert "£52.00" in page and "Wei Chen" in page
    assert client.post(page_url, {}).status_code == 400
    assert client.post(page_url, {"lost": "on"}).status_code == 302
    order = CertifyingStatementOrder.objects.get()
    assert (order.status, order.amount, order.account, order.payment_method) == ("ordered", fee.amount, account, "")
    assert not Document.objects.filter(kind=Document.Kind.CERTIFYING_STATEMENT).exists()
    assert client.get(f"/results/{entry.public_id}/certifying-statement.pdf").status_code == 404

    board = otp_login(Client(), UserFactory(is_staff=True, is_superuser=True))
    change_url = f"/admin/certificates/certifyingstatementorder/{order.pk}/change/"
    refused = board.post(change_url, {"payment_method": "bank_transfer", "payment_reference": "X"})
    assert refused.status_code == 200 and CertifyingStatementOrder.objects.get().status == "ordered"
    missing = board.post(change_url, {"payment_method": "postal_order", "payment_reference": ""})
    assert escape(str(services.PAYMENT_REFERENCE_REQUIRED.message)) in missing.content.decode()
    assert (
        board.post(change_url, {"payment_method": "postal_order", "payment_reference": "PO 123456"}).status_code == 302
    )

    order.refresh_from_db()
    assert order.status == CertifyingStatementOrder.Status.ISSUED and order.paid_at and order.issued_at
    assert (order.payment_method, order.payment_reference) == ("postal_order", "PO 123456")
    document = order.document
    assert document is not None and document.kind == Document.Kind.CERTIFYING_STATEMENT

    download = client.get(f"/results/{entry.public_id}/certifying-statement.pdf")
    assert download.status_code == 200 and download["Cache-Control"] == "private, no-store"
    text = pdf_text(b"".join(download.streaming_content))  # type: ignore[attr-defined]
    for fact in ["Certifying Statement", "Wei Chen", entry.candidate_id, "B2 First", "Grade B", "CEFR level B2"]:
        assert fact in text, fact
    for word in ["for schools", "paper", "computer"]:
        assert word not in text.lower(), word
    assert "in place of the original certificate" in text

    qr_page = client.get(f"/verify/v/{document_token(document_uuid=document.uuid)}").content.decode()
    assert "This document is current." in qr_page and "Wei Chen" in qr_page
    staff, _member = staff_client(entry.centre)
    desk = staff.get(f"/centre/certificates/entries/{entry.public_id}/").content.decode()
    assert "Issued" in desk and str(document.uuid) in desk

    assert [e.action for e in AuditEvent.objects.filter(subject=entry.candidate_id).order_by("at", "pk")] == [
        "certificate.certifying_statement_ordered",
        "certificate.certifying_statement_paid",
        "certificate.certifying_statement_issued",
    ]


def test_the_statement_is_in_the_name_on_the_certificate_not_a_later_record(
    fake_pdf: list[tuple[str, str]], fee: ServiceFee
) -> None:
    entry, result = _with_certificate(first_name="Ana", last_name="Lopez")
    # A later change of the centre's record (not a correction through an amended certificate) is not the award's name.
    entry.person.last_name = "Married-Name"
    entry.person.save()
    order = services.certifying_statement_order(result=result, account=account_for(entry))
    order = services.certifying_statement_mark_paid(
        order=order, actor=UserFactory(), payment_method="card", payment_reference="receipt 9"
    )
    assert fake_pdf[-1] == (Document.Kind.CERTIFYING_STATEMENT, "Ana Lopez")
    assert order.document is not None and order.document.name_printed == "Ana Lopez"


def test_refused_without_a_fee_for_the_year_naming_it(fake_pdf: list[tuple[str, str]]) -> None:
    entry, result = _with_certificate()
    ServiceFee.objects.create(service="certifying_statement", year=timezone.localdate().year - 1, amount="50")
    with pytest.raises(ValidationError) as refused:
        services.certifying_statement_order(result=result, account=account_for(entry))
    year = timezone.localdate().year
    assert refused.value.messages == [
        f"The board has not set the fee for a certifying statement in {year}, so it cannot be ordered yet."
    ]


@pytest.mark.parametrize("method", ["card", "postal_order"])
def test_card_and_postal_order_are_accepted(method: str, fake_pdf: list[tuple[str, str]], fee: ServiceFee) -> None:
    entry, result = _with_certificate()
    order = services.certifying_statement_order(result=result, account=account_for(entry))
    order = services.certifying_statement_mark_paid(
        order=order, actor=UserFactory(), payment_method=method, payment_reference="ref 1"
    )
    assert order.status == CertifyingStatementOrder.Status.ISSUED


def test_a_second_statement_replaces_the_first(fake_pdf: list[tuple[str, str]], fee: ServiceFee) -> None:
    entry, result = _with_certificate()
    account = account_for(entry)
    orders = []
    for _ in range(2):
        order = services.certifying_statement_order(result=result, account=account)
        orders.append(
            services.certifying_statement_mark_paid(
                order=order, actor=UserFactory(), payment_method="card", payment_reference="r"
            )
        )
    first, second = (o.document for o in orders)
    first.refresh_from_db()  # type: ignore[union-attr]
    assert first.status == Document.Status.SUPERSEDED and first.replaced_by == second  # type: ignore[union-attr]


def test_refused_without_a_certificate_while_unpaid_or_twice_paid(
    fake_pdf: list[tuple[str, str]], fee: ServiceFee
) -> None:
    entry, result = released_entry(grade="Fail", overall=130, cefr="")
    Result.objects.filter(pk=result.pk).update(certificate=False)
    result.refresh_from_db()
    with pytest.raises(ValidationError) as no_certificate:
        services.certifying_statement_order(result=result, account=account_for(entry))
    assert no_certificate.value.messages == [str(services.CERTIFYING_NO_CERTIFICATE.message)]

    other_entry, other = _with_certificate(released_at=timezone.now() - dt.timedelta(days=3))
    account = account_for(other_entry)
    order = services.certifying_statement_order(result=other, account=account)
    with pytest.raises(ValidationError) as waiting:
        services.certifying_statement_order(result=other, account=account)
    assert waiting.value.messages == [str(services.ORDER_ALREADY_OPEN.message)]
    board = UserFactory()
    services.certifying_statement_mark_paid(order=order, actor=board, payment_method="card", payment_reference="r")
    with pytest.raises(ValidationError) as paid:
        services.certifying_statement_mark_paid(order=order, actor=board, payment_method="card", payment_reference="r")
    assert paid.value.messages == [str(services.ORDER_NOT_OPEN.message)]


def test_another_candidate_cannot_order_or_download(client: Client, fee: ServiceFee) -> None:
    entry, _result = _with_certificate()
    stranger_entry, _other = _with_certificate(released_at=timezone.now() - dt.timedelta(days=4))
    client.force_login(account_for(stranger_entry).user)
    assert client.get(f"/results/{entry.public_id}/certifying-statement/").status_code == 404
    assert client.post(f"/results/{entry.public_id}/certifying-statement/", {"lost": "on"}).status_code == 404
    assert client.get(f"/results/{entry.public_id}/certifying-statement.pdf").status_code == 404
    assert not CertifyingStatementOrder.objects.exists()


def test_the_centre_can_no_longer_order_or_mark_paid(fee: ServiceFee) -> None:
    entry, _result = _with_certificate()
    staff, _member = staff_client(entry.centre)
    response = staff.post(
        f"/centre/certificates/entries/{entry.public_id}/certifying-statement/",
        {"payment_method": "card", "amount": "1"},
    )
    assert response.status_code in {404, 405}
    assert not CertifyingStatementOrder.objects.exists()
