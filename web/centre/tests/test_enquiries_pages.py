"""The centre's enquiries pages: consent, raising with refusals shown, the list with filters and CSV, ownership."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape

from accounts.tests.factories import UserFactory
from centres.tests.factories import CentreFactory, EntryFactory, ExamSessionFactory
from certificates.tests.factories import staff_client
from exams.models import Component, Exam, ServiceFee
from results import enquiries
from results.models import EnquiryConsent, ResultEnquiry
from results.tests.factories import result_for

pytestmark = pytest.mark.django_db


def _result(centre, *, deadline_in_days: int = 10, last_name: str = "López"):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    session = ExamSessionFactory.create(
        exam=Exam.objects.get(code="FCE"),
        date=today - dt.timedelta(days=50 + deadline_in_days),
        enquiry_deadline=today + dt.timedelta(days=deadline_in_days),
    )
    entry = EntryFactory.create(session=session, person__centre=centre, person__last_name=last_name)
    return result_for(entry, released_at=timezone.now() - dt.timedelta(days=1))


@pytest.fixture
def fees() -> None:
    for service in ("clerical_recheck", "review_of_marking"):
        ServiceFee.objects.create(service=service, year=timezone.localdate().year, amount="30.00")


def test_written_consent_then_enquiry_raised(fees: None) -> None:
    centre = CentreFactory.create()
    result = _result(centre)
    staff, member = staff_client(centre)
    base = f"/centre/enquiries/entries/{result.entry.public_id}/"

    page = staff.get(base).content.decode()
    assert "Grades can go down as well as up" in page and "No consent yet" in page

    refused = staff.post(f"{base}raise/", {"component": "writing", "service": "review_of_marking"})
    assert refused.status_code == 400 and escape(str(enquiries.ENQUIRY_NO_CONSENT.message)) in refused.content.decode()

    signed_on = timezone.localdate().isoformat()
    assert staff.post(f"{base}consent/", {"signed_by": "Ana López", "signed_on": signed_on}).status_code == 302
    consent = EnquiryConsent.objects.get()
    assert (consent.source, consent.signed_by, consent.recorded_by) == ("written", "Ana López", member.user)

    assert staff.post(f"{base}raise/", {"component": "writing", "service": "review_of_marking"}).status_code == 302
    enquiry = ResultEnquiry.objects.get()
    assert (enquiry.component.code, enquiry.status, str(enquiry.fee)) == ("writing", "received", "30.00")
    listing = staff.get("/centre/enquiries/").content.decode()
    assert result.entry.candidate_id in listing and "Review of marking" in listing and "Received" in listing


def test_after_the_deadline_the_page_and_the_refusal_name_the_date(fees: None) -> None:
    centre = CentreFactory.create()
    result = _result(centre, deadline_in_days=-3)
    staff, _member = staff_client(centre)
    base = f"/centre/enquiries/entries/{result.entry.public_id}/"
    page = staff.get(base).content.decode()
    assert "The deadline for enquiries about results" in page
    response = staff.post(f"{base}raise/", {"component": "writing", "service": "clerical_recheck"})
    assert response.status_code == 400 and "The deadline for enquiries about results" in response.content.decode()


def test_another_centres_candidate_is_a_404_and_their_enquiries_are_not_listed(fees: None) -> None:
    mine, theirs = CentreFactory.create(), CentreFactory.create()
    other = _result(theirs, last_name="Other")
    enquiries.enquiry_consent_record_written(
        result=other, actor=UserFactory(), signed_by="X", signed_on=timezone.localdate()
    )
    enquiries.enquiry_raise(
        result=other,
        component=Component.objects.get(exam__code="FCE", code="reading"),
        service="clerical_recheck",
        actor=UserFactory(),
    )
    staff, _member = staff_client(mine)
    base = f"/centre/enquiries/entries/{other.entry.public_id}/"
    assert staff.get(base).status_code == 404
    assert staff.post(f"{base}consent/", {"signed_by": "X", "signed_on": "2020-01-01"}).status_code == 404
    assert staff.post(f"{base}raise/", {"component": "reading", "service": "clerical_recheck"}).status_code == 404
    assert other.entry.candidate_id not in staff.get("/centre/enquiries/").content.decode()
    assert other.entry.candidate_id not in staff.get("/centre/enquiries.csv").content.decode()


def _enquiry(centre, number: int, service: str = "clerical_recheck") -> ResultEnquiry:  # type: ignore[no-untyped-def]
    result = _result(centre, deadline_in_days=10 + number, last_name=f"Many{number}")
    enquiries.enquiry_consent_record_written(
        result=result, actor=UserFactory(), signed_by="X", signed_on=timezone.localdate()
    )
    return enquiries.enquiry_raise(
        result=result,
        component=Component.objects.get(exam__code="FCE", code="reading"),
        service=service,
        actor=UserFactory(),
    )


def test_filters_and_csv(fees: None) -> None:
    centre = CentreFactory.create()
    recheck, review = _enquiry(centre, 1), _enquiry(centre, 2, "review_of_marking")
    enquiries.enquiry_complete(enquiry=review, actor=UserFactory(), outcome="no_change")
    staff, _member = staff_client(centre)
    completed = staff.get("/centre/enquiries/?status=completed").content.decode()
    assert review.result.entry.candidate_id in completed and recheck.result.entry.candidate_id not in completed
    session = recheck.result.entry.session.public_id
    by_session = staff.get(f"/centre/enquiries/?session={session}").content.decode()
    assert recheck.result.entry.candidate_id in by_session and review.result.entry.candidate_id not in by_session

    download = staff.get("/centre/enquiries.csv?service=review_of_marking")
    assert download["Cache-Control"] == "private, no-store"
    lines = download.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("reference,candidate_id,candidate_name")
    assert len(lines) == 2 and review.result.entry.candidate_id in lines[1] and "No change" in lines[1]


def test_the_list_and_csv_take_as_many_queries_for_many_enquiries_as_for_few(fees: None) -> None:
    centre = CentreFactory.create()
    staff, _member = staff_client(centre)

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert staff.get(path).status_code == 200
        return sum("django_session" not in query["sql"] for query in queries.captured_queries)

    _enquiry(centre, 0)
    few = (count("/centre/enquiries/"), count("/centre/enquiries.csv"))
    for number in range(1, 9):
        _enquiry(centre, number)
    assert (count("/centre/enquiries/"), count("/centre/enquiries.csv")) == few


def test_refusals_are_in_the_pages_language_and_the_audit_trail_keeps_english() -> None:
    """No fee in the table and a passed deadline, on the Spanish pages: the rule and its dates in Spanish."""
    from accounts.models import AuditEvent

    centre = CentreFactory.create()
    result = _result(centre)
    staff, _member = staff_client(centre)
    base = f"/es/centre/enquiries/entries/{result.entry.public_id}/"
    signed_on = timezone.localdate().isoformat()
    assert staff.post(f"{base}consent/", {"signed_by": "Ana López", "signed_on": signed_on}).status_code == 302

    refused = staff.post(f"{base}raise/", {"component": "writing", "service": "clerical_recheck"})

    year = timezone.localdate().year
    assert refused.status_code == 400
    assert (
        escape(
            f"El organismo examinador no ha fijado la tasa de la comprobación administrativa para {year}, así que "
            "todavía no se puede solicitar la revisión."
        )
        in refused.content.decode()
    )
    event = AuditEvent.objects.get(action="enquiry.refused")
    assert event.reason == (
        f"The board has not set the fee for a clerical re-check in {year}, so the enquiry cannot be raised yet."
    )

    late = _result(centre, deadline_in_days=-1, last_name="Ruiz")
    page = staff.get(f"/es/centre/enquiries/entries/{late.entry.public_id}/").content.decode()
    session = late.entry.session
    with translation.override("es"):
        deadline, today = date_format(session.enquiry_deadline), date_format(timezone.localdate())
        sat = date_format(session.date)
    assert (
        escape(
            f"El plazo para solicitar revisiones de resultados de B2 First ({sat}) terminó el {deadline}; "
            f"hoy es {today}."
        )
        in page
    )
