"""Amended certificates: misspelt names only, within two years of the exam, after the incorrect one is returned."""

import datetime as dt
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent
from centres.tests.factories import StaffMemberFactory
from certificates import services
from certificates.models import CertificateAmendment, Document
from certificates.tests.factories import pdf_text, released_entry, staff_client, stored_pdf
from certificates.tokens import document_token
from results.tests.factories import UK

pytestmark = pytest.mark.django_db

EXAM_DATE = dt.date(2025, 6, 13)
# The day every test runs on: the centre pages take "today" from the clock, and the real one would make these
# exams more than two years old from 14 June 2027.
TODAY = dt.date(2025, 9, 21)


@pytest.fixture(autouse=True)
def _today(at: Callable[[dt.datetime], None]) -> None:
    at(dt.datetime.combine(TODAY, dt.time(10, 0), tzinfo=UK))


def _certificate(**kwargs: object) -> Document:
    _entry, result = released_entry(date=EXAM_DATE, first_name="Ana", last_name="Lopez", **kwargs)  # type: ignore[arg-type]
    services.documents_render_for_results(result_ids=[result.pk])
    return Document.objects.get(result=result, kind=Document.Kind.CERTIFICATE)


def _request(
    certificate: Document, *, reason: str = "misspelling", today: dt.date | None = None
) -> CertificateAmendment:
    return services.certificate_amendment_request(
        certificate=certificate,
        actor=StaffMemberFactory(centre=certificate.result.entry.centre).user,
        reason=reason,
        corrected_first_name="Ana",
        corrected_last_name="López",
        explanation="Accent missing",
        today=today or TODAY,
    )


def test_the_last_day_is_the_same_calendar_date_two_years_later() -> None:
    assert services.amendment_last_day(exam_date=dt.date(2025, 6, 13)) == dt.date(2027, 6, 13)
    assert services.amendment_last_day(exam_date=dt.date(2024, 2, 29)) == dt.date(2026, 2, 28)


def test_a_request_on_the_last_day_is_accepted(fake_pdf: list[tuple[str, str]]) -> None:
    amendment = _request(_certificate(), today=dt.date(2027, 6, 13))

    assert amendment.status == CertificateAmendment.Status.REQUESTED and amendment.refusal == ""


def test_a_request_the_day_after_is_refused_with_the_rule(fake_pdf: list[tuple[str, str]]) -> None:
    amendment = _request(_certificate(), today=dt.date(2027, 6, 14))

    assert amendment.status == CertificateAmendment.Status.REFUSED
    assert amendment.refusal == (
        "An amended certificate can only be produced within two years of the exam date. For this exam the last day "
        "was 13 June 2027."
    )
    assert (amendment.refusal_code, amendment.refusal_values) == ("amendment.too_late", {"last_day": "2027-06-13"})
    assert AuditEvent.objects.filter(action="certificate.amendment_refused").count() == 1


@pytest.mark.parametrize("reason", ["deed_poll", "marriage", "divorce", "other_name_change"])
def test_a_change_of_name_is_never_a_reason(reason: str, fake_pdf: list[tuple[str, str]]) -> None:
    amendment = _request(_certificate(), reason=reason)

    assert amendment.status == CertificateAmendment.Status.REFUSED
    assert amendment.refusal == str(services.AMENDMENT_NAME_CHANGE_REFUSED.message)
    assert (amendment.refusal_code, amendment.refusal_values) == ("amendment.name_change", {})
    with pytest.raises(ValidationError) as refused:
        services.certificate_amendment_mark_returned(amendment=amendment, actor=amendment.requested_by)
    assert refused.value.messages == [str(services.AMENDMENT_CLOSED.message)]


def test_the_amended_certificate_needs_the_incorrect_one_back_first(fake_pdf: list[tuple[str, str]]) -> None:
    certificate = _certificate()
    amendment = _request(certificate)

    with pytest.raises(ValidationError) as refused:
        services.certificate_amendment_issue(amendment=amendment, actor=amendment.requested_by)

    assert refused.value.messages == [str(services.AMENDMENT_NOT_RETURNED.message)]
    assert Document.objects.filter(kind=Document.Kind.CERTIFICATE).count() == 1


def test_two_years_passed_while_waiting_for_the_return(fake_pdf: list[tuple[str, str]]) -> None:
    amendment = _request(_certificate(), today=dt.date(2027, 6, 1))
    services.certificate_amendment_mark_returned(amendment=amendment, actor=amendment.requested_by)

    amendment = services.certificate_amendment_issue(
        amendment=amendment, actor=amendment.requested_by, today=dt.date(2027, 6, 14)
    )

    assert amendment.status == CertificateAmendment.Status.REFUSED
    assert Document.objects.filter(kind=Document.Kind.CERTIFICATE, status=Document.Status.CURRENT).count() == 1


def test_one_amendment_at_a_time_and_a_real_correction(fake_pdf: list[tuple[str, str]]) -> None:
    certificate = _certificate()
    _request(certificate)

    with pytest.raises(ValidationError) as open_already:
        _request(certificate)
    with pytest.raises(ValidationError) as same_name:
        services.certificate_amendment_request(
            certificate=_certificate(),
            actor=StaffMemberFactory().user,
            reason="misspelling",
            corrected_first_name="Ana",
            corrected_last_name="Lopez",
        )

    assert open_already.value.messages == [str(services.AMENDMENT_ALREADY_OPEN.message)]
    assert same_name.value.messages == [str(services.AMENDMENT_SAME_NAME.message)]


