"""Writes for results: release when due, hold and release again, reschedule when a window moves."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from exams.models import ExamSession

from .models import OutgoingEmail, Result

RELEASE_BATCH_SIZE = 5000
HOLD_REASON_REQUIRED = "Say why the result is held (or released again): it is recorded in the audit trail."


def results_release_due(*, now: dt.datetime | None = None) -> int:
    """Release every ready result whose release instant has passed and queue its emails; return how many.

    A result is visible from its ``released_at`` whether or not this has run (the selector decides), so
    this job only records the release and sends the "results released" emails — exactly once per
    (candidate, result), however often it runs or however many workers run it at once.
    """
    moment = now or timezone.now()
    released = 0
    while True:
        with transaction.atomic():
            ids = list(
                Result.objects.select_for_update(skip_locked=True)
                .filter(status=Result.Status.READY, released_at__lte=moment)
                .order_by("released_at", "pk")
                .values_list("pk", flat=True)[:RELEASE_BATCH_SIZE]
            )
            if not ids:
                return released
            Result.objects.filter(pk__in=ids).update(status=Result.Status.RELEASED)
            _emails_queue(result_ids=ids, kind=OutgoingEmail.Kind.RELEASED, now=moment)
            _documents_queue(result_ids=ids)
        released += len(ids)


def _documents_queue(*, result_ids: list[int]) -> None:
    """Render the Statement of Results and certificate PDFs after commit, so no request waits for them."""
    from certificates.services import documents_render_queue

    documents_render_queue(result_ids=result_ids)


def _emails_queue(*, result_ids: list[int], kind: str, now: dt.datetime) -> None:
    from .emails import outgoing_emails_create, outgoing_emails_dispatch

    outgoing_emails_dispatch(email_ids=outgoing_emails_create(result_ids=result_ids, kind=kind, now=now))


@transaction.atomic
def result_hold(*, result: Result, actor: User | None, reason: str) -> Result:
    """Hold a result: nobody sees it (it shows as 'Q', pending) until the board releases it again."""
    if not reason.strip():
        raise ValidationError(HOLD_REASON_REQUIRED)
    result = Result.objects.select_for_update().get(pk=result.pk)
    result.status = Result.Status.HELD
    result.released_at = result.centre_released_at = None
    result.save(update_fields=["status", "released_at", "centre_released_at"])
    audit_record(actor=actor, action="result.hold", subject=result.entry.candidate_id, reason=reason.strip())
    return result


@transaction.atomic
def result_unhold(*, result: Result, actor: User | None, reason: str, now: dt.datetime | None = None) -> Result:
    """Release a held result again: visible from the later of the window opening and now."""
    if not reason.strip():
        raise ValidationError(HOLD_REASON_REQUIRED)
    moment = now or timezone.now()
    result = Result.objects.select_for_update().select_related("entry__session").get(pk=result.pk)
    if result.status != Result.Status.HELD:
        return result
    session = result.entry.session
    result.status = Result.Status.READY
    result.released_at = max(session.window_start, moment)
    result.centre_released_at = max(session.centre_release_at or session.window_start, moment)
    result.save(update_fields=["status", "released_at", "centre_released_at"])
    audit_record(actor=actor, action="result.unhold", subject=result.entry.candidate_id, reason=reason.strip())
    _documents_queue(result_ids=[result.pk])
    return result


def results_reschedule(*, session: ExamSession) -> int:
    """Move the release instant of a session's unreleased results after its window opening was changed.

    Released results stay released: a window edited after release changes nothing anyone has seen.
    """
    release = Greatest(F("ready_at"), session.window_start)
    return Result.objects.filter(entry__session=session, status=Result.Status.READY).update(
        released_at=release, centre_released_at=release
    )
