"""The portal's email outbox: "results released" and "result amended" emails, and the emails other apps register
(an organisation told that results sent to it changed), exactly once per event.

Modelled on pretix's mail outbox (docs/decisions/0005-results-email-outbox.md). The transaction that releases
or amends results writes one ``OutgoingEmail`` row per (account, result, kind, version), and another app's
transaction writes its own rows with ``outgoing_emails_write`` (one per source key); the send task is queued
after commit, claims the rows still QUEUED, sends them over one SMTP connection and marks each SENT once the
server has accepted it. ``outgoing_emails_recover_stale`` finds what a dead worker or a lost task message left
behind. An app above this one (which must not be imported from here) says what its kinds of email say with
``outgoing_email_kind_register``.

The emails say only that results are available, or changed, and where to log in: never a result, a score, a
grade or a level. Results stay behind the login.
"""

import datetime as dt
import json
import logging
import re
import smtplib
from collections.abc import Callable, Iterable, Sequence
from email.utils import formatdate, parseaddr
from functools import cache
from typing import Any, NamedTuple

import redis
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPEmailBackend
from django.core.mail.message import sanitize_address
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from candidates.models import LinkedEntry
from results_portal.lookups import int_array

from .models import OutgoingEmail
from .selectors import Audience, results_visible
from .sent_journal import SentJournal, sent_journal
from .smtp_pipelining import pipelining_offered, sendmail_pipelined

logger = logging.getLogger(__name__)

# Emails per send task. Each task has a fixed cost (its message, the claim's and the load's statements, an SMTP
# connection and greeting): 200 → 500 saved about 15 µs of the worker's CPU and 25 µs of PostgreSQL's per email.
# A worker killed mid-batch delays the rest of its batch by the recovery window (10–15 minutes).
DISPATCH_BATCH_SIZE = 500
# Emails the sent journal holds are marked SENT in the database this many at a time (and at the end of a batch).
MARK_SENT_BATCH = 50
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


class EmailText(NamedTuple):
    """What an email says, in one language: its subject, its plain text and, if it has one, its HTML."""

    subject: str
    text: str
    html: str = ""


# A registered kind's words: called with the row's ``context``, inside ``translation.override`` of its language.
EmailRenderer = Callable[[dict[str, Any]], EmailText]
_RENDERERS: dict[str, EmailRenderer] = {}


