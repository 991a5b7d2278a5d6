"""Duplicate certificates: the rules and their dates, in one place (docs/domain.md §9.6).

A centre asks for a duplicate when a certificate was lost between the centre and the candidate — the candidate told
the centre in writing, at least six and at most twelve months after the exam date, and a postal trace was made (its
reference recorded) — or when it was damaged and the original is back at the centre, within five years of the exam
date. The dates are checked on the day the centre asks. A request the rules refuse is kept, with the rule and the
date that refused it. The board approves a request in the admin, and the duplicate is produced as a new certificate
that replaces the old one (its QR page then says so), or refuses it with a reason. Everything is audited.
"""

import calendar
import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from accounts.services import audit_record
from exams.models import ServiceFee
from exams.selectors import service_fee

from .models import Document, DuplicateCertificateRequest
from .services import RESULT_NOT_AVAILABLE, _visible, certificate_replace

LOST_FROM_MONTHS = 6
LOST_UNTIL_MONTHS = 12
DAMAGED_UNTIL_YEARS = 5

# Refusals shown to centre staff and the board (the tests reuse them).
DUPLICATE_NOT_CURRENT = "Only the current certificate can be replaced by a duplicate."
DUPLICATE_ALREADY_OPEN = "A duplicate of this certificate has already been requested: the board is looking at it."
DUPLICATE_REASON = "Choose why a duplicate is needed: lost between the centre and the candidate, or damaged."
LOST_NOT_IN_WRITING = (
    "A certificate lost between the centre and the candidate is replaced only when the candidate has told the centre "
    "in writing that it did not arrive."
)
LOST_NO_TRACE = "A postal trace must be made first: give its reference."
LOST_TOO_EARLY = (
    "A lost certificate can be replaced once six months have passed since the exam date: for this exam from "
    "%(first_day)s."
)
LOST_TOO_LATE = (
    "A certificate lost between the centre and the candidate can be replaced only within 12 months of the exam "
    "date: for this exam the last day was %(last_day)s."
)
DAMAGED_NOT_RETURNED = "A damaged certificate is replaced only once the original has been returned to the centre."
DAMAGED_TOO_LATE = (
    "A damaged certificate can be replaced only within five years of the exam date: for this exam the last day was "
    "%(last_day)s."
)
DUPLICATE_NO_FEE = "The board has not set the fee for a duplicate certificate in %(year)d, so it cannot be asked yet."
DUPLICATE_CLOSED = "This request has already been decided."
DUPLICATE_REFUSAL_REQUIRED = "Say why the request is refused: the centre reads it."


def months_after(day: dt.date, months: int) -> dt.date:
    """Return the same day ``months`` later, or that month's last day if shorter (31 August + 6 → 28 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def duplicate_refusal(
    *, reason: str, exam_date: dt.date, today: dt.date, in_writing: bool, trace_reference: str, original_returned: bool
) -> str:
    """Return the rule (with its date) that refuses a duplicate asked for ``today``, or "" if none does."""
    if reason == DuplicateCertificateRequest.Reason.LOST_IN_POST:
        first_day = months_after(exam_date, LOST_FROM_MONTHS)
        last_day = months_after(exam_date, LOST_UNTIL_MONTHS)
        if today < first_day:
            return LOST_TOO_EARLY % {"first_day": date_format(first_day)}
        if today > last_day:
            return LOST_TOO_LATE % {"last_day": date_format(last_day)}
        if not in_writing:
            return LOST_NOT_IN_WRITING
        if not trace_reference.strip():
            return LOST_NO_TRACE
        return ""
    last_day = months_after(exam_date, 12 * DAMAGED_UNTIL_YEARS)
    if today > last_day:
        return DAMAGED_TOO_LATE % {"last_day": date_format(last_day)}
    if not original_returned:
        return DAMAGED_NOT_RETURNED
    return ""


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
        raise ValidationError(DUPLICATE_REASON)
    certificate = Document.objects.select_for_update().select_related("result__entry__session").get(pk=certificate.pk)
    if certificate.kind != Document.Kind.CERTIFICATE or certificate.status != Document.Status.CURRENT:
        raise ValidationError(DUPLICATE_NOT_CURRENT)
    if _visible(certificate.result) is None:
        raise ValidationError(RESULT_NOT_AVAILABLE)
    if DuplicateCertificateRequest.objects.filter(
        certificate=certificate, status=DuplicateCertificateRequest.Status.REQUESTED
    ).exists():
        raise ValidationError(DUPLICATE_ALREADY_OPEN)
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
    if not refusal and fee is None:
        refusal = DUPLICATE_NO_FEE % {"year": day.year}
    request = DuplicateCertificateRequest.objects.create(
        certificate=certificate,
        reason=reason,
        requested_by=actor,
        in_writing=in_writing,
        trace_reference=trace_reference.strip(),
        original_returned=original_returned,
        fee=fee,
        status=DuplicateCertificateRequest.Status.REFUSED if refusal else DuplicateCertificateRequest.Status.REQUESTED,
        refusal=refusal,
        decided_at=timezone.now() if refusal else None,
    )
    action = "certificate.duplicate_refused" if refusal else "certificate.duplicate_requested"
    _audit(request, actor=actor, action=action, reason=refusal)
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
        raise ValidationError(DUPLICATE_CLOSED)
    result = _visible(request.certificate.result, lock=True)
    if result is None:
        raise ValidationError(RESULT_NOT_AVAILABLE)
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
        raise ValidationError(DUPLICATE_REFUSAL_REQUIRED)
    request = _locked(request)
    if request.status != DuplicateCertificateRequest.Status.REQUESTED:
        raise ValidationError(DUPLICATE_CLOSED)
    request.status, request.refusal = DuplicateCertificateRequest.Status.REFUSED, refusal.strip()
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "refusal", "decided_by", "decided_at"])
    _audit(request, actor=actor, action="certificate.duplicate_refused", reason=request.refusal)
    return request
