"""Writes for results: release when due, hold and release again, reschedule when a window moves."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from exams.models import ExamSession

from .events import result_event_record
from .models import OutgoingEmail, Result, ResultEvent
from .release import release_instants, release_instants_sql, seen_by_anyone

# The release job's batches: the first is small, so its emails are queued within tens of milliseconds of the
# instant, and each next batch is twice the last, up to RELEASE_BATCH_SIZE. A batch of 5 000 took 0.4 s to commit
# with nothing else running (and up to a second on results day), and no email of the release was queued before it.
RELEASE_FIRST_BATCH_SIZE = 500
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
    size = min(RELEASE_FIRST_BATCH_SIZE, RELEASE_BATCH_SIZE)
    while True:
        with transaction.atomic():
            ids = list(_due_results_batch(moment=moment, size=size))
            if not ids:
                return released
            Result.objects.filter(pk__any=ids).update(status=Result.Status.RELEASED)
            _emails_queue(result_ids=ids, kind=OutgoingEmail.Kind.RELEASED, now=moment)
            result_event_record(kind=ResultEvent.Kind.RELEASED, result_ids=ids)
        released += len(ids)
        size = min(2 * size, RELEASE_BATCH_SIZE)


def _due_results_batch(*, moment: dt.datetime, size: int = RELEASE_BATCH_SIZE) -> "QuerySet[Result, int]":
    """Return the ids of the next ``size`` ready results due at ``moment``, locked (rows another job holds skipped).

    Earliest instant first, and nothing after it in the ORDER BY: every result of a session shares its instant,
    and a tie-break (the id) made PostgreSQL sort all of them again for each batch of 5 000
    (tests/test_query_plans.py).
    """
    return (
        Result.objects.select_for_update(skip_locked=True)
        .filter(status=Result.Status.READY, released_at__lte=moment)
        .order_by("released_at")
        .values_list("pk", flat=True)[:size]
    )


def _emails_queue(*, result_ids: list[int], kind: str, now: dt.datetime) -> None:
    from .emails import outgoing_emails_create, outgoing_emails_dispatch

    outgoing_emails_dispatch(email_ids=outgoing_emails_create(result_ids=result_ids, kind=kind, now=now))


@transaction.atomic
def result_hold(*, result: Result, actor: User | None, reason: str) -> Result:
    """Hold a result: nobody sees it (it shows as 'Q', pending) until the board releases it again."""
    if not reason.strip():
        raise ValidationError(HOLD_REASON_REQUIRED)
    result = Result.objects.select_for_update().get(pk=result.pk)
    # Nothing shows a held result (the visibility selector excludes HELD). Instants already passed stay, as the
    # record that someone saw it before the hold (a later change is then an amendment: results.release); instants
    # still to come are cleared, since nobody has seen it.
    result.status = Result.Status.HELD
    if not seen_by_anyone(
        released_at=result.released_at, centre_released_at=result.centre_released_at, now=timezone.now()
    ):
        result.released_at = result.centre_released_at = None
    result.save(update_fields=["status", "released_at", "centre_released_at"])
    audit_record(actor=actor, action="result.hold", subject=result.entry.candidate_id, reason=reason.strip())
    result_event_record(kind=ResultEvent.Kind.HELD, result_ids=[result.pk])
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
    # Released again now: the rule's answer for a result that became ready at this moment.
    instants = release_instants(session=result.entry.session, ready_at=moment)
    result.status = Result.Status.READY
    result.released_at, result.centre_released_at = instants.candidate, instants.centre
    result.save(update_fields=["status", "released_at", "centre_released_at"])
    audit_record(actor=actor, action="result.unhold", subject=result.entry.candidate_id, reason=reason.strip())
    result_event_record(kind=ResultEvent.Kind.RELEASED_AGAIN, result_ids=[result.pk])
    return result


@transaction.atomic
def results_reschedule(*, session: ExamSession, now: dt.datetime | None = None) -> int:
    """Move the release instants of a session's results not yet seen after its window or restricted release moved.

    Return how many results moved. An instant that has passed is kept: whoever it opened to may already have
    seen the result, and moving it later would take back what they saw. Each audience's instant is moved on
    its own, so a restricted release stays earlier than the candidates' instant.
    """
    moment = now or timezone.now()
    rule = release_instants_sql(session=session)
    waiting = Result.objects.filter(entry__session=session, status=Result.Status.READY)
    candidate_ids = set(waiting.filter(released_at__gt=moment).values_list("pk", flat=True))
    centre_ids = set(waiting.filter(centre_released_at__gt=moment).values_list("pk", flat=True))
    Result.objects.filter(pk__in=candidate_ids).update(released_at=rule["released_at"])
    Result.objects.filter(pk__in=centre_ids).update(centre_released_at=rule["centre_released_at"])
    moved = candidate_ids | centre_ids
    result_event_record(kind=ResultEvent.Kind.RESCHEDULED, result_ids=moved)
    return len(moved)
