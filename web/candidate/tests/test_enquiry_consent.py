"""The candidate's enquiries page: warned first that grades can go down as well as up, consent, then status and
outcome; nobody else's result."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from centres.tests.factories import EntryFactory, ExamSessionFactory
from exams.models import Component, Exam, ServiceFee
from results import enquiries
from results.models import EnquiryConsent
from results.tests.factories import account_for, result_for

pytestmark = pytest.mark.django_db


def _entry(days_ago: int = 40):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    session = ExamSessionFactory.create(
        exam=Exam.objects.get(code="FCE"),
        date=today - dt.timedelta(days=days_ago),
        enquiry_deadline=today + dt.timedelta(days=14),
    )
    entry = EntryFactory.create(session=session)
    return entry, result_for(entry, released_at=timezone.now() - dt.timedelta(hours=3))


def test_warning_before_consent_then_status_and_outcome(client: Client) -> None:
    entry, result = _entry()
    account = account_for(entry)
    client.force_login(account.user)
    url = f"/results/{entry.public_id}/enquiries/"

    page = client.get(url).content.decode()
    assert "Your marks and grade can go down as well as up." in page
    assert page.index("can go down as well as up") < page.index("Give my consent")
    assert client.post(url, {}).status_code == 400 and not EnquiryConsent.objects.exists()
    assert client.post(url, {"understood": "on"}).status_code == 302
    consent = EnquiryConsent.objects.get()
    assert (consent.source, consent.account) == ("account", account)

    ServiceFee.objects.create(service="clerical_recheck", year=timezone.localdate().year, amount="10.00")
    enquiry = enquiries.enquiry_raise(
        result=result,
        component=Component.objects.get(exam__code="FCE", code="listening"),
        service="clerical_recheck",
        actor=UserFactory(),
    )
    assert "Received" in client.get(url).content.decode()
    enquiries.enquiry_complete(enquiry=enquiry, actor=UserFactory(), outcome="no_change", note="All marks correct.")
    page = client.get(url).content.decode()
    assert "Completed" in page and "No change" in page and "All marks correct." in page


def test_the_statement_page_links_to_enquiries_and_certifying_statements(client: Client) -> None:
    entry, _result = _entry()
    client.force_login(account_for(entry).user)
    page = client.get(f"/results/{entry.public_id}/").content.decode()
    assert f"/results/{entry.public_id}/enquiries/" in page
    assert f"/results/{entry.public_id}/certifying-statement/" in page


def test_another_candidates_result_is_a_404(client: Client) -> None:
    entry, _result = _entry()
    other, _other_result = _entry(days_ago=41)
    client.force_login(account_for(other).user)
    assert client.get(f"/results/{entry.public_id}/enquiries/").status_code == 404
    assert client.post(f"/results/{entry.public_id}/enquiries/", {"understood": "on"}).status_code == 404
    assert not EnquiryConsent.objects.exists()


def test_a_result_not_yet_released_is_a_404(client: Client) -> None:
    entry, result = _entry()
    result.released_at = result.centre_released_at = timezone.now() + dt.timedelta(hours=1)
    result.save()
    client.force_login(account_for(entry).user)
    assert client.get(f"/results/{entry.public_id}/enquiries/").status_code == 404
