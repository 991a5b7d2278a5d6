"""Domain events about results, and how they reach every output derived from a result.

A service that changes what someone may see of a result (release, amendment, hold, release again, reschedule,
name correction, revocation) calls ``result_event_record`` inside its transaction. The row commits or rolls
back with the change; after commit ``result_event_dispatch`` sends ``result_changed`` to the listeners, which
live in the apps that own each output (documents in ``certificates``, results files in ``centres``, credential
status lists in ``verification``) — so this app never imports them. Listeners must be idempotent: an event is
dispatched again by ``result_events_redispatch`` (beat, every minute) until every listener has succeeded.
docs/decisions/0009-domain-events.md explains the choice.
"""

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from .models import ResultEvent

logger = logging.getLogger(__name__)

# Sent after commit with ``event`` (a ResultEvent.Kind value), ``result_ids`` (list[int]) and ``event_id`` (the
# ResultEvent's id, for listeners that record what they did per event).
result_changed = Signal()

REDISPATCH_AFTER = dt.timedelta(minutes=1)
MAX_ATTEMPTS = 20


def result_event_record(*, kind: str, result_ids: Iterable[int]) -> ResultEvent | None:
    """Record that ``kind`` happened to these results; dispatch it to the listeners once the transaction commits."""
    ids = sorted({int(pk) for pk in result_ids})
    if not ids:
        return None
    event = ResultEvent.objects.create(kind=kind, result_ids=ids)

    def queue() -> None:
        from .tasks import result_event_dispatch_task

        result_event_dispatch_task.delay(event_id=event.pk)

    transaction.on_commit(queue, robust=True)
    return event


def result_event_dispatch(*, event_id: int) -> bool:
    """Send one recorded event to every listener unless it was handled already; return whether it is handled.

    The row is locked while the listeners run, so two workers never handle the same event at once. A listener
    that raises leaves the event open (the others' work stands: they are idempotent) for the next dispatch.
    """
    with transaction.atomic():
        event = ResultEvent.objects.select_for_update(skip_locked=True).filter(pk=event_id).first()
        if event is None or event.handled_at is not None:
            return event is not None
        answers = result_changed.send_robust(
            sender=ResultEvent, event=event.kind, result_ids=list(event.result_ids), event_id=event.pk
        )
        failures = [
            f"{receiver.__module__}.{receiver.__qualname__}: {error!r}" for receiver, error in answers if error
        ]
        event.attempts += 1
        if failures:
            event.last_error = "\n".join(failures)[:2000]
            logger.error("Result event %s (%s): listeners failed: %s", event.pk, event.kind, event.last_error)
        else:
            event.handled_at = timezone.now()
            event.last_error = ""
        event.save(update_fields=["attempts", "handled_at", "last_error"])
        return not failures


def result_events_redispatch(*, now: dt.datetime | None = None) -> int:
    """Dispatch again the events still open a minute after they were recorded; return how many were handled."""
    moment = now or timezone.now()
    open_ids = list(
        ResultEvent.objects.filter(
            handled_at__isnull=True, created_at__lte=moment - REDISPATCH_AFTER, attempts__lt=MAX_ATTEMPTS
        ).values_list("pk", flat=True)[:500]
    )
    return sum(result_event_dispatch(event_id=pk) for pk in open_ids)
