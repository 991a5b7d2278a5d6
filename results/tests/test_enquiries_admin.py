"""The board works enquiries in the admin: start, record the outcome (a refusal stays on the form), counts."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tests.factories import UserFactory
from centres.tests.factories import EntryFactory, ExamSessionFactory
from exams.models import Component, Exam, ServiceFee
from results import enquiries
from results.models import ResultAmendment, ResultEnquiry
from results.tests.factories import result_for

pytestmark = pytest.mark.django_db


def _enquiry() -> ResultEnquiry:
    today = timezone.localdate()
    session = ExamSessionFactory.create(
        exam=Exam.objects.get(code="FCE"), date=today - dt.timedelta(days=45), enquiry_deadline=today
    )
    result = result_for(EntryFactory.create(session=session), released_at=timezone.now() - dt.timedelta(days=1))
    ServiceFee.objects.get_or_create(service="review_of_marking", year=today.year, defaults={"amount": "40.00"})
    enquiries.enquiry_consent_record_written(result=result, actor=UserFactory(), signed_by="A", signed_on=today)
    return enquiries.enquiry_raise(
        result=result,
        component=Component.objects.get(exam__code="FCE", code="writing"),
        service="review_of_marking",
        actor=UserFactory(),
    )


def test_start_then_grade_changed_through_the_change_form(board_client: Client) -> None:
    enquiry = _enquiry()
    listing = "/admin/results/resultenquiry/"
    board_client.post(listing, {"action": "start", "_selected_action": [enquiry.pk]})
    enquiry.refresh_from_db()
    assert enquiry.status == "in_progress" and enquiry.started_by is not None

    change = f"{listing}{enquiry.pk}/change/"
    wrong = board_client.post(change, {"outcome": "grade_changed", "new_score": "172", "outcome_note": ""})
    assert wrong.status_code == 200 and "the outcome is" in wrong.content.decode()
    enquiry.refresh_from_db()
    assert enquiry.status == "in_progress"

    done = board_client.post(change, {"outcome": "grade_changed", "new_score": "190", "outcome_note": "Re-marked."})
    assert done.status_code == 302
    enquiry.refresh_from_db()
    assert (enquiry.status, enquiry.outcome, enquiry.grade_after, enquiry.fee_waived) == (
        "completed",
        "grade_changed",
        "Grade A",
        True,
    )
    assert enquiry.completed_by is not None and enquiry.completed_by.username == "board@example.org"


def test_counts_by_session(board_client: Client) -> None:
    first = _enquiry()
    enquiries.enquiry_complete(enquiry=first, actor=UserFactory(), outcome="no_change")
    second = _enquiry()  # the same session: its results are another entry's
    [row] = enquiries.enquiry_counts_by_session()
    assert (row["session"], row["total"], row["completed"], row["no_change"], row["received"]) == (
        second.result.entry.session,
        2,
        1,
        1,
        1,
    )
    page = board_client.get("/admin/results/resultenquiry/by-session/").content.decode()
    assert str(first.result.entry.session) in page
    assert board_client.get("/admin/results/resultenquiry/").status_code == 200


def test_the_board_list_takes_as_many_queries_for_many_enquiries_as_for_few(board_client: Client) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert board_client.get("/admin/results/resultenquiry/").status_code == 200
        return sum("django_session" not in query["sql"] for query in queries.captured_queries)

    _enquiry()
    few = count()
    for _ in range(6):
        _enquiry()
    assert count() == few


def test_a_new_mark_the_results_import_refuses_is_shown_on_the_form_and_nothing_is_written(
    board_client: Client,
) -> None:
    """B2 First Writing 195 is above the scale: the board reads why on the form; the result stays as it was."""
    enquiry = _enquiry()
    result = enquiry.result
    change = f"/admin/results/resultenquiry/{enquiry.pk}/change/"

    refused = board_client.post(change, {"outcome": "grade_changed", "new_score": "195", "outcome_note": ""})

    assert refused.status_code == 200
    page = refused.content.decode()
    assert "The new mark of Writing cannot be recorded, and nothing was changed" in page
    assert "score 195 is out of range for B2 First (0–190)" in page
    enquiry.refresh_from_db()
    result.refresh_from_db()
    assert (enquiry.status, enquiry.outcome, enquiry.score_after) == ("received", "", None)
    assert (result.version, result.grade) == (1, "Grade B")
    assert not ResultAmendment.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["results.import", "enquiry.completed"]).exists()
