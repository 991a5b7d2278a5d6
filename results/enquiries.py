"""Enquiries about results: consent, raising, working and the outcome (docs/domain.md §17 'Post-results services').

Every rule with its date is checked here, and a refusal names the rule and the date that applied. A centre raises
an enquiry about one component of a released result, with the candidate's consent (given in their account, or
written consent the centre records), on or before the session's enquiry deadline, for the fee of the board's table
in force that year. The board works it (received → in progress → completed). A changed mark is written through
the results import (``results_import``), the one path of every amendment: new version, history, the candidate's
email, and the ``AMENDED`` event that documents, results files and deliveries to organisations follow. The fee
is waived when the grade changed. Every step, refusals included, is in the audit trail.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import audit_record
from candidates.models import CandidateAccount
from centres.models import Centre
from exams.models import Component, Exam, ExamSession
from exams.selectors import service_fee
from grading.legacy import legacy_format
from results_portal.csvimport import ImportRejected
from results_portal.downloads import csv_text
from results_portal.refusals import Refusal, Rule

from .imports import results_import
from .legacy import legacy_results_import
from .models import ComponentScore, EnquiryConsent, Result, ResultEnquiry
from .selectors import Audience, results_visible

# Refusals and errors shown to centre staff, the candidate and the board, in the page's language
# (``results_portal.refusals``; the tests reuse them).
ENQUIRY_NOT_RELEASED = Rule(
    "enquiry.not_released",
    _("An enquiry can only be raised about a result that has been released to the candidate."),
)
ENQUIRY_NO_DEADLINE = Rule(
    "enquiry.no_deadline",
    _(
        "Enquiries about results for %(exam)s (%(date)s) are not open: the board has not set the session's enquiry "
        "deadline."
    ),
    dates=("date",),
)
ENQUIRY_DEADLINE_PASSED = Rule(
    "enquiry.deadline_passed",
    _("The deadline for enquiries about results for %(exam)s (%(date)s) was %(deadline)s; today is %(today)s."),
    dates=("date", "deadline", "today"),
)
ENQUIRY_NO_CONSENT = Rule(
    "enquiry.no_consent",
    _(
        "The candidate's consent is needed first: the candidate gives it in their results account, or the centre "
        "records the candidate's written consent."
    ),
)
# One sentence per service, so that each language words it whole.
ENQUIRY_NO_FEE = {
    ResultEnquiry.Service.CLERICAL_RECHECK: Rule(
        "enquiry.no_fee.clerical_recheck",
        _("The board has not set the fee for a clerical re-check in %(year)d, so the enquiry cannot be raised yet."),
    ),
    ResultEnquiry.Service.REVIEW_OF_MARKING: Rule(
        "enquiry.no_fee.review_of_marking",
        _("The board has not set the fee for a review of marking in %(year)d, so the enquiry cannot be raised yet."),
    ),
}
ENQUIRY_ALREADY_OPEN = Rule(
    "enquiry.already_open", _("An enquiry about %(component)s for this result is already open.")
)
ENQUIRY_COMPONENT = Rule("enquiry.component", _("%(component)s is not a component of this result."))
ENQUIRY_SERVICE = Rule("enquiry.service", _("Choose a clerical re-check or a review of marking."))
CONSENT_SIGNED_BY = Rule("enquiry.consent_signed_by", _("Give the name of the person who signed the consent."))
CONSENT_SIGNED_TOO_EARLY = Rule(
    "enquiry.consent_too_early",
    _(
        "Written consent must be signed once the result was released, on or after %(released)s; it is dated "
        "%(signed)s."
    ),
    dates=("released", "signed"),
)
CONSENT_SIGNED_FUTURE = Rule(
    "enquiry.consent_future", _("Written consent cannot be dated after today (%(today)s)."), dates=("today",)
)
ENQUIRY_NOT_RECEIVED = Rule("enquiry.not_received", _("Only a received enquiry can be started."))
ENQUIRY_CLOSED = Rule("enquiry.closed", _("This enquiry is already completed."))
OUTCOME_UNKNOWN = Rule("enquiry.outcome_unknown", _("Choose the outcome: no change, marks changed or grade changed."))
OUTCOME_SCORE_NEEDED = Rule(
    "enquiry.outcome_score_needed", _("Give the new mark of %(component)s: the outcome changes it.")
)
OUTCOME_SCORE_SAME = Rule(
    "enquiry.outcome_score_same", _("The new mark is the same as before (%(score)d): record 'no change' instead.")
)
# The outcome the new mark gives, one sentence each.
OUTCOME_DOES_NOT_MATCH = {
    ResultEnquiry.Outcome.MARKS_CHANGED: Rule(
        "enquiry.outcome_is_marks_changed",
        _(
            "With a mark of %(score)d the grade would be %(grade)s (before: %(before)s), so the outcome is "
            "'Marks changed, grade unchanged'."
        ),
    ),
    ResultEnquiry.Outcome.GRADE_CHANGED: Rule(
        "enquiry.outcome_is_grade_changed",
        _(
            "With a mark of %(score)d the grade would be %(grade)s (before: %(before)s), so the outcome is "
            "'Grade changed'."
        ),
    ),
}
OUTCOME_MARK_REFUSED = Rule(
    "enquiry.outcome_mark_refused",
    _("The new mark of %(component)s cannot be recorded, and nothing was changed: %(problem)s."),
)

ENQUIRY_CSV_HEADER = (
    "reference",
    "candidate_id",
    "candidate_name",
    "exam",
    "session_date",
    "component",
    "service",
    "status",
    "outcome",
    "mark_before",
    "mark_after",
    "grade_before",
    "grade_after",
    "fee",
    "fee_waived",
    "raised_at",
    "completed_at",
)


def _today() -> dt.date:
    return timezone.localdate()


def _released(result: Result, *, now: dt.datetime | None = None) -> Result | None:
    """Return ``result`` if it is out for its candidate (released, not held, not withdrawn), else None."""
    return (
        results_visible(audience=Audience.entries([result.entry]), now=now)
        .select_related("entry__session__exam", "entry__person")
        .filter(pk=result.pk)
        .first()
    )


def enquiry_deadline_refusal(*, session: ExamSession, today: dt.date | None = None) -> Refusal | None:
    """Return why an enquiry about a result of ``session`` cannot be raised today (the rule and its date), or None."""
    day = today or _today()
    if session.enquiry_deadline is None:
        return ENQUIRY_NO_DEADLINE.refusal(exam=session.exam.name, date=session.date)
    if day > session.enquiry_deadline:
        return ENQUIRY_DEADLINE_PASSED.refusal(
            exam=session.exam.name, date=session.date, deadline=session.enquiry_deadline, today=day
        )
    return None


def enquiry_consent_current(*, result: Result) -> EnquiryConsent | None:
    """Return the latest consent to an enquiry about ``result``, or None."""
    return EnquiryConsent.objects.filter(result=result).order_by("-given_at").first()


# --- Consent ---------------------------------------------------------------------------------------------------
@transaction.atomic
def enquiry_consent_give(*, account: CandidateAccount, result: Result) -> EnquiryConsent:
    """Record the candidate's own consent to an enquiry about one of their released results (audited)."""
    visible = results_visible(audience=Audience.candidate(account.pk)).filter(pk=result.pk).first()
    if visible is None:
        raise ENQUIRY_NOT_RELEASED.error()
    consent = EnquiryConsent.objects.create(result=visible, source=EnquiryConsent.Source.ACCOUNT, account=account)
    audit_record(
        actor=account.user,
        action="enquiry.consent_given",
        subject=visible.entry.candidate_id,
        detail={"consent": str(consent.public_id), "source": consent.source},
    )
    return consent


