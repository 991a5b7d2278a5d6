"""Duplicate certificates: the rules and their dates, in one place (docs/domain.md §9.6).

A centre asks for a duplicate when a certificate was lost between the centre and the candidate — the candidate told
the centre in writing, at least six and at most twelve months after the exam date, and a postal trace was made (its
reference recorded) — or when it was damaged and the original is back at the centre, within five years of the exam
date. The dates are checked on the day the centre asks. A request the rules refuse is kept, with the rule and the
date that refused it. The board approves a request in the admin, and the duplicate is produced as a new certificate
that replaces the old one (its QR page then says so), or refuses it with a reason. Everything is audited.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import audit_record
from exams.models import ServiceFee
from exams.selectors import service_fee
from results_portal.dates import months_later
from results_portal.refusals import Refusal, Rule, refusal_fields

from .models import Document, DuplicateCertificateRequest
from .selectors import visible_result
from .services import RESULT_NOT_AVAILABLE, certificate_replace

LOST_FROM_MONTHS = 6
LOST_UNTIL_MONTHS = 12
DAMAGED_UNTIL_YEARS = 5

# Refusals shown to centre staff and the board, in the page's language (``results_portal.refusals``; a request
# the rules refuse keeps its rule's code and values). The tests reuse them.
DUPLICATE_NOT_CURRENT = Rule(
    "duplicate.not_current", _("Only the current certificate can be replaced by a duplicate.")
)
DUPLICATE_ALREADY_OPEN = Rule(
    "duplicate.already_open",
    _("A duplicate of this certificate has already been requested: the board is looking at it."),
)
DUPLICATE_REASON = Rule(
    "duplicate.reason",
    _("Choose why a duplicate is needed: lost between the centre and the candidate, or damaged."),
)
LOST_NOT_IN_WRITING = Rule(
    "duplicate.lost_not_in_writing",
    _(
        "A certificate lost between the centre and the candidate is replaced only when the candidate has told the "
        "centre in writing that it did not arrive."
    ),
)
LOST_NO_TRACE = Rule("duplicate.lost_no_trace", _("A postal trace must be made first: give its reference."))
LOST_TOO_EARLY = Rule(
    "duplicate.lost_too_early",
    _(
        "A lost certificate can be replaced once six months have passed since the exam date: for this exam from "
        "%(first_day)s."
    ),
    dates=("first_day",),
)
LOST_TOO_LATE = Rule(
    "duplicate.lost_too_late",
    _(
        "A certificate lost between the centre and the candidate can be replaced only within 12 months of the exam "
        "date: for this exam the last day was %(last_day)s."
    ),
    dates=("last_day",),
)
DAMAGED_NOT_RETURNED = Rule(
    "duplicate.damaged_not_returned",
    _("A damaged certificate is replaced only once the original has been returned to the centre."),
)
DAMAGED_TOO_LATE = Rule(
    "duplicate.damaged_too_late",
    _(
        "A damaged certificate can be replaced only within five years of the exam date: for this exam the last day "
        "was %(last_day)s."
    ),
    dates=("last_day",),
)
DUPLICATE_NO_FEE = Rule(
    "duplicate.no_fee",
    _("The board has not set the fee for a duplicate certificate in %(year)d, so it cannot be asked yet."),
)
DUPLICATE_CLOSED = Rule("duplicate.closed", _("This request has already been decided."))
DUPLICATE_REFUSAL_REQUIRED = Rule(
    "duplicate.refusal_required", _("Say why the request is refused: the centre reads it.")
)


def lost_window(exam_date: dt.date) -> tuple[dt.date, dt.date]:
    """Return the first and the last day a centre can ask for a duplicate of a certificate lost in the post."""
    return months_later(exam_date, LOST_FROM_MONTHS), months_later(exam_date, LOST_UNTIL_MONTHS)


def damaged_last_day(exam_date: dt.date) -> dt.date:
    """Return the last day a centre can ask for a duplicate of a damaged certificate."""
    return months_later(exam_date, 12 * DAMAGED_UNTIL_YEARS)


def duplicate_refusal(
    *, reason: str, exam_date: dt.date, today: dt.date, in_writing: bool, trace_reference: str, original_returned: bool
) -> Refusal | None:
    """Return the rule (with its date) that refuses a duplicate asked for ``today``, or None if none does."""
    if reason == DuplicateCertificateRequest.Reason.LOST_IN_POST:
        first_day, last_day = lost_window(exam_date)
        if today < first_day:
            return LOST_TOO_EARLY.refusal(first_day=first_day)
        if today > last_day:
            return LOST_TOO_LATE.refusal(last_day=last_day)
        if not in_writing:
            return LOST_NOT_IN_WRITING.refusal()
        if not trace_reference.strip():
            return LOST_NO_TRACE.refusal()
        return None
    last_day = damaged_last_day(exam_date)
    if today > last_day:
        return DAMAGED_TOO_LATE.refusal(last_day=last_day)
    if not original_returned:
        return DAMAGED_NOT_RETURNED.refusal()
    return None


def _audit(request: DuplicateCertificateRequest, *, actor: User | None, action: str, reason: str = "") -> None:
    audit_record(
        actor=actor,
        action=action,
        subject=request.certificate.result.entry.candidate_id,
        reason=reason,
        detail={
            "request": str(request.public_id),
            "certificate": str(request.certificate.uuid),
            "reason": request.reason,
            "in_writing": request.in_writing,
            "trace_reference": request.trace_reference,
            "original_returned": request.original_returned,
            "fee": str(request.fee) if request.fee is not None else "",
            "status": request.status,
            "duplicate": str(request.duplicate.uuid) if request.duplicate else "",
        },
    )


@transaction.atomic
def duplicate_certificate_request(
    *,
    certificate: Document,
    actor: User,
    reason: str,
    in_writing: bool = False,
    trace_reference: str = "",
    original_returned: bool = False,
    today: dt.date | None = None,
) -> DuplicateCertificateRequest:
    """Record a centre's request for a duplicate; return it, REFUSED (with the rule and date) if the rules say no."""
    if reason not in DuplicateCertificateRequest.Reason.values:
        raise DUPLICATE_REASON.error()
    certificate = Document.objects.select_for_update().select_related("result__entry__session").get(pk=certificate.pk)
    if certificate.kind != Document.Kind.CERTIFICATE or certificate.status != Document.Status.CURRENT:
        raise DUPLICATE_NOT_CURRENT.error()
    if visible_result(certificate.result) is None:
        raise RESULT_NOT_AVAILABLE.error()
    if DuplicateCertificateRequest.objects.filter(
        certificate=certificate, status=DuplicateCertificateRequest.Status.REQUESTED
    ).exists():
        raise DUPLICATE_ALREADY_OPEN.error()
    day = today or timezone.localdate()
    refusal = duplicate_refusal(
        reason=reason,
        exam_date=certificate.result.entry.session.date,
        today=day,
        in_writing=in_writing,
        trace_reference=trace_reference,
        original_returned=original_returned,
    )
    fee = service_fee(service=ServiceFee.Service.DUPLICATE_CERTIFICATE, on=day)
    if refusal is None and fee is None:
        refusal = DUPLICATE_NO_FEE.refusal(year=day.year)
    request = DuplicateCertificateRequest.objects.create(
        certificate=certificate,
        reason=reason,
        requested_by=actor,
        in_writing=in_writing,
        trace_reference=trace_reference.strip(),
        original_returned=original_returned,
        fee=fee,
        status=DuplicateCertificateRequest.Status.REQUESTED
        if refusal is None
        else DuplicateCertificateRequest.Status.REFUSED,
        **refusal_fields(refusal),
        decided_at=timezone.now() if refusal is not None else None,
    )
    action = "certificate.duplicate_requested" if refusal is None else "certificate.duplicate_refused"
    _audit(request, actor=actor, action=action, reason=request.refusal)
    return request


