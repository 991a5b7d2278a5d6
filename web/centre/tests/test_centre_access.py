"""The centre's certificate desk: its own released results only; everything else is 404 or the login page."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from centres.tests.factories import CentreFactory
from certificates import duplicates, services
from certificates.models import CertificateAmendment, Document, DuplicateCertificateRequest
from certificates.tests.conftest import _site_url  # noqa: F401 - autouse: SITE_URL as in the documents tests
from certificates.tests.factories import released_entry, staff_client
from exams.models import ServiceFee
from results.models import Result

pytestmark = pytest.mark.django_db


def _prepared() -> tuple[object, Document, CertificateAmendment, DuplicateCertificateRequest]:
    entry, result = released_entry(first_name="Ana", last_name="Lopez")
    services.documents_render_for_results(result_ids=[result.pk])
    certificate = Document.objects.get(result=result, kind=Document.Kind.CERTIFICATE)
    _staff, member = staff_client(entry.centre)
    amendment = services.certificate_amendment_request(
        certificate=certificate,
        actor=member.user,
        reason="misspelling",
        corrected_first_name="Ana",
        corrected_last_name="López",
        today=entry.session.date,
    )
    ServiceFee.objects.create(service="duplicate_certificate", year=timezone.localdate().year, amount="40.00")
    duplicate = duplicates.duplicate_certificate_request(
        certificate=certificate,
        actor=member.user,
        reason="damaged",
        original_returned=True,
        today=entry.session.date + dt.timedelta(days=30),
    )
    return entry, certificate, amendment, duplicate


def test_another_centres_staff_get_404_everywhere(fake_pdf: list[tuple[str, str]]) -> None:
    entry, certificate, amendment, duplicate = _prepared()
    other, _member = staff_client(CentreFactory())
    entry_url = f"/centre/certificates/entries/{entry.public_id}/"  # type: ignore[attr-defined]

    assert other.get(entry_url).status_code == 404
    assert other.get(f"/centre/certificates/documents/{certificate.uuid}.pdf").status_code == 404
    form = {"reason": "misspelling", "corrected_first_name": "A", "corrected_last_name": "B"}
    assert other.post(f"{entry_url}amend/", form).status_code == 404
    assert other.post(f"{entry_url}duplicate/", {"reason": "damaged", "original_returned": "on"}).status_code == 404
    assert other.post(f"/centre/certificates/amendments/{amendment.public_id}/returned/").status_code == 404
    assert other.post(f"/centre/certificates/amendments/{amendment.public_id}/issue/").status_code == 404
    assert entry.candidate_id not in other.get("/centre/certificates/").content.decode()  # type: ignore[attr-defined]

    amendment.refresh_from_db()
    assert amendment.status == CertificateAmendment.Status.REQUESTED
    assert DuplicateCertificateRequest.objects.get() == duplicate


def test_the_centre_lists_and_downloads_its_own_documents(fake_pdf: list[tuple[str, str]]) -> None:
    entry, certificate, _amendment, _order = _prepared()
    staff, _member = staff_client(entry.centre)  # type: ignore[attr-defined]

    listing = staff.get("/centre/certificates/").content.decode()
    download = staff.get(f"/centre/certificates/documents/{certificate.uuid}.pdf")

    assert entry.candidate_id in listing  # type: ignore[attr-defined]
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith('attachment; filename="certificate-FCE-')
    assert download["Cache-Control"] == "private, no-store"
    assert "ETag" not in download and "Last-Modified" not in download
    b"".join(download.streaming_content)  # type: ignore[arg-type]


def test_unreleased_results_are_not_on_the_desk(fake_pdf: list[tuple[str, str]]) -> None:
    entry, _result = released_entry(released_at=timezone.now() + dt.timedelta(days=1), status=Result.Status.READY)
    staff, _member = staff_client(entry.centre)

    assert staff.get(f"/centre/certificates/entries/{entry.public_id}/").status_code == 404
    assert entry.candidate_id not in staff.get("/centre/certificates/").content.decode()


def test_only_staff_who_passed_2fa_get_in(fake_pdf: list[tuple[str, str]]) -> None:
    entry, _result = released_entry()
    anonymous = Client().get("/centre/certificates/")
    candidate = Client()
    from results.tests.factories import account_for

    candidate.force_login(account_for(entry).user)

    assert anonymous.status_code == 302 and "/centre/login/" in anonymous["Location"]
    assert candidate.get(f"/centre/certificates/entries/{entry.public_id}/").status_code == 302