def test_the_whole_journey_in_the_centre_area(client: Client) -> None:
    """Request, return, issue: a new certificate with the corrected name; the old QR says it was replaced."""
    certificate = _certificate()
    entry = certificate.result.entry
    staff, member = staff_client(entry.centre)
    page_url = f"/centre/certificates/entries/{entry.public_id}/"

    page = staff.get(page_url).content.decode()
    assert "13 June 2027" in page  # the last day for an amended certificate is shown

    response = staff.post(
        f"{page_url}amend/",
        {
            "reason": "misspelling",
            "corrected_first_name": "Ana",
            "corrected_last_name": "López",
            "explanation": "Accent missing",
        },
    )
    assert response.status_code == 302
    amendment = CertificateAmendment.objects.get()
    assert amendment.status == CertificateAmendment.Status.REQUESTED

    # Producing it before the return is refused, and nothing is produced.
    staff.post(f"/centre/certificates/amendments/{amendment.public_id}/issue/")
    assert str(services.AMENDMENT_NOT_RETURNED.message) in staff.get(page_url).content.decode()
    assert Document.objects.filter(kind=Document.Kind.CERTIFICATE).count() == 1

    staff.post(f"/centre/certificates/amendments/{amendment.public_id}/returned/")
    staff.post(f"/centre/certificates/amendments/{amendment.public_id}/issue/")

    amendment.refresh_from_db()
    certificate.refresh_from_db()
    new = amendment.amended_certificate
    assert amendment.status == CertificateAmendment.Status.ISSUED
    assert amendment.returned_at is not None and amendment.returned_at <= amendment.issued_at  # type: ignore[operator]
    assert new is not None and new.name_printed == "Ana López" and new.status == Document.Status.CURRENT
    assert certificate.status == Document.Status.SUPERSEDED and certificate.replaced_by == new
    text = pdf_text(stored_pdf(new))
    assert "Ana López" in text and f"replaces {certificate.uuid}" in text

    old_qr = client.get(f"/verify/v/{document_token(document_uuid=certificate.uuid)}").content.decode()
    assert "This document was replaced on" in old_qr and "Ana López" in old_qr
    new_qr = client.get(f"/verify/v/{document_token(document_uuid=new.uuid)}").content.decode()
    assert "This document is current." in new_qr and "Ana López" in new_qr

    history = staff.get(page_url).content.decode()
    assert "Ana Lopez → Ana López" in history and "Accent missing" in history
    assert member.user.email in history

    events = list(AuditEvent.objects.filter(subject=entry.candidate_id).order_by("at", "pk"))
    assert [e.action for e in events] == [
        "certificate.amendment_requested",
        "certificate.amendment_returned",
        "candidate.name_corrected",
        "certificate.amendment_issued",
    ]
    assert all(e.actor == member.user for e in events)
    assert events[2].detail["before"] == "Ana Lopez" and events[2].detail["after"] == "Ana López"
    assert events[0].reason == "Accent missing"
    assert events[-1].detail["corrected_name"] == "Ana López"
    assert events[-1].detail["name_on_certificate"] == "Ana Lopez"


def test_a_refusal_is_explained_to_the_centre(fake_pdf: list[tuple[str, str]]) -> None:
    certificate = _certificate()
    entry = certificate.result.entry
    staff, _member = staff_client(entry.centre)

    response = staff.post(
        f"/centre/certificates/entries/{entry.public_id}/amend/",
        {"reason": "marriage", "corrected_first_name": "Ana", "corrected_last_name": "Smith"},
        follow=True,
    )

    page = response.content.decode()
    assert "it must be the candidate&#x27;s name at the time of the exam" in page
    assert CertificateAmendment.objects.get().status == CertificateAmendment.Status.REFUSED


def test_an_exam_more_than_two_years_ago_is_refused_in_the_centre_area(fake_pdf: list[tuple[str, str]]) -> None:
    # Two years from 20 September 2023 ended the day before TODAY.
    _entry, result = released_entry(date=dt.date(2023, 9, 20), first_name="Ana", last_name="Lopez")
    services.documents_render_for_results(result_ids=[result.pk])
    staff, _member = staff_client(result.entry.centre)

    staff.post(
        f"/centre/certificates/entries/{result.entry.public_id}/amend/",
        {"reason": "misspelling", "corrected_first_name": "Ana", "corrected_last_name": "López"},
    )

    amendment = CertificateAmendment.objects.get()
    assert amendment.status == CertificateAmendment.Status.REFUSED
    assert amendment.refusal.endswith("For this exam the last day was 20 September 2025.")
    assert (amendment.refusal_code, amendment.refusal_values) == ("amendment.too_late", {"last_day": "2025-09-20"})


def test_later_documents_keep_the_corrected_name(fake_pdf: list[tuple[str, str]]) -> None:
    certificate = _certificate()
    amendment = _request(certificate)
    services.certificate_amendment_mark_returned(amendment=amendment, actor=amendment.requested_by)
    services.certificate_amendment_issue(amendment=amendment, actor=amendment.requested_by)
    result = certificate.result
    type(result).objects.filter(pk=result.pk).update(version=2, amended_at=timezone.now())

    services.documents_render_for_results(result_ids=[result.pk])

    current = Document.objects.get(result=result, kind=Document.Kind.CERTIFICATE, status=Document.Status.CURRENT)
    assert current.result_version == 2 and current.name_printed == "Ana López"
