"""Tasks of the results email outbox. They take ids and call ``results.emails``, where the logic lives.

docs/decisions/0005-results-email-outbox.md explains the states, the retries and the recovery job.
"""

import logging
from typing import Any

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded

from .emails import (
    MAX_RETRIES,
    RETRY_COUNTDOWN_BASE,
    RETRY_COUNTDOWN_MAX,
    SEND_SOFT_TIME_LIMIT,
    SEND_TIME_LIMIT,
    outgoing_emails_claim,
    outgoing_emails_deliver,
    outgoing_emails_dispatch,
    outgoing_emails_recover_stale,
    outgoing_emails_requeue_unsent,
)

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=int(SEND_SOFT_TIME_LIMIT.total_seconds()),
    time_limit=int(SEND_TIME_LIMIT.total_seconds()),
)
def outgoing_emails_send(self: Task[Any, None], *, email_ids: list[int]) -> None:
    """Send the emails among these that are still QUEUED, over one connection; never send one twice.

    On a mail server or network error the emails not yet sent go back to QUEUED and the task retries with an
    exponential back-off; after ``MAX_RETRIES`` retries (or once an email has used its attempts) they are
    marked FAILED.
    """
    claimed = outgoing_emails_claim(email_ids=email_ids)
    if not claimed:
        return
    try:
        outgoing_emails_deliver(email_ids=claimed)
    except (OSError, SoftTimeLimitExceeded) as exc:
        retries = self.request.retries
        requeued = outgoing_emails_requeue_unsent(
            email_ids=claimed, error=f"{type(exc).__name__}: {exc}", give_up=retries >= MAX_RETRIES
        )
        if requeued:
            countdown = min(RETRY_COUNTDOWN_BASE * 2**retries, RETRY_COUNTDOWN_MAX.total_seconds())
            logger.warning("%d results emails requeued after %r; retry in %d s", requeued, exc, countdown)
            raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task
def outgoing_emails_recover() -> None:
    """Requeue the emails a dead worker left SENDING and queue again every send whose task was lost."""
    outgoing_emails_dispatch(email_ids=outgoing_emails_recover_stale())


@shared_task(acks_late=True)
def results_release_due_task() -> int:
    """Release every result whose release instant has passed (beat runs this every minute)."""
    from .services import results_release_due

    return results_release_due()


@shared_task(acks_late=True)
def result_event_dispatch_task(*, event_id: int) -> bool:
    """Send one recorded result event to its listeners (queued after the commit that recorded it)."""
    from .events import result_event_dispatch

    return result_event_dispatch(event_id=event_id)


@shared_task
def result_events_redispatch_task() -> int:
    """Dispatch again the result events a crash or a failing listener left open (beat, every minute)."""
    from .events import result_events_redispatch

    return result_events_redispatch()


@shared_task
def results_files_regenerate_task() -> int:
    """Store today's results files (unit and qualification) for every centre in a unitised post-results period."""
    from .centre_files import results_files_regenerate_all

    return results_files_regenerate_all()


# The task's former name, from when the files were called "EDI files": a message a beat of the previous release
# queued under it (or one sent while the beat is being redeployed) still runs the same job instead of being dropped
# as an unregistered task. It can go once no beat of that release is left.
@shared_task(name="centres.edi_files_regenerate")
def results_files_regenerate_former_name() -> int:
    """Run ``results_files_regenerate_task`` for a message queued under the task's former name."""
    return int(results_files_regenerate_task())


UPLOAD_PROGRESS_TTL_SECONDS = 3600


def upload_progress_key(upload_id: int) -> str:
    return f"results-upload-progress:{upload_id}"


def _upload_step(upload_id: int, *, claim_from: str, claim_to: str) -> Any:
    """Claim an upload for one step (a redelivered task finds it claimed and does nothing)."""
    from .models import ResultsUpload

    claimed = ResultsUpload.objects.filter(pk=upload_id, status=claim_from).update(status=claim_to)
    return ResultsUpload.objects.get(pk=upload_id) if claimed else None


@shared_task(acks_late=True)
def results_upload_preview_task(*, upload_id: int) -> None:
    """Run an uploaded results file's dry run; progress goes to the cache for the page's progress bar."""
    from django.core.cache import cache

    from .models import ResultsUpload
    from .uploads import upload_preview

    upload = ResultsUpload.objects.filter(pk=upload_id, status=ResultsUpload.Status.CHECKING).first()
    if upload is None:
        return

    def progress(done: int, total: int) -> None:
        cache.set(upload_progress_key(upload_id), (done, total), UPLOAD_PROGRESS_TTL_SECONDS)

    try:
        upload_preview(upload=upload, progress=progress)
    except Exception:
        logger.exception("results upload %s: dry run failed", upload_id)
        ResultsUpload.objects.filter(pk=upload_id).update(
            status=ResultsUpload.Status.FAILED, errors=["The check failed unexpectedly; nothing was imported."]
        )
    cache.delete(upload_progress_key(upload_id))


@shared_task(acks_late=True)
def results_upload_import_task(*, upload_id: int, actor_id: int | None) -> None:
    """Import a previewed results file for real, once (claimed from PREVIEWED to IMPORTING)."""
    from django.core.cache import cache

    from accounts.models import User

    from .models import ResultsUpload
    from .uploads import upload_import

    upload = _upload_step(
        upload_id, claim_from=ResultsUpload.Status.PREVIEWED, claim_to=ResultsUpload.Status.IMPORTING
    )
    if upload is None:
        return

    def progress(done: int, total: int) -> None:
        cache.set(upload_progress_key(upload_id), (done, total), UPLOAD_PROGRESS_TTL_SECONDS)

    try:
        actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
        upload_import(upload=upload, actor=actor, progress=progress)
    except Exception:
        logger.exception("results upload %s: import failed", upload_id)
        ResultsUpload.objects.filter(pk=upload_id).update(
            status=ResultsUpload.Status.FAILED, errors=["The import failed unexpectedly; nothing was imported."]
        )
    cache.delete(upload_progress_key(upload_id))