def _locked(request: DuplicateCertificateRequest) -> DuplicateCertificateRequest:
    return (
        DuplicateCertificateRequest.objects.select_for_update(of=("self",))
        .select_related("certificate__result__entry")
        .get(pk=request.pk)
    )


@transaction.atomic
def duplicate_certificate_issue(*, request: DuplicateCertificateRequest, actor: User) -> DuplicateCertificateRequest:
    """Approve a request (the board): produce the duplicate, which replaces the certificate in force."""
    request = _locked(request)
    if request.status != DuplicateCertificateRequest.Status.REQUESTED:
        raise DUPLICATE_CLOSED.error()
    result = visible_result(request.certificate.result, lock=True)
    if result is None:
        raise RESULT_NOT_AVAILABLE.error()
    request.duplicate = certificate_replace(
        result=result, reason=f"Replaced by a duplicate certificate ({request.get_reason_display()})."
    )
    request.status, request.decided_by, request.decided_at = (
        DuplicateCertificateRequest.Status.ISSUED,
        actor,
        timezone.now(),
    )
    request.save(update_fields=["duplicate", "status", "decided_by", "decided_at"])
    _audit(request, actor=actor, action="certificate.duplicate_issued")
    return request


@transaction.atomic
def duplicate_certificate_refuse(
    *, request: DuplicateCertificateRequest, actor: User, refusal: str
) -> DuplicateCertificateRequest:
    """Refuse a request (the board), saying why; the certificate stays as it is."""
    if not refusal.strip():
        raise DUPLICATE_REFUSAL_REQUIRED.error()
    request = _locked(request)
    if request.status != DuplicateCertificateRequest.Status.REQUESTED:
        raise DUPLICATE_CLOSED.error()
    request.status, request.refusal = DuplicateCertificateRequest.Status.REFUSED, refusal.strip()
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "refusal", "decided_by", "decided_at"])
    _audit(request, actor=actor, action="certificate.duplicate_refused", reason=request.refusal)
    return request
