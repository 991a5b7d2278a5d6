"""Enquiries about results: consent, the deadline, the fee table, the board's work and the amendment it makes.

Every date is built from today, so no test expires.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import AuditEvent
from accounts.tests.factories import UserFactory
from centres.services import unit_entries_set
from centres.tests.factories import EntryFactory, ExamSessionFactory
from exams.models import Component, Exam, ServiceFee
from results import enquiries
from results.imports import results_import
from results.legacy import legacy_results_import
from results.models import EnquiryConsent, ResultAmendment, ResultEnquiry, ResultEvent
from results.tests.factories import account_for, result_for, unitised_qualification, unitised_series
from results.tests.legacy_data import delta_2016_session, legacy_csv, legacy_entry

pytestmark = pytest.mark.django_db


def _today() -> dt.date:
    return timezone.localdate()


def _released(*, deadline_in_days: int | None = 20, fee: bool = True, sat_days_ago: int = 60) -> tuple:
    deadline = _today() + dt.timedelta(days=deadline_in_days) if deadline_in_days is not None else None
    session = ExamSessionFactory.create(
        exam=Exam.objects.get(code="FCE"), date=_today() - dt.timedelta(days=sat_days_ago), enquiry_deadline=deadline
    )
    entry = EntryFactory.create(session=session)
    result = result_for(entry, released_at=timezone.now() - dt.timedelta(days=2))
    if fee:
        for service, amount in (("clerical_recheck", "12.50"), ("review_of_marking", "45.00")):
            ServiceFee.objects.update_or_create(service=service, year=_today().year, defaults={"amount": amount})
    return entry, result


def _writing() -> Component:
    return Component.objects.get(exam__code="FCE", code="writing")


def test_without_consent_the_enquiry_is_refused_and_the_refusal_audited() -> None:
    entry, result = _released()
    staff = UserFactory()
    with pytest.raises(ValidationError) as refused:
        enquiries.enquiry_raise(result=result, component=_writing(), service="review_of_marking", actor=staff)
    no_consent = (
        "The candidate's consent is needed first: the candidate gives it in their results account, or the centre "
        "records the candidate's written consent."
    )
    assert refused.value.messages == [no_consent]
    event = AuditEvent.objects.get(action="enquiry.refused")
    assert (event.subject, event.reason, event.detail["rule"]) == (
        entry.candidate_id,
        no_consent,
        "enquiry.no_consent",
    )
    assert not ResultEnquiry.objects.exists()


def test_candidate_consent_then_the_fee_of_the_year_is_charged() -> None:
    entry, result = _released()
    account = account_for(entry)
    consent = enquiries.enquiry_consent_give(account=account, result=result)
    enquiry = enquiries.enquiry_raise(
        result=result, component=_writing(), service="review_of_marking", actor=UserFactory()
    )
    assert (enquiry.consent, enquiry.fee, enquiry.status) == (consent, Decimal("45.00"), "received")
    assert (enquiry.score_before, enquiry.grade_before) == (169, "Grade B")


def test_deadline_day_is_the_last_day_and_the_day_after_is_refused_naming_the_date() -> None:
    _entry, result = _released(deadline_in_days=0)
    enquiries.enquiry_consent_record_written(
        result=result, actor=UserFactory(), signed_by="Ana López", signed_on=_today()
    )
    enquiries.enquiry_raise(result=result, component=_writing(), service="clerical_recheck", actor=UserFactory())

    _entry, late = _released(deadline_in_days=-1, sat_days_ago=61)
    enquiries.enquiry_consent_record_written(result=late, actor=UserFactory(), signed_by="Ana", signed_on=_today())
    with pytest.raises(ValidationError) as refused:
        enquiries.enquiry_raise(result=late, component=_writing(), service="clerical_recheck", actor=UserFactory())
    deadline = date_format(_today() - dt.timedelta(days=1))
    assert "deadline for enquiries" in refused.value.messages[0] and deadline in refused.value.messages[0]


def test_a_session_without_a_deadline_takes_no_enquiries() -> None:
    _entry, result = _released(deadline_in_days=None)
    enquiries.enquiry_consent_record_written(result=result, actor=UserFactory(), signed_by="Ana", signed_on=_today())
    with pytest.raises(ValidationError, match="not set the session's enquiry deadline"):
        enquiries.enquiry_raise(result=result, component=_writing(), service="clerical_recheck", actor=UserFactory())


def test_no_fee_in_the_table_for_this_year_refuses_naming_the_year() -> None:
    _entry, result = _released(fee=False)
    ServiceFee.objects.create(service="review_of_marking", year=_today().year - 1, amount="40.00")
    enquiries.enquiry_consent_record_written(result=result, actor=UserFactory(), signed_by="Ana", signed_on=_today())
    with pytest.raises(ValidationError) as refused:
        enquiries.enquiry_raise(result=result, component=_writing(), service="review_of_marking", actor=UserFactory())
    assert refused.value.messages == [
        f"The board has not set the fee for a review of marking in {_today().year}, so the enquiry cannot be raised "
        "yet."
    ]


def test_written_consent_dated_before_release_or_in_the_future_is_refused() -> None:
    _entry, result = _released()
    released_on = timezone.localdate(result.released_at)
    with pytest.raises(ValidationError, match="on or after"):
        enquiries.enquiry_consent_record_written(
            result=result, actor=UserFactory(), signed_by="Ana", signed_on=released_on - dt.timedelta(days=1)
        )
    with pytest.raises(ValidationError, match="cannot be dated after today"):
        enquiries.enquiry_consent_record_written(
            result=result, actor=UserFactory(), signed_by="Ana", signed_on=_today() + dt.timedelta(days=1)
        )
    assert not EnquiryConsent.objects.exists()


def test_a_result_not_yet_released_or_held_cannot_be_enquired_about() -> None:
    _entry, result = _released()
    result.released_at = result.centre_released_at = timezone.now() + dt.timedelta(days=1)
    result.save()
    with pytest.raises(ValidationError, match="released"):
        enquiries.enquiry_raise(result=result, component=_writing(), service="clerical_recheck", actor=UserFactory())


def test_one_open_enquiry_per_component() -> None:
    _entry, result = _released()
    enquiries.enquiry_consent_record_written(result=result, actor=UserFactory(), signed_by="Ana", signed_on=_today())
    enquiries.enquiry_raise(result=result, component=_writing(), service="clerical_recheck", actor=UserFactory())
    with pytest.raises(ValidationError, match="already open"):
        enquiries.enquiry_raise(result=result, component=_writing(), service="review_of_marking", actor=UserFactory())


def _raised() -> tuple:
    entry, result = _released()
    account = account_for(entry)
    enquiries.enquiry_consent_give(account=account, result=result)
    enquiry = enquiries.enquiry_raise(
        result=result, component=_writing(), service="review_of_marking", actor=UserFactory()
    )
    return entry, result, enquiry


def test_no_change_completes_without_touching_the_result() -> None:
    _entry, result, enquiry = _raised()
    board = UserFactory(is_staff=True)
    enquiries.enquiry_start(enquiry=enquiry, actor=board)
    done = enquiries.enquiry_complete(enquiry=enquiry, actor=board, outcome="no_change", note="Marking confirmed.")
    result.refresh_from_db()
    assert (done.status, done.outcome, done.completed_by, done.fee_waived) == ("completed", "no_change", board, False)
    assert done.started_by == board and done.started_at and done.completed_at
    assert result.version == 1 and not ResultAmendment.objects.exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="enquiry.").order_by("at", "pk").values_list("action", flat=True)
    )
    assert actions == ["enquiry.consent_given", "enquiry.raised", "enquiry.started", "enquiry.completed"]


def test_grade_changed_amends_through_the_results_import_and_waives_the_fee(
    django_capture_on_commit_callbacks: object,
) -> None:
    entry, result, enquiry = _raised()
    board = UserFactory(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        done = enquiries.enquiry_complete(enquiry=enquiry, actor=board, outcome="grade_changed", new_score=190)
    result.refresh_from_db()
    # 176 + 181 + 190 + 172 + 180 = 899, mean 179.8: 180 is Grade A (180-190).
    assert (result.grade, result.overall_score, result.version) == ("Grade A", 180, 2)
    assert (done.outcome, done.grade_before, done.grade_after, done.score_after) == (
        "grade_changed",
        "Grade B",
        "Grade A",
        190,
    )
    assert done.fee_waived and done.result_version_after == 2
    amendment = ResultAmendment.objects.get(result=result)
    assert "Enquiry about results" in amendment.reason and amendment.actor == board
    assert (amendment.before["grade"], amendment.after["grade"]) == ("Grade B", "Grade A")
    assert ResultEvent.objects.filter(kind=ResultEvent.Kind.AMENDED, result_ids=[result.pk]).exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [f"{entry.candidate_id.lower()}@example.org"]


def test_marks_changed_keeps_the_fee_and_an_outcome_the_mark_does_not_give_is_refused_and_undone() -> None:
    _entry, result, enquiry = _raised()
    board = UserFactory(is_staff=True)
    # 169 → 172: 881 / 5 = 176.2, still Grade B.
    with pytest.raises(ValidationError, match="the outcome is 'Marks changed, grade unchanged'"):
        enquiries.enquiry_complete(enquiry=enquiry, actor=board, outcome="grade_changed", new_score=172)
    result.refresh_from_db()
    assert result.version == 1 and not ResultAmendment.objects.exists()
    done = enquiries.enquiry_complete(enquiry=enquiry, actor=board, outcome="marks_changed", new_score=172)
    result.refresh_from_db()
    assert (done.outcome, done.fee_waived, result.grade, result.version) == ("marks_changed", False, "Grade B", 2)


def test_a_changed_outcome_needs_a_new_mark_different_from_the_old() -> None:
    _entry, _result, enquiry = _raised()
    board = UserFactory(is_staff=True)
    with pytest.raises(ValidationError, match="Give the new mark"):
        enquiries.enquiry_complete(enquiry=enquiry, actor=board, outcome="marks_changed")
    with pytest.raises(ValidationError, match="same as before"):
        enquiries.enquiry_complete(enquiry=enquiry, actor=board, outcome="marks_changed", new_score=169)
    enquiries.enquiry_complete(enquiry=enquiry, actor=board, outcome="no_change")
    with pytest.raises(ValidationError, match="already completed"):
        enquiries.enquiry_complete(enquiry=enquiry, actor=board, outcome="no_change")
    with pytest.raises(ValidationError, match="already completed"):
        enquiries.enquiry_start(enquiry=enquiry, actor=board)


def test_a_unit_of_a_unitised_qualification_is_re_marked_through_the_unit_results_import() -> None:
    exam = unitised_qualification()
    series = unitised_series(exam, year=_today().year - 1)  # results out last August
    series.enquiry_deadline = _today() + dt.timedelta(days=5)
    series.save()
    entry = EntryFactory.create(session=series)
    unit_entries_set(entry=entry, unit_codes=["F240", "F241", "F242"], actor=None)
    ready = series.window_start - dt.timedelta(days=3)
    lines = [f"{entry.candidate_id},ANBUS,{series.date},{unit},{raw}" for unit, raw in (("F240", 25), ("F242", 30))]
    results_import(text="candidate_id,exam_code,session_date,component,score\n" + "\n".join(lines) + "\n", now=ready)
    result = entry.result
    ServiceFee.objects.create(service="review_of_marking", year=_today().year, amount="45.00")
    enquiries.enquiry_consent_record_written(result=result, actor=UserFactory(), signed_by="Sam", signed_on=_today())
    unit = Component.objects.get(exam=exam, code="F240")
    enquiry = enquiries.enquiry_raise(result=result, component=unit, service="review_of_marking", actor=UserFactory())
    assert enquiry.score_before == 25
    with pytest.raises(ValidationError, match=r"raw mark 61 is out of range for unit F240 \(0–60\)"):
        enquiries.enquiry_complete(enquiry=enquiry, actor=UserFactory(), outcome="marks_changed", new_score=61)

    done = enquiries.enquiry_complete(enquiry=enquiry, actor=UserFactory(), outcome="marks_changed", new_score=31)

    result.refresh_from_db()
    scores = dict(result.component_scores.values_list("component__code", "score"))
    assert scores == {"F240": 31, "F242": 30}  # the other unit kept
    assert (done.outcome, done.score_after, result.version) == ("marks_changed", 31, 2)


def test_a_mark_the_import_refuses_names_the_component_and_the_problem_and_writes_nothing() -> None:
    _entry, result, enquiry = _raised()
    board = UserFactory(is_staff=True)
    with pytest.raises(ValidationError) as refused:
        enquiries.enquiry_complete(enquiry=enquiry, actor=board, outcome="grade_changed", new_score=195)
    assert refused.value.messages == [
        "The new mark of Writing cannot be recorded, and nothing was changed: score 195 is out of range for B2 First "
        "(0–190)."
    ]
    enquiry.refresh_from_db()
    result.refresh_from_db()
    assert (enquiry.status, result.version) == ("received", 1)
    assert not ResultAmendment.objects.exists()


def _legacy_enquiry(marks: dict[str, int], component: str) -> tuple:
    """Return a released Delta Module One result of June 2016 and an enquiry about one of its papers."""
    session = delta_2016_session()
    session.enquiry_deadline = _today() + dt.timedelta(days=5)  # the board opened enquiries for the session
    session.save()
    entry = legacy_entry(session)
    legacy_results_import(text=legacy_csv(entry, marks))
    result = entry.result
    ServiceFee.objects.create(service="review_of_marking", year=_today().year, amount="45.00")
    enquiries.enquiry_consent_give(account=account_for(entry), result=result)
    paper = Component.objects.get(exam__code="DELTA1", code=component)
    enquiry = enquiries.enquiry_raise(result=result, component=paper, service="review_of_marking", actor=UserFactory())
    return result, enquiry


def test_a_legacy_paper_is_re_marked_through_the_legacy_import_and_the_grade_follows(
    django_capture_on_commit_callbacks: object,
) -> None:
    # 72 + 61 = 133 of 200: Pass with Merit (130–149); paper 2 re-marked to 78 gives 150, Pass with Distinction.
    result, enquiry = _legacy_enquiry({"paper1": 72, "paper2": 61}, "paper2")
    assert (enquiry.score_before, enquiry.grade_before) == (61, "Pass with Merit")
    board = UserFactory(is_staff=True)

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        done = enquiries.enquiry_complete(enquiry=enquiry, actor=board, outcome="grade_changed", new_score=78)

    result.refresh_from_db()
    assert (result.grade, result.version) == ("Pass with Distinction", 2)
    assert dict(result.component_scores.values_list("component__code", "score")) == {"paper1": 72, "paper2": 78}
    assert (done.outcome, done.grade_after, done.score_after, done.fee_waived) == (
        "grade_changed",
        "Pass with Distinction",
        78,
        True,
    )
    amendment = ResultAmendment.objects.get(result=result)
    assert (amendment.before["grade"], amendment.after["grade"]) == ("Pass with Merit", "Pass with Distinction")
    assert len(mail.outbox) == 1


def test_a_legacy_marks_change_keeps_the_grade_and_a_mark_above_the_papers_maximum_is_refused() -> None:
    result, enquiry = _legacy_enquiry({"paper1": 72, "paper2": 61}, "paper1")
    board = UserFactory(is_staff=True)
    with pytest.raises(ValidationError) as refused:
        enquiries.enquiry_complete(enquiry=enquiry, actor=board, outcome="marks_changed", new_score=101)
    assert refused.value.messages == [
        "The new mark of Paper 1 cannot be recorded, and nothing was changed: mark 101 is out of range for Paper 1 "
        "(0–100)."
    ]
    result.refresh_from_db()
    assert result.version == 1

    done = enquiries.enquiry_complete(enquiry=enquiry, actor=board, outcome="marks_changed", new_score=75)  # 136
    result.refresh_from_db()
    assert (done.outcome, done.fee_waived, result.grade, result.version) == (
        "marks_changed",
        False,
        "Pass with Merit",
        2,
    )
