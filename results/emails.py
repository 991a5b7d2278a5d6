"""The results email outbox: "results released" and "result amended" emails, exactly once per event.

Modelled on pretix's mail outbox (docs/decisions/0005-results-email-outbox.md). The transaction that releases
or amends results writes one ``OutgoingEmail`` row per (account, result, kind, version) and queues the send
task after commit; the task claims the rows still QUEUED, sends them over one SMTP connection and marks each
SENT as soon as the server has accepted it. ``outgoing_emails_recover_stale`` finds what a dead worker or a
lost task message left behind.

The emails say only that results are available and where to log in: never a result, a score, a grade or a
level. Results stay behind the login.
"""

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable, Sequence
from email.utils import parseaddr
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from candidates.models import LinkedEntry

from .models import OutgoingEmail
from .selectors import Audience, results_visible

logger = logging.getLogger(__name__)

DISPATCH_BATCH_SIZE = 200
# The send task's retries (Celery ``max_retries``); an email gets this many more attempts after the first.
MAX_RETRIES = 6
MAX_ATTEMPTS = MAX_RETRIES + 1
# Back-off between attempts: 30 s, 1, 2, 4, 8, 16 min; never more than the cap.
RETRY_COUNTDOWN_BASE = 30
RETRY_COUNTDOWN_MAX = dt.timedelta(minutes=30)
# A send task is killed after SEND_TIME_LIMIT, so a row SENDING for longer than SENDING_STUCK_AFTER belongs
# to a worker that died: the recovery job never takes a row from a worker that is still alive.
SEND_SOFT_TIME_LIMIT = dt.timedelta(minutes=4)
SEND_TIME_LIMIT = dt.timedelta(minutes=5)
SENDING_STUCK_AFTER = dt.timedelta(minutes=10)
# A row still QUEUED this long after it was written (or after its retry was due) has lost its task message.
QUEUED_LOST_AFTER = dt.timedelta(minutes=5)

ERROR_WORKER_STOPPED = "The worker stopped while sending; queued again by the recovery job."
ERROR_ACCOUNT_CLOSED = "The account can no longer receive emails (user inactive or without an address)."
ERROR_NOT_ACCEPTED = "The mail backend did not accept the message."