def outgoing_email_kind_register(*, kind: str, render: EmailRenderer) -> None:
    """Say what the outbox emails of ``kind`` say: ``render(context)``, called in the email's language.

    For the apps above this one, which this module may not import: they register their kinds in their
    ``AppConfig.ready`` and write their rows with ``outgoing_emails_write``.
    """
    if kind not in OutgoingEmail.Kind.values or kind in _CANDIDATE_KINDS:
        raise ValueError(f"not a kind another app may register: {kind!r}")
    _RENDERERS[kind] = render


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

    When every row was new (the release job's case), they are the ids the INSERT returned, and the outbox is not
    read again: that read went through the index on ``state`` while the table's statistics still showed few
    QUEUED rows, and read every QUEUED row for each batch (150–290 ms a batch with a million queued;
    docs/scaling.md). Any other case reads them, as they may have been written before.
    """
    if kind not in _CANDIDATE_KINDS:
        raise ValueError(f"unknown outgoing email kind: {kind!r}")
    ids = list(result_ids)
    if not ids:
        return []
    links = list(
        LinkedEntry.objects.filter(
            entry__result__pk__any=ids,
            account__email_confirmed_at__isnull=False,
            account__user__is_active=True,
        )
        .exclude(account__user__email="")
        .order_by()
        .values_list("account_id", "entry_id", "entry__result__pk", "entry__result__version")
    )
    if links:
        # Each recipient holds the entry, so the holders of these entries see exactly what each recipient sees.
        audience = Audience(entry_ids=tuple(entry_id for _, entry_id, _, _ in links))
        visible = set(results_visible(audience=audience, now=now).order_by().values_list("pk", flat=True))
        rows = [
            (account_id, result_id, version) for account_id, _, result_id, version in links if result_id in visible
        ]
        written = _outgoing_emails_insert(rows=rows, kind=kind)
        if rows and written is not None and len(written) == len(rows):
            return written
    return list(
        OutgoingEmail.objects.filter(
            result__pk__any=ids, kind=kind, state=OutgoingEmail.State.QUEUED, result_version=F("result__version")
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _outgoing_emails_insert(*, rows: Sequence[tuple[int, int, int]], kind: str) -> list[int] | None:
    """Write a QUEUED email of ``kind`` per (account id, result id, result version); skip those already written.

    Return the ids of the rows written, in order (None on SQLite, where ``bulk_create`` does not tell them).

    On PostgreSQL, ``bulk_create(ignore_conflicts=True)`` written out as one statement of three arrays: the
    release job runs this for every result, and preparing the rows' values one by one was more than half of
    ``outgoing_emails_create``'s CPU time (4.4 s → 2.0 s for 100 000 results).
    """
    if not rows:
        return []
    if db_connection.vendor != "postgresql":  # SQLite (make run)
        OutgoingEmail.objects.bulk_create(
            [OutgoingEmail(account_id=a, result_id=r, kind=kind, result_version=v) for a, r, v in rows],
            ignore_conflicts=True,
        )
        return None
    accounts, results, versions = zip(*rows, strict=True)
    with db_connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO results_outgoingemail"
            " (account_id, result_id, kind, result_version, state, attempts, last_error, created_at)"
            " SELECT account_id, result_id, %s, result_version, %s, 0, '', %s"
            " FROM unnest(%s::bigint[], %s::bigint[], %s::integer[]) AS new (account_id, result_id, result_version)"
            " ON CONFLICT DO NOTHING RETURNING id",
            [kind, OutgoingEmail.State.QUEUED, timezone.now(), *map(int_array, (accounts, results, versions))],
        )
        return sorted(pk for (pk,) in cursor.fetchall())


def outgoing_emails_write(*, emails: Sequence[OutgoingEmail]) -> list[int]:
    """Write these emails of a registered kind, each once per ``source_key``; return the QUEUED rows' ids.

    Each email names its ``kind`` (registered with ``outgoing_email_kind_register``), ``address``,
    ``language``, a unique ``source_key`` (the event it tells of), the ``context`` its words are rendered from
    and, if it may be stopped, the ``user`` who must still be active when it is sent; not an account nor a
    result. A source key written before writes nothing more. The ids returned are every QUEUED row of these
    source keys, new or not; pass them to ``outgoing_emails_dispatch``. Two queries however many emails.
    """
    for email in emails:
        if email.kind not in _RENDERERS:
            raise ValueError(f"no renderer registered for outgoing email kind {email.kind!r}")
        if not (email.address and email.language and email.source_key) or email.account_id or email.result_id:
            raise ValueError("an addressed email needs an address, a language and a source key, and no account")
        email.result_version = None
    if not emails:
        return []
    OutgoingEmail.objects.bulk_create(emails, ignore_conflicts=True)
    return list(
        OutgoingEmail.objects.filter(
            source_key__in=[email.source_key for email in emails], state=OutgoingEmail.State.QUEUED
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def outgoing_emails_dispatch(*, email_ids: Sequence[int], batch_size: int = DISPATCH_BATCH_SIZE) -> None:
    """Queue the send task for these emails, ``batch_size`` per task, once the current transaction commits.

    A batch that cannot be queued (the broker is down) is logged and its rows stay QUEUED:
    ``outgoing_emails_recover`` queues them again.
    """
    ids = list(email_ids)
    for start in range(0, len(ids), batch_size):
        transaction.on_commit(_send_queuer(ids[start : start + batch_size]), robust=True)


def _send_queuer(email_ids: list[int]) -> Callable[[], None]:
    """Return what queues the send task for these emails: a function, since Django logs a robust callback's failure
    with its ``__qualname__`` (a ``functools.partial`` has none, so the log call itself raised and broke the commit
    of whoever dispatched while the broker was down)."""
    from .tasks import outgoing_emails_send

    def outgoing_emails_send_queue() -> None:
        # The message's kwargsrepr (what the worker logs) says which ids without Celery's saferepr of the list,
        # which was a seventh of the release job's CPU (500 messages of 200 ids for 100 000 results).
        reprs: dict[str, Any] = {"argsrepr": "()", "kwargsrepr": _ids_repr(email_ids)}  # not in celery-types
        outgoing_emails_send.apply_async(kwargs={"email_ids": email_ids}, **reprs)

    return outgoing_emails_send_queue


def _ids_repr(email_ids: Sequence[int]) -> str:
    if len(email_ids) <= 2:
        return repr({"email_ids": list(email_ids)})
    return f"{{'email_ids': [{email_ids[0]}, …, {email_ids[-1]}] ({len(email_ids)} ids)}}"


def outgoing_emails_claim(*, email_ids: Sequence[int]) -> list[int]:
    """Mark the emails among these that are still QUEUED as SENDING (one more attempt); return their ids.

    Rows in any other state, or locked by another worker's claim at this moment, are skipped, not waited for:
    whoever holds them sends them. The claim commits at once, so the rows are SENDING before anything is sent.
    """
    with transaction.atomic():
        claimed = list(
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(pk__any=list(email_ids), state=OutgoingEmail.State.QUEUED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        OutgoingEmail.objects.filter(pk__any=claimed).update(
            state=OutgoingEmail.State.SENDING, sending_since=timezone.now(), attempts=F("attempts") + 1
        )
    return claimed


def outgoing_emails_deliver(*, email_ids: Sequence[int]) -> None:
    """Send the SENDING emails among these over one connection; mark them SENT once the server has accepted them.

    Each distinct content (kind, language, exam, session date; or a registered kind's language and context) is
    rendered once for the batch, and each email the server accepted is written down at once, before the next is
    sent (in the sent journal, or as a SENT mark in the database when there is no journal): a worker killed in
    between sends that one email again (docs/decisions/0005-results-email-outbox.md). The journal's emails are
    marked SENT in the database ``MARK_SENT_BATCH`` at a time, and whatever is left when the loop ends, however it
    ends.

    An address the server refuses for good (5xx), or an account that can no longer receive emails, marks that
    email FAILED and the others go on. Any other error of the mail server or the network (``OSError``, which
    ``smtplib.SMTPException`` is) is raised at once, after the emails already accepted are marked SENT: the
    others are still SENDING, and the caller puts them back with ``outgoing_emails_requeue_unsent``.
    """
    emails = [
        _outgoing(row)
        for row in OutgoingEmail.objects.filter(pk__any=list(email_ids), state=OutgoingEmail.State.SENDING)
        .order_by("pk")
        .values_list(*_OUTGOING_FIELDS)
    ]
    if not emails:
        return
    marks = _SentMarks(journal=sent_journal())
    with get_connection() as connection:
        sender = _EmailSender(connection=connection)
        try:
            for email in emails:
                if not email.user_is_active or not email.address:
                    _outgoing_email_fail(email_id=email.pk, error=ERROR_ACCOUNT_CLOSED)
                    continue
                try:
                    sender.send(email=email)
                except smtplib.SMTPRecipientsRefused as exc:
                    if all(code >= 500 for code, _ in exc.recipients.values()):
                        _outgoing_email_fail(email_id=email.pk, error=f"Address refused: {exc.recipients}")
                        continue
                    raise
                marks.accepted(email=email)
        finally:
            try:
                marks.flush()
            finally:
                marks.close()


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


def outgoing_emails_requeue_unsent(*, email_ids: Sequence[int], error: str, give_up: bool = False) -> int:
    """Put back, as ``outgoing_emails_requeue``, the emails among these still SENDING that were not sent.

    A send loop stopped by an error or its time limit may leave emails the server accepted SENDING, held only by
    the sent journal (their batch of database marks was not written): those are marked SENT, not sent again. If
    the journal cannot be read, none is put back; the recovery job takes them once it can.
    """
    claims = list(
        OutgoingEmail.objects.filter(pk__in=email_ids, state=OutgoingEmail.State.SENDING).values_list(
            "pk", "sending_since"
        )
    )
    unsent = _outgoing_emails_sent_from_journal(claims=claims)
    return outgoing_emails_requeue(email_ids=unsent, error=error, give_up=give_up) if unsent else 0


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
        claims = list(
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(state=OutgoingEmail.State.SENDING, sending_since__lt=moment - SENDING_STUCK_AFTER)
            .values_list("pk", "sending_since")
        )
        stuck = _outgoing_emails_sent_from_journal(claims=claims)
        if stuck:
            logger.warning("%d results emails were left SENDING by a worker that stopped", len(stuck))
            outgoing_emails_requeue(email_ids=stuck, error=ERROR_WORKER_STOPPED)
    lost = OutgoingEmail.objects.filter(state=OutgoingEmail.State.QUEUED).filter(
        Q(pk__in=stuck)
        | Q(sending_since__isnull=True, created_at__lt=moment - QUEUED_LOST_AFTER)
        | Q(sending_since__lt=moment - RETRY_COUNTDOWN_MAX - QUEUED_LOST_AFTER)
    )
    return list(lost.order_by("pk").values_list("pk", flat=True))


def _outgoing_emails_sent_from_journal(*, claims: Sequence[tuple[int, dt.datetime | None]]) -> list[int]:
    """Mark SENT the stuck rows the sent journal says the server accepted; return the ids of the others.

    If the journal cannot be read, none of them is returned (they stay SENDING until the next run can read it),
    rather than requeue emails that may have been sent.
    """
    journal = sent_journal()
    if journal is None or not claims:
        return [email_id for email_id, _ in claims]
    try:
        accepted = journal.accepted(claims=[(pk, at) for pk, at in claims if at is not None])
    except redis.RedisError as exc:
        logger.error("the outbox's sent journal could not be read (%r): stuck emails left for the next run", exc)
        return []
    if accepted:
        logger.warning("%d results emails left SENDING had been accepted (sent journal): marked SENT", len(accepted))
        _outgoing_emails_mark_sent(sent=sorted(accepted.items()))
    return [email_id for email_id, _ in claims if email_id not in accepted]


def outgoing_email_message(
    *, email: OutgoingEmail, connection: BaseEmailBackend | None = None
) -> EmailMultiAlternatives:
    """Return the email for this outbox row, in its account's language (or the row's, for a registered kind).

    A candidate's row should be loaded with its account, user and result entry (with session and exam).
    """
    if email.account is None or email.result is None:
        outgoing = _Outgoing(
            pk=email.pk,
            kind=email.kind,
            language=email.language,
            address=email.address,
            user_is_active=True,
            exam_name="",
            session_date=None,
            context=json.dumps(email.context or {}, sort_keys=True),
        )
    else:
        session = email.result.entry.session
        outgoing = _Outgoing(
            pk=email.pk,
            kind=email.kind,
            language=email.account.language,
            address=email.account.user.email,
            user_is_active=email.account.user.is_active,
            exam_name=session.exam.name,
            session_date=session.date,
            context="",
        )
    return _email_message(
        content=_email_content(outgoing.content_key()),
        to=outgoing.address,
        message_id=outgoing_email_message_id(email_id=outgoing.pk),
        connection=connection,
    )


def outgoing_email_message_id(*, email_id: int) -> str:
    """Return the Message-ID of an outbox row's email: the same on every attempt, so a resend is recognisable."""
    return f"<results-email-{email_id}@{_message_id_domain(settings.DEFAULT_FROM_EMAIL)}>"


@cache
def _message_id_domain(from_email: str) -> str:
    _, address = parseaddr(from_email)
    _, at, domain = address.rpartition("@")
    return domain if at and domain else "results-portal"


def _supported_language(language: str) -> str:
    try:
        return translation.get_supported_language_variant(language)
    except LookupError:
        return settings.LANGUAGE_CODE


class _EmailContentKey(NamedTuple):
    """What an email's words depend on: the same for every candidate of a session told the same news.

    A registered kind's words depend on its context instead (JSON text; empty for a candidate's email).
    """

    kind: str
    language: str
    exam_name: str
    session_date: dt.date | None
    context: str


class _EmailContent(NamedTuple):
    language: str
    subject: str
    text: str
    html: str


class _Outgoing(NamedTuple):
    """An outbox row as sending it needs it (_OUTGOING_FIELDS): one query per batch, no model instances."""

    pk: int
    kind: str
    language: str
    address: str
    user_is_active: bool
    exam_name: str
    session_date: dt.date | None
    context: str
    # The row's ``sending_since``: when this attempt claimed it (None for an email built outside the send loop).
    claimed_at: dt.datetime | None = None

    def content_key(self) -> _EmailContentKey:
        return _EmailContentKey(
            kind=self.kind,
            language=_supported_language(self.language),
            exam_name=self.exam_name,
            session_date=self.session_date,
            context=self.context,
        )


_CANDIDATE_KINDS = frozenset({OutgoingEmail.Kind.RELEASED, OutgoingEmail.Kind.AMENDED})
_OUTGOING_FIELDS = (
    "pk",
    "kind",
    "account_id",
    "account__language",
    "account__user__email",
    "account__user__is_active",
    "result__entry__session__exam__name",
    "result__entry__session__date",
    "language",
    "address",
    "user__is_active",
    "context",
    "sending_since",
)


def _outgoing(row: tuple[Any, ...]) -> _Outgoing:
    """Return an _OUTGOING_FIELDS row as sending needs it: a candidate's, or an email of a registered kind."""
    pk, kind, account_id, account_language, account_address, account_active, exam, date, *addressed, claimed = row
    if account_id is not None:
        return _Outgoing(pk, kind, account_language, account_address, account_active, exam, date, "", claimed)
    language, address, user_active, context = addressed
    return _Outgoing(
        pk,
        kind,
        language,
        address,
        user_is_active=user_active is not False,
        exam_name="",
        session_date=None,
        context=json.dumps(context or {}, sort_keys=True),
        claimed_at=claimed,
    )


def _email_content(key: _EmailContentKey) -> _EmailContent:
    with translation.override(key.language):
        if key.kind not in _CANDIDATE_KINDS:
            words = _RENDERERS[key.kind](json.loads(key.context))
        else:
            context = {
                "exam_name": key.exam_name,
                "session_date": key.session_date,
                "login_url": settings.SITE_URL + reverse("candidates:login"),
            }
            words = EmailText(
                subject=render_to_string(f"results/email/{key.kind}_subject.txt", context),
                text=render_to_string(f"results/email/{key.kind}.txt", context),
                html=render_to_string(f"results/email/{key.kind}.html", context),
            )
    return _EmailContent(
        language=key.language, subject=" ".join(words.subject.split()), text=words.text, html=words.html
    )


def _email_message(
    *,
    content: _EmailContent,
    to: str,
    message_id: str,
    connection: BaseEmailBackend | None = None,
    date: str | None = None,
) -> EmailMultiAlternatives:
    # Without a Date, Django writes the current one; with one, it goes in the same place.
    headers = {
        **({"Date": date} if date is not None else {}),
        "Message-ID": message_id,
        "Content-Language": content.language,
        "Auto-Submitted": "auto-generated",
    }
    message = EmailMultiAlternatives(
        subject=content.subject, body=content.text, to=[to], connection=connection, headers=headers
    )
    if content.html:
        message.attach_alternative(content.html, "text/html")
    return message


# The headers that differ between two emails of the same content, in the order Django writes them, each with
# the placeholder the shared bytes are built with. An address matching _PLAIN_ADDRESS is written as it is in
# the To header and in the SMTP envelope (nothing to quote, encode or fold), so it can take the placeholder's
# place; any other address goes through Django's own path. An ASCII Message-ID has nowhere to be folded and a
# Date is too short to be.
_SUBSTITUTED = (("To", "to@placeholder.invalid"), ("Date", "date"), ("Message-ID", "<message-id@placeholder.invalid>"))
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


class _Serialised(NamedTuple):
    """A content's email as bytes, cut where the _SUBSTITUTED values go: as Django writes it, and for the wire.

    ``on_the_wire`` is what smtplib sends after DATA with the values put in the same places: every line starting
    with a period has it doubled, and the message ends with ``CRLF.CRLF`` (None if the cuts do not allow it).
    """

    pieces: tuple[bytes, ...]
    length: int
    on_the_wire: tuple[bytes, ...] | None


def _email_serialised(content: _EmailContent) -> _Serialised | None:
    """Return the bytes of ``content``'s email cut where the _SUBSTITUTED values go (None if they cannot be)."""
    placeholders = dict(_SUBSTITUTED)
    message = _email_message(
        content=content, to=placeholders["To"], date=placeholders["Date"], message_id=placeholders["Message-ID"]
    )
    data = message.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
    head = data[: data.find(b"\r\n\r\n") + 2]
    pieces, start = [], 0
    for name, placeholder in _SUBSTITUTED:
        line = f"\r\n{name}: {placeholder}\r\n".encode("ascii")
        found = head.find(line, start)
        if found < 0 or head.count(line) != 1:
            return None
        value_at = found + len(line) - len(placeholder) - 2
        pieces.append(data[start:value_at])
        start = value_at + len(placeholder)
    pieces.append(data[start:])
    return _Serialised(pieces=tuple(pieces), length=sum(map(len, pieces)), on_the_wire=_on_the_wire(pieces))


_LEADING_PERIOD = re.compile(rb"(?m)^\.")


def _on_the_wire(pieces: Sequence[bytes]) -> tuple[bytes, ...] | None:
    """Return ``pieces`` as smtplib's ``data`` sends the message they make: periods doubled, ``CRLF.CRLF`` at the end.

    Each value put between two pieces is in the middle of a header line and holds no line break, so a period can
    start a line only inside a piece; a piece after the first starts in the middle of a line, so one starting with
    a period (never, with Django's headers) would be doubled wrongly, and the message is sent by smtplib instead.
    """
    if any(piece.startswith(b".") for piece in pieces[1:]) or any(piece.endswith(b"\n") for piece in pieces[:-1]):
        return None
    stuffed = [_LEADING_PERIOD.sub(b"..", piece) for piece in pieces]
    if not stuffed[-1].endswith(b"\r\n"):
        stuffed[-1] += b"\r\n"
    stuffed[-1] += b".\r\n"
    return tuple(stuffed)


class _EmailSender:
    """Send outbox emails over one open connection, rendering and serialising each distinct content once.

    With Django's SMTP backend, an email to a plain address is the content's bytes with its To, Date and
    Message-ID put in, handed to smtplib as the backend would hand them; anything else is an
    ``EmailMultiAlternatives`` sent by the backend.
    """

    def __init__(self, *, connection: BaseEmailBackend) -> None:
        self.connection = connection
        self.smtp = connection.connection if isinstance(connection, SMTPEmailBackend) else None
        # Whether the server advertised PIPELINING: asked when the first email goes by the fast path.
        self.pipelining: bool | None = None
        self.envelope_sender = sanitize_address(settings.DEFAULT_FROM_EMAIL, settings.DEFAULT_CHARSET)
        self.contents: dict[_EmailContentKey, _EmailContent] = {}
        self.serialised: dict[_EmailContentKey, _Serialised | None] = {}

    def send(self, *, email: _Outgoing) -> None:
        """Send this row's email; raise ``smtplib.SMTPException`` (or ``OSError``) if it was not accepted."""
        key = email.content_key()
        if key not in self.contents:
            self.contents[key] = _email_content(key)
        to = email.address
        message_id = outgoing_email_message_id(email_id=email.pk)
        if self.smtp is not None and _PLAIN_ADDRESS.fullmatch(to) and message_id.isascii():
            if key not in self.serialised:
                self.serialised[key] = _email_serialised(self.contents[key])
            serialised = self.serialised[key]
            if serialised is not None:
                date = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
                values = (to.encode(), date.encode(), message_id.encode())
                if self.pipelining is None:
                    self.pipelining = pipelining_offered(self.smtp)
                if self.pipelining and serialised.on_the_wire is not None:
                    sendmail_pipelined(
                        self.smtp,
                        sender=self.envelope_sender,
                        recipient=to,
                        data=_joined(serialised.on_the_wire, values),
                        size=serialised.length + sum(map(len, values)),
                    )
                else:
                    self.smtp.sendmail(self.envelope_sender, [to], _joined(serialised.pieces, values))
                return
        message = _email_message(content=self.contents[key], to=to, message_id=message_id, connection=self.connection)
        if not self.connection.send_messages([message]):
            raise smtplib.SMTPException(ERROR_NOT_ACCEPTED)


def _joined(pieces: Sequence[bytes], values: Sequence[bytes]) -> bytes:
    """Return the message of these cut ``pieces`` with the To, Date and Message-ID ``values`` put in their places."""
    before_to, before_date, before_message_id, rest = pieces
    to, date, message_id = values
    return b"".join((before_to, to, before_date, date, before_message_id, message_id, rest))


# One statement, so one round trip and its own transaction: ``set_config(…, true)`` turns synchronous commit
# off for that transaction only (safe behind PgBouncer's transaction pooling), so the commit does not wait for
# the WAL flush. A killed worker process loses nothing committed; only a crash of the database server itself
# can lose the last fraction of a second of marks, and those emails are then sent again with the same
# Message-ID by the recovery job (docs/decisions/0005-results-email-outbox.md).
_MARK_SENT_POSTGRESQL = (
    "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true) AS setting) "
    "UPDATE {table} SET state = %s, sent_at = %s "
    "WHERE id = %s AND state = %s AND EXISTS (SELECT 1 FROM quick)"
)


def _outgoing_email_mark_sent(*, email_id: int) -> None:
    """Mark one email the server accepted SENT, committed before the next email is sent."""
    now = timezone.now()
    if db_connection.vendor == "postgresql" and db_connection.get_autocommit():
        table = db_connection.ops.quote_name(OutgoingEmail._meta.db_table)
        with db_connection.cursor() as cursor:
            cursor.execute(
                _MARK_SENT_POSTGRESQL.format(table=table),
                [OutgoingEmail.State.SENT.value, now, email_id, OutgoingEmail.State.SENDING.value],
            )
        return
    OutgoingEmail.objects.filter(pk=email_id, state=OutgoingEmail.State.SENDING).update(
        state=OutgoingEmail.State.SENT, sent_at=now
    )


_MARK_SENT_MANY_POSTGRESQL = (
    "{quick}UPDATE {table} AS email SET state = %s, sent_at = marks.sent_at "
    "FROM unnest(%s::bigint[], %s::timestamptz[]) AS marks (id, sent_at) "
    "WHERE email.id = marks.id AND email.state = %s{if_quick}"
)


def _outgoing_emails_mark_sent(*, sent: Sequence[tuple[int, dt.datetime]]) -> None:
    """Mark these (email id, accepted at) SENT, each at its instant: one statement on PostgreSQL.

    In its own transaction (autocommit: the send loop), it does not wait for the flush to disk, as the statement
    above; inside a caller's transaction (the recovery job) it leaves that transaction's settings alone.
    """
    if not sent:
        return
    if db_connection.vendor != "postgresql":  # SQLite (make run)
        for email_id, accepted_at in sent:
            OutgoingEmail.objects.filter(pk=email_id, state=OutgoingEmail.State.SENDING).update(
                state=OutgoingEmail.State.SENT, sent_at=accepted_at
            )
        return
    quick = db_connection.get_autocommit()
    statement = _MARK_SENT_MANY_POSTGRESQL.format(
        quick="WITH quick AS (SELECT set_config('synchronous_commit', 'off', true) AS setting) " if quick else "",
        table=db_connection.ops.quote_name(OutgoingEmail._meta.db_table),
        if_quick=" AND EXISTS (SELECT 1 FROM quick)" if quick else "",
    )
    ids, instants = zip(*sent, strict=True)
    with db_connection.cursor() as cursor:
        cursor.execute(
            statement, [OutgoingEmail.State.SENT.value, list(ids), list(instants), OutgoingEmail.State.SENDING.value]
        )


class _SentMarks:
    """Write down each email the server accepted before the next is sent; mark them SENT in the database in batches.

    With the sent journal (results/sent_journal.py), an accepted email is one ``HSET`` in Redis, and the database
    marks wait for ``MARK_SENT_BATCH`` of them (or ``flush``). Without a journal, or once it has failed in this
    batch, each email is marked SENT in the database at once, as the journal would have been written.
    """

    def __init__(self, *, journal: SentJournal | None) -> None:
        self.journal = journal
        self.pending: list[tuple[int, dt.datetime]] = []

    def accepted(self, *, email: _Outgoing) -> None:
        """Write down that the server accepted this email: committed, or in the journal, when this returns."""
        if self.journal is not None and email.claimed_at is not None:
            accepted_at = timezone.now()
            try:
                self.journal.record(email_id=email.pk, claimed_at=email.claimed_at, accepted_at=accepted_at)
            except redis.RedisError as exc:
                logger.warning("the outbox's sent journal failed (%r): marking each email in the database", exc)
                self.journal = None
            else:
                self.pending.append((email.pk, accepted_at))
                if len(self.pending) >= MARK_SENT_BATCH:
                    self.flush()
                return
        _outgoing_email_mark_sent(email_id=email.pk)

    def flush(self) -> None:
        """Mark SENT in the database the emails only the journal holds so far (kept pending if that fails)."""
        if self.pending:
            _outgoing_emails_mark_sent(sent=self.pending)
            self.pending = []

    def close(self) -> None:
        """Give back the journal's connection (the batch is over)."""
        if self.journal is not None:
            self.journal.close()


def _outgoing_email_fail(*, email_id: int, error: str) -> None:
    logger.error("results email %d failed for good: %s", email_id, error)
    OutgoingEmail.objects.filter(pk=email_id, state=OutgoingEmail.State.SENDING).update(
        state=OutgoingEmail.State.FAILED, last_error=error
    )