@transaction.atomic
def enquiry_consent_record_written(
    *, result: Result, actor: User, signed_by: str, signed_on: dt.date, today: dt.date | None = None
) -> EnquiryConsent:
    """Record the candidate's written consent, held by the centre: who signed it and when (audited)."""
    released = _released(result)
    if released is None:
        raise ENQUIRY_NOT_RELEASED.error()
    if not signed_by.strip():
        raise CONSENT_SIGNED_BY.error()
    day = today or _today()
    if signed_on > day:
        raise CONSENT_SIGNED_FUTURE.error(today=day)
    released_on = timezone.localdate(released.released_at)
    if signed_on < released_on:
        raise CONSENT_SIGNED_TOO_EARLY.error(released=released_on, signed=signed_on)
    consent = EnquiryConsent.objects.create(
        result=released,
        source=EnquiryConsent.Source.WRITTEN,
        signed_by=signed_by.strip(),
        signed_on=signed_on,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="enquiry.consent_recorded",
        subject=released.entry.candidate_id,
        detail={"consent": str(consent.public_id), "signed_by": consent.signed_by, "signed_on": str(signed_on)},
    )
    return consent


# --- Raising ---------------------------------------------------------------------------------------------------
def _refuse(*, actor: User, result: Result, refusal: Refusal, detail: dict[str, str]) -> ValidationError:
    """Record a refusal in the audit trail, in English (it stays when the caller's transaction does not), and
    return its error in the page's language."""
    audit_record(
        actor=actor,
        action="enquiry.refused",
        subject=result.entry.candidate_id,
        reason=refusal.english(),
        detail={**detail, "rule": refusal.code},
    )
    return refusal.error()