@transaction.atomic
def outgoing_emails_create(*, result_ids: Iterable[int], kind: str, now: dt.datetime | None = None) -> list[int]:
    """Write one email of ``kind`` per account that should hear of each result; return the QUEUED rows' ids.

    An account hears of a result when it holds the result's entry, its email address is confirmed, its user
    is active, and the result is visible at ``now`` (``results_visible``: not held, past its embargo; pass the
    release job's own ``now`` so that both agree on the instant). Calling this again for the same results and
    version writes nothing more: the unique constraint on (account, result, kind, result_version) absorbs the
    repeats. The ids returned are every QUEUED row of these results for ``kind`` and their current version,
    new or not; pass them to ``outgoing_emails_dispatch``. Runs a constant number of queries however many
    results it is given (callers pass chunks of about 5 000).
    """
    if kind not in OutgoingEmail.Kind.values:
        raise ValueError(f"unknown outgoing email kind: {kind!r}")
    ids = list(result_ids)
    if not ids:
        return []
    links = list(
        LinkedEntry.objects.filter(
            entry__result__pk__in=ids,
            account__email_confirmed_at__isnull=False,
            account__user__is_active=True,
        )
        .exclude(account__user__email="")
        .values_list("account_id", "entry_id", "entry__result__pk", "entry__result__version")
    )
    if links:
        # Each recipient holds the entry, so the holders of these entries see exactly what each recipient sees.
        audience = Audience(entry_ids=tuple(entry_id for _, entry_id, _, _ in links))
        visible = set(results_visible(audience=audience, now=now).order_by().values_list("pk", flat=True))
        OutgoingEmail.objects.bulk_create(
            [
                OutgoingEmail(account_id=account_id, result_id=result_id, kind=kind, result_version=version)
                for account_id, _, result_id, version in links
                if result_id in visible
            ],
            ignore_conflicts=True,
        )
    return list(
        OutgoingEmail.objects.filter(
            result__pk__in=ids, kind=kind, state=OutgoingEmail.State.QUEUED, result_version=F("result__version")
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def outgoing_emails_dispatch(*, email_ids: Sequence[int], batch_size: int = DISPATCH_BATCH_SIZE) -> None:
    """Queue the send task for these emails, ``batch_size`` per task, once the current transaction commits.

    A batch that cannot be queued (the broker is down) is logged and its rows stay QUEUED:
    ``outgoing_emails_recover`` queues them again.
    """
    from .tasks import outgoing_emails_send

    ids = list(email_ids)
    for start in range(0, len(ids), batch_size):
        transaction.on_commit(
            partial(outgoing_emails_send.delay, email_ids=ids[start : start + batch_size]), robust=True
        )


def outgoing_emails_claim(*, email_ids: Sequence[int]) -> list[int]:
    """Mark the emails among these that are still QUEUED as SENDING (one more attempt); return their ids.

    Rows in any other state, or locked by another worker's claim at this moment, are skipped, not waited for:
    whoever holds them sends them. The claim commits at once, so the rows are SENDING before anything is sent.
    """
    with transaction.atomic():
        claimed = list(
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(pk__in=email_ids, state=OutgoingEmail.State.QUEUED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        OutgoingEmail.objects.filter(pk__in=claimed).update(
            state=OutgoingEmail.State.SENDING, sending_since=timezone.now(), attempts=F("attempts") + 1
        )
    return claimed


def outgoing_emails_deliver(*, email_ids: Sequence[int]) -> None:
    """Send the SENDING emails among these over one connection, marking each SENT once the server accepts it.

    An address the server refuses for good (5xx), or an account that can no longer receive emails, marks that
    email FAILED and the others go on. Any other error of the mail server or the network (``OSError``, which
    ``smtplib.SMTPException`` is) is raised at once: the emails not yet sent are still SENDING, and the caller
    puts them back with ``outgoing_emails_requeue``.
    """
    emails = list(
        OutgoingEmail.objects.filter(pk__in=email_ids, state=OutgoingEmail.State.SENDING)
        .select_related("account__user", "result__entry__session__exam")
        .order_by("pk")
    )
    if not emails:
        return
    with get_connection() as connection:
        for email in emails:
            user = email.account.user
            if not user.is_active or not user.email:
                _outgoing_email_fail(email_id=email.pk, error=ERROR_ACCOUNT_CLOSED)
                continue
            try:
                accepted = connection.send_messages([outgoing_email_message(email=email, connection=connection)])
            except smtplib.SMTPRecipientsRefused as exc:
                if all(code >= 500 for code, _ in exc.recipients.values()):
                    _outgoing_email_fail(email_id=email.pk, error=f"Address refused: {exc.recipients}")
                    continue
                raise
            if not accepted:
                raise smtplib.SMTPException(ERROR_NOT_ACCEPTED)
            _outgoing_email_mark_sent(email_id=email.pk)


@transaction.atomic
def outgoing_emails_requeue(*, email_ids: Sequence[int], error: str, give_up: bool = False) -> int:
    """Put the emails among these still SENDING back to QUEUED with ``error``; return how many went back.

    Those that have used their ``MAX_ATTEMPTS``, or all of them when ``give_up``, are marked FAILED instead.
    """
    sending = OutgoingEmail.objects.filter(pk__in=email_ids, state=OutgoingEmail.State.SENDING)
    spent = sending if give_up else sending.filter(attempts__gte=MAX_ATTEMPTS)
    failed = spent.update(state=OutgoingEmail.State.FAILED, last_error=error)
    if failed:
        logger.error("%d results emails failed for good: %s", failed, error)
    return sending.update(state=OutgoingEmail.State.QUEUED, last_error=error)


def outgoing_emails_recover_stale(*, now: dt.datetime | None = None) -> list[int]:
    """Requeue the emails a dead worker left SENDING; return the ids of every QUEUED email that needs a task.

    A row SENDING for more than ``SENDING_STUCK_AFTER`` goes back to QUEUED (FAILED when out of attempts).
    A QUEUED row needs a task when it was just requeued so, when it was written more than ``QUEUED_LOST_AFTER``
    ago and never claimed (its task was never queued: the broker was down at commit), or when its retry is
    overdue by as much. Queuing a second task for a row whose first is still waiting is harmless: the claim
    lets only one of them send it.
    """
    moment = now or timezone.now()
    with transaction.atomic():
        stuck = list(
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(state=OutgoingEmail.State.SENDING, sending_since__lt=moment - SENDING_STUCK_AFTER)
            .values_list("pk", flat=True)
        )
        if stuck:
            logger.warning("%d results emails were left SENDING by a worker that stopped", len(stuck))
            outgoing_emails_requeue(email_ids=stuck, error=ERROR_WORKER_STOPPED)
    lost = OutgoingEmail.objects.filter(state=OutgoingEmail.State.QUEUED).filter(
        Q(pk__in=stuck)
        | Q(sending_since__isnull=True, created_at__lt=moment - QUEUED_LOST_AFTER)
        | Q(sending_since__lt=moment - RETRY_COUNTDOWN_MAX - QUEUED_LOST_AFTER)
    )
    return list(lost.order_by("pk").values_list("pk", flat=True))


def outgoing_email_message(
    *, email: OutgoingEmail, connection: BaseEmailBackend | None = None
) -> EmailMultiAlternatives:
    """Return the text and HTML email for this outbox row, in its account's language.

    The row's account, user and result entry (with session and exam) should be loaded with it.
    """
    language = _supported_language(email.account.language)
    session = email.result.entry.session
    with translation.override(language):
        context = {
            "exam_name": session.exam.name,
            "session_date": session.date,
            "login_url": settings.SITE_URL + reverse("candidates:login"),
        }
        subject = " ".join(render_to_string(f"results/email/{email.kind}_subject.txt", context).split())
        text = render_to_string(f"results/email/{email.kind}.txt", context)
        html = render_to_string(f"results/email/{email.kind}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[email.account.user.email],
        connection=connection,
        headers={
            "Message-ID": outgoing_email_message_id(email_id=email.pk),
            "Content-Language": language,
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def outgoing_email_message_id(*, email_id: int) -> str:
    """Return the Message-ID of an outbox row's email: the same on every attempt, so a resend is recognisable."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    _, at, domain = address.rpartition("@")
    return f"<results-email-{email_id}@{domain if at and domain else 'results-portal'}>"


def _supported_language(language: str) -> str:
    try:
        return translation.get_supported_language_variant(language)
    except LookupError:
        return settings.LANGUAGE_CODE


def _outgoing_email_mark_sent(*, email_id: int) -> None:
    # Committed at once, one row at a time: a worker that dies now has sent at most this one email twice.
    OutgoingEmail.objects.filter(pk=email_id, state=OutgoingEmail.State.SENDING).update(
        state=OutgoingEmail.State.SENT, sent_at=timezone.now()
    )


def _outgoing_email_fail(*, email_id: int, error: str) -> None:
    logger.error("results email %d failed for good: %s", email_id, error)
    OutgoingEmail.objects.filter(pk=email_id, state=OutgoingEmail.State.SENDING).update(
        state=OutgoingEmail.State.FAILED, last_error=error
    )
