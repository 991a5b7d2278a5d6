"""Duplicate certificates: each rule with its dates (built from today), the board's decision, the QR page."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape

from accounts.models import AuditEvent
from accounts.tests.factories import UserFactory
from certificates import duplicates, services
from certificates.duplicates import damaged_last_day, lost_window
from certificates.models import Document, DuplicateCertificateRequest
from certificates.services import certifying_statement_order
from certificates.tests.factories import released_entry, staff_client
from certificates.tokens import document_token
from conftest import otp_login
from exams.models import ServiceFee
from results.tests.factories import account_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fee() -> None:
    """The fee of every year a test asks in (the fee is the one of the year the centre asks)."""
    this_year = timezone.localdate().year
    for year in range(this_year - 1, this_year + 6):
        ServiceFee.objects.create(service="duplicate_certificate", year=year, amount="35.00")


def _certificate(*, exam_date: dt.date) -> Document:
    _entry, result = released_entry(date=exam_date)
    services.documents_render_for_results(result_ids=[result.pk])
    return Document.objects.get(result=result, kind=Document.Kind.CERTIFICATE, status=Document.Status.CURRENT)


def _ask(certificate: Document, today: dt.date, **evidence: object) -> DuplicateCertificateRequest:
    return duplicates.duplicate_certificate_request(
        certificate=certificate,
        actor=UserFactory(),
        today=today,
        **evidence,  # type: ignore[arg-type]
    )


LOST = {"reason": "lost_in_post", "in_writing": True, "trace_reference": "TR-2026-001"}
DAMAGED = {"reason": "damaged", "original_returned": True}


def test_the_windows_run_from_the_same_day_six_months_on_to_the_same_day_twelve_months_and_five_years_on() -> None:
    assert lost_window(dt.date(2025, 8, 31)) == (dt.date(2026, 2, 28), dt.date(2026, 8, 31))
    assert lost_window(dt.date(2027, 8, 31)) == (dt.date(2028, 2, 29), dt.date(2028, 8, 31))
    assert damaged_last_day(dt.date(2024, 2, 29)) == dt.date(2029, 2, 28)


def test_lost_in_the_post_between_six_and_twelve_months_with_writing_and_trace(fake_pdf: list) -> None:
    today = timezone.localdate()
    exam_date = today - dt.timedelta(days=250)
    certificate = _certificate(exam_date=exam_date)
    first_day, last_day = lost_window(exam_date)

    too_early = _ask(certificate, first_day - dt.timedelta(days=1), **LOST)
    assert too_early.status == "refused"
    assert (too_early.refusal_code, too_early.refusal_values) == (
        "duplicate.lost_too_early",
        {"first_day": first_day.isoformat()},
    )
    assert too_early.refusal == (
        "A lost certificate can be replaced once six months have passed since the exam date: for this exam from "
        f"{date_format(first_day)}."
    )
    too_late = _ask(certificate, last_day + dt.timedelta(days=1), **LOST)
    assert (too_late.refusal_code, too_late.refusal_values) == ("duplicate.lost_too_late", {"last_day": str(last_day)})
    assert f"within 12 months of the exam date: for this exam the last day was {date_format(last_day)}." in (
        too_late.refusal
    )
    no_writing = _ask(certificate, first_day, **{**LOST, "in_writing": False})
    assert no_writing.refusal_code == "duplicate.lost_not_in_writing" and "in writing" in no_writing.refusal
    no_trace = _ask(certificate, last_day, **{**LOST, "trace_reference": " "})
    assert (no_trace.refusal_code, no_trace.refusal) == (
        "duplicate.lost_no_trace",
        "A postal trace must be made first: give its reference.",
    )

    accepted = _ask(certificate, first_day, **LOST)
    assert (accepted.status, accepted.trace_reference, str(accepted.fee)) == ("requested", "TR-2026-001", "35.00")
    refusals = AuditEvent.objects.filter(action="certificate.duplicate_refused").count()
    assert refusals == 4 and AuditEvent.objects.filter(action="certificate.duplicate_requested").count() == 1


def test_damaged_within_five_years_once_the_original_is_returned(fake_pdf: list) -> None:
    today = timezone.localdate()
    exam_date = today - dt.timedelta(days=400)
    certificate = _certificate(exam_date=exam_date)
    last_day = damaged_last_day(exam_date)
    not_returned = _ask(certificate, today, reason="damaged")
    assert (not_returned.refusal_code, not_returned.refusal) == (
        "duplicate.damaged_not_returned",
        "A damaged certificate is replaced only once the original has been returned to the centre.",
    )
    late = _ask(certificate, last_day + dt.timedelta(days=1), **DAMAGED)
    assert (late.refusal_code, late.refusal_values) == ("duplicate.damaged_too_late", {"last_day": str(last_day)})
    assert late.refusal.endswith(
        f"within five years of the exam date: for this exam the last day was {date_format(last_day)}."
    )
    assert _ask(certificate, last_day, **DAMAGED).status == "requested"
    with pytest.raises(Exception, match="already been requested"):
        _ask(certificate, today, **DAMAGED)


def test_no_fee_for_the_year_is_a_refusal_naming_it(fake_pdf: list) -> None:
    ServiceFee.objects.all().delete()
    today = timezone.localdate()
    certificate = _certificate(exam_date=today - dt.timedelta(days=100))
    refused = _ask(certificate, today, **DAMAGED)
    assert (refused.refusal_code, refused.refusal_values) == ("duplicate.no_fee", {"year": today.year})
    assert refused.refusal == (
        f"The board has not set the fee for a duplicate certificate in {today.year}, so it cannot be asked yet."
    )


def test_the_board_approves_and_the_old_certificates_qr_page_says_it_was_replaced(client: Client) -> None:
    today = timezone.localdate()
    certificate = _certificate(exam_date=today - dt.timedelta(days=200))
    entry = certificate.result.entry
    staff, _member = staff_client(entry.centre)
    desk = f"/centre/certificates/entries/{entry.public_id}/"
    assert staff.post(f"{desk}duplicate/", {"reason": "damaged", "original_returned": "on"}).status_code == 302
    request = DuplicateCertificateRequest.objects.get()

    board = otp_login(Client(), UserFactory(is_staff=True, is_superuser=True))
    change = f"/admin/certificates/duplicatecertificaterequest/{request.pk}/change/"
    assert board.post(change, {"decision": "issue", "refusal": ""}).status_code == 302

    request.refresh_from_db()
    certificate.refresh_from_db()
    assert request.status == "issued" and request.duplicate is not None
    assert certificate.status == Document.Status.SUPERSEDED and certificate.replaced_by == request.duplicate
    assert request.duplicate.name_printed == certificate.name_printed
    old_page = client.get(f"/verify/v/{document_token(document_uuid=certificate.uuid)}").content.decode()
    assert "replaced on" in old_page and "by a duplicate certificate" in old_page
    new_page = client.get(f"/verify/v/{document_token(document_uuid=request.duplicate.uuid)}").content.decode()
    assert "This document is current." in new_page
    assert "Duplicate issued" in staff.get(desk).content.decode()


def test_the_board_refuses_with_a_reason() -> None:
    today = timezone.localdate()
    certificate = _certificate(exam_date=today - dt.timedelta(days=200))
    request = _ask(certificate, today, **DAMAGED)
    board = UserFactory(is_staff=True)
    with pytest.raises(Exception, match="Say why"):
        duplicates.duplicate_certificate_refuse(request=request, actor=board, refusal=" ")
    refused = duplicates.duplicate_certificate_refuse(request=request, actor=board, refusal="Not the original.")
    assert (refused.status, refused.refusal, refused.decided_by) == ("refused", "Not the original.", board)
    certificate.refresh_from_db()
    assert certificate.status == Document.Status.CURRENT


def test_the_centre_page_shows_a_refusal_with_its_rule(fake_pdf: list) -> None:
    today = timezone.localdate()
    certificate = _certificate(exam_date=today - dt.timedelta(days=30))
    entry = certificate.result.entry
    staff, _member = staff_client(entry.centre)
    desk = f"/centre/certificates/entries/{entry.public_id}/"
    response = staff.post(
        f"{desk}duplicate/", {"reason": "lost_in_post", "in_writing": "on", "trace_reference": "T1"}, follow=True
    )
    first_day = date_format(lost_window(entry.session.date)[0])
    assert "once six months have passed" in response.content.decode() and first_day in response.content.decode()


def test_the_boards_lists_take_as_many_queries_for_many_rows_as_for_few(fake_pdf: list) -> None:
    ServiceFee.objects.create(service="certifying_statement", year=timezone.localdate().year, amount="50")
    board = otp_login(Client(), UserFactory(is_staff=True, is_superuser=True))
    today = timezone.localdate()

    def add(days: int) -> None:
        certificate = _certificate(exam_date=today - dt.timedelta(days=days))
        _ask(certificate, today, **DAMAGED)
        certifying_statement_order(result=certificate.result, account=account_for(certificate.result.entry))

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert board.get(path).status_code == 200
        return sum("django_session" not in query["sql"] for query in queries.captured_queries)

    lists = ("/admin/certificates/duplicatecertificaterequest/", "/admin/certificates/certifyingstatementorder/")
    add(100)
    few = [count(path) for path in lists]
    for days in range(101, 106):
        add(days)
    assert [count(path) for path in lists] == few


def test_a_kept_refusal_is_shown_in_the_language_of_each_page_that_shows_it(fake_pdf: list) -> None:
    """The request keeps its rule and date, not the words: Spanish on the Spanish page, Chinese on the Chinese one."""
    today = timezone.localdate()
    certificate = _certificate(exam_date=today - dt.timedelta(days=30))
    entry = certificate.result.entry
    staff, _member = staff_client(entry.centre)
    desk = f"/centre/certificates/entries/{entry.public_id}/"

    spanish = staff.post(
        f"/es{desk}duplicate/", {"reason": "lost_in_post", "in_writing": "on", "trace_reference": "T1"}, follow=True
    ).content.decode()

    first_day = lost_window(entry.session.date)[0]
    with translation.override("es"):
        spanish_day = date_format(first_day)
    rule = (
        "Un certificado perdido se puede sustituir una vez transcurridos seis meses desde la fecha del examen: para "
        f"este examen, a partir del {spanish_day}."
    )
    assert escape(f"Se rechazó el duplicado: {rule}") in spanish  # the message after the request
    assert spanish.count(escape(rule)) == 2  # and the request in the table
    chinese = staff.get(f"/zh-hans{desk}").content.decode()
    assert "遗失的证书须在考试日期满六个月后才能补发" in chinese and "Un certificado perdido" not in chinese
    assert "A lost certificate can be replaced once six months have passed" in staff.get(desk).content.decode()