def enquiry_raise(
    *, result: Result, component: Component, service: str, actor: User, today: dt.date | None = None
) -> ResultEnquiry:
    """Raise an enquiry about one component of a released result; raise ``ValidationError`` naming the rule if not.

    The caller has found ``result`` among the centre's own (``results_visible`` for the centre).
    """
    if service not in ResultEnquiry.Service.values:
        raise ENQUIRY_SERVICE.error()
    day = today or _today()
    detail = {"component": component.code, "service": service}
    released = _released(result)
    if released is None:
        raise _refuse(actor=actor, result=result, refusal=ENQUIRY_NOT_RELEASED.refusal(), detail=detail)
    if component.exam_id != released.entry.session.exam_id:
        raise ENQUIRY_COMPONENT.error(component=component.name)
    refusal = enquiry_deadline_refusal(session=released.entry.session, today=day)
    if refusal is not None:
        raise _refuse(actor=actor, result=released, refusal=refusal, detail=detail)
    consent = enquiry_consent_current(result=released)
    if consent is None:
        raise _refuse(actor=actor, result=released, refusal=ENQUIRY_NO_CONSENT.refusal(), detail=detail)
    fee = service_fee(service=service, on=day)
    if fee is None:
        refusal = ENQUIRY_NO_FEE[ResultEnquiry.Service(service)].refusal(year=day.year)
        raise _refuse(actor=actor, result=released, refusal=refusal, detail=detail)
    score = ComponentScore.objects.filter(result=released, component=component).first()
    if score is None:
        raise ENQUIRY_COMPONENT.error(component=component.name)
    try:
        return _enquiry_create(
            result=released, component=component, service=service, consent=consent, fee=fee, score=score, actor=actor
        )
    except IntegrityError as error:
        raise ENQUIRY_ALREADY_OPEN.error(component=component.name) from error


@transaction.atomic
def _enquiry_create(
    *,
    result: Result,
    component: Component,
    service: str,
    consent: EnquiryConsent,
    fee: Decimal,
    score: ComponentScore,
    actor: User,
) -> ResultEnquiry:
    if ResultEnquiry.objects.filter(
        result=result,
        component=component,
        status__in=[ResultEnquiry.Status.RECEIVED, ResultEnquiry.Status.IN_PROGRESS],
    ).exists():
        raise ENQUIRY_ALREADY_OPEN.error(component=component.name)
    with transaction.atomic():  # the unique constraint is the last word when two requests race
        enquiry = ResultEnquiry.objects.create(
            result=result,
            component=component,
            service=service,
            consent=consent,
            fee=fee,
            score_before=score.score,
            grade_before=result.grade,
            raised_by=actor,
        )
    _audit(enquiry, actor=actor, action="enquiry.raised")
    return enquiry


def _audit(enquiry: ResultEnquiry, *, actor: User | None, action: str, reason: str = "") -> None:
    audit_record(
        actor=actor,
        action=action,
        subject=enquiry.result.entry.candidate_id,
        reason=reason,
        detail={
            "enquiry": str(enquiry.public_id),
            "component": enquiry.component.code,
            "service": enquiry.service,
            "status": enquiry.status,
            "outcome": enquiry.outcome,
            "fee": str(enquiry.fee),
            "fee_waived": enquiry.fee_waived,
            "score_before": enquiry.score_before,
            "score_after": enquiry.score_after,
            "grade_before": enquiry.grade_before,
            "grade_after": enquiry.grade_after,
        },
    )


# --- The board's work --------------------------------------------------------------------------------------------
def _locked(enquiry: ResultEnquiry) -> ResultEnquiry:
    return (
        ResultEnquiry.objects.select_for_update(of=("self",))
        .select_related("result__entry__session__exam", "component")
        .get(pk=enquiry.pk)
    )


@transaction.atomic
def enquiry_start(*, enquiry: ResultEnquiry, actor: User) -> ResultEnquiry:
    """Mark a received enquiry in progress, with who and when (audited)."""
    locked = _locked(enquiry)
    if locked.status != ResultEnquiry.Status.RECEIVED:
        raise (ENQUIRY_NOT_RECEIVED if locked.status != ResultEnquiry.Status.COMPLETED else ENQUIRY_CLOSED).error()
    locked.status, locked.started_by, locked.started_at = ResultEnquiry.Status.IN_PROGRESS, actor, timezone.now()
    locked.save(update_fields=["status", "started_by", "started_at"])
    _audit(locked, actor=actor, action="enquiry.started")
    return locked


def _amendment_file(*, result: Result, component: Component, score: int) -> str:
    """Return the results file that changes ``component`` of ``result`` to ``score``, every other mark kept.

    A scale-score exam's line needs every component, and a legacy sitting's every paper (its raw marks); a unit
    file needs only the unit.
    """
    entry, session = result.entry, result.entry.session
    if session.exam.family == Exam.Family.UNITISED:
        scores = {component.code: score}
    else:
        scores = dict(ComponentScore.objects.filter(result=result).values_list("component__code", "score"))
        scores[component.code] = score
    rows = [(entry.candidate_id, session.exam.code, session.date.isoformat(), code, s) for code, s in scores.items()]
    return csv_text(header=("candidate_id", "exam_code", "session_date", "component", "score"), rows=rows)


def _amendment_import(*, result: Result, component: Component, score: int, actor: User, reason: str) -> None:
    """Write ``score`` as the new mark of ``component`` of ``result`` through the import its sitting is graded by.

    A legacy sitting (docs/domain.md §6.5: raw paper marks, weighted and added) goes through the legacy import,
    every other through the results import; both write an amendment the same way. When the import refuses the
    mark (above the paper's maximum, say), raise ``ValidationError`` naming the component and the problem; the
    caller's transaction then writes nothing.
    """
    session = result.entry.session
    legacy = legacy_format(exam_code=session.exam.code, session_date=session.date) is not None
    importer = legacy_results_import if legacy else results_import
    try:
        importer(text=_amendment_file(result=result, component=component, score=score), actor=actor, reason=reason)
    except ImportRejected as rejected:
        # The problem with the mark itself, when there is one: the rest follows from it (a paper left out).
        about_mark = [error.message for error in rejected.errors if error.column == "score"]
        problems = "; ".join(about_mark or [error.message for error in rejected.errors])
        raise OUTCOME_MARK_REFUSED.error(component=component.name, problem=problems) from rejected


@transaction.atomic
def enquiry_complete(
    *, enquiry: ResultEnquiry, actor: User, outcome: str, new_score: int | None = None, note: str = ""
) -> ResultEnquiry:
    """Record the outcome of an enquiry, with who and when; a changed mark amends the result (results import).

    The outcome must be what the mark does: 'grade changed' only if the new mark changes the grade, 'marks changed'
    only if it does not. A grade changed waives the fee.
    """
    if outcome not in ResultEnquiry.Outcome.values:
        raise OUTCOME_UNKNOWN.error()
    locked = _locked(enquiry)
    if locked.status == ResultEnquiry.Status.COMPLETED:
        raise ENQUIRY_CLOSED.error()
    if outcome != ResultEnquiry.Outcome.NO_CHANGE:
        if new_score is None:
            raise OUTCOME_SCORE_NEEDED.error(component=locked.component.name)
        if new_score == locked.score_before:
            raise OUTCOME_SCORE_SAME.error(score=new_score)
        result = locked.result
        grade_before = result.grade
        with transaction.atomic():
            _amendment_import(
                result=result,
                component=locked.component,
                score=new_score,
                actor=actor,
                reason=f"Enquiry about results {locked.public_id}: {locked.get_service_display()}",
            )
            result.refresh_from_db()
            changed = (
                ResultEnquiry.Outcome.GRADE_CHANGED
                if result.grade != grade_before
                else ResultEnquiry.Outcome.MARKS_CHANGED
            )
            if changed != outcome:  # leaving the block with the error undoes the import
                raise OUTCOME_DOES_NOT_MATCH[changed].error(score=new_score, grade=result.grade, before=grade_before)
        locked.score_after, locked.grade_after = new_score, result.grade
        locked.result_version_after = result.version
        locked.fee_waived = outcome == ResultEnquiry.Outcome.GRADE_CHANGED
    else:
        locked.score_after, locked.grade_after = locked.score_before, locked.grade_before
    now = timezone.now()
    if locked.started_at is None:
        locked.started_by, locked.started_at = actor, now
    locked.status, locked.outcome, locked.outcome_note = ResultEnquiry.Status.COMPLETED, outcome, note.strip()
    locked.completed_by, locked.completed_at = actor, now
    locked.save()
    _audit(locked, actor=actor, action="enquiry.completed", reason=locked.outcome_note)
    return locked


# --- Reads ------------------------------------------------------------------------------------------------------
def enquiry_components(*, result: Result) -> list[Component]:
    """Return the components of ``result`` that have a mark, in the statement's order: what an enquiry can be about."""
    marked = ComponentScore.objects.filter(result=result).values("component_id")
    return list(Component.objects.filter(pk__in=marked).order_by("order"))


def enquiries_with_details() -> QuerySet[ResultEnquiry]:
    """Return enquiries with what every list shows, newest first."""
    return ResultEnquiry.objects.select_related(
        "result__entry__person", "result__entry__session__exam", "component", "consent"
    ).order_by("-raised_at", "-pk")


def enquiries_for_centre(
    *, centre: Centre, session_id: int | None = None, status: str = "", service: str = ""
) -> QuerySet[ResultEnquiry]:
    """Return the enquiries about the centre's own candidates, filtered by session, status and service."""
    queryset = enquiries_with_details().filter(result__entry__centre=centre)
    if session_id is not None:
        queryset = queryset.filter(result__entry__session_id=session_id)
    if status:
        queryset = queryset.filter(status=status)
    if service:
        queryset = queryset.filter(service=service)
    return queryset


def enquiries_for_account(*, account: CandidateAccount, result: Result) -> QuerySet[ResultEnquiry]:
    """Return the enquiries about one of the candidate's own results (the caller read it through the selector)."""
    return enquiries_with_details().filter(result=result, result__entry__account_link__account=account)


def enquiry_csv_rows(enquiries: QuerySet[ResultEnquiry]) -> list[tuple[object, ...]]:
    """Return the CSV lines of ``enquiries`` under ``ENQUIRY_CSV_HEADER`` (marks as numbers)."""
    return [
        (
            str(e.public_id),
            e.result.entry.candidate_id,
            e.result.entry.person.full_name,
            e.result.entry.session.exam.code,
            e.result.entry.session.date.isoformat(),
            e.component.code,
            e.get_service_display(),
            e.get_status_display(),
            e.get_outcome_display() if e.outcome else "",
            e.score_before,
            e.score_after if e.score_after is not None else "",
            e.grade_before,
            e.grade_after,
            e.fee,
            "yes" if e.fee_waived else "no",
            timezone.localtime(e.raised_at).isoformat(timespec="minutes"),
            timezone.localtime(e.completed_at).isoformat(timespec="minutes") if e.completed_at else "",
        )
        for e in enquiries
    ]


def enquiry_counts_by_session() -> list[dict[str, object]]:
    """Return, per session with enquiries, how many are in each state and how many changed a grade (one query)."""
    rows = (
        ResultEnquiry.objects.values("result__entry__session_id", "status", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_session: dict[int, dict[str, int]] = {}
    for row in rows:
        counts = by_session.setdefault(row["result__entry__session_id"], {})
        counts[row["status"]] = counts.get(row["status"], 0) + row["n"]
        if row["outcome"]:
            counts[row["outcome"]] = counts.get(row["outcome"], 0) + row["n"]
    sessions = ExamSession.objects.select_related("exam").in_bulk(list(by_session))
    return [
        {
            "session": sessions[session_id],
            "total": sum(counts.get(s, 0) for s in ResultEnquiry.Status.values),
            **counts,
        }
        for session_id, counts in sorted(by_session.items(), key=lambda item: sessions[item[0]].date, reverse=True)
    ]
