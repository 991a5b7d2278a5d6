"""The results email outbox: one email per (candidate, result event), retries, recovery, content, queries."""

import datetime as dt
import smtplib
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Any

import pytest
import redis
from celery.exceptions import Retry, SoftTimeLimitExceeded
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.formats import date_format
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.tests.factories import UserFactory
from candidates.models import CandidateAccount, LinkedEntry
from centres.tests.factories import CentreFactory, EntryFactory, ExamSessionFactory
from results import emails
from results.emails import (
    ERROR_ACCOUNT_CLOSED,
    ERROR_WORKER_STOPPED,
    MAX_ATTEMPTS,
    MAX_RETRIES,
    outgoing_emails_create,
    outgoing_emails_dispatch,
    outgoing_emails_recover_stale,
)
from results.models import OutgoingEmail, Result
from results.sent_journal import SentJournal, sent_journal
from results.tasks import outgoing_emails_recover, outgoing_emails_send

pytestmark = pytest.mark.django_db

RELEASED = OutgoingEmail.Kind.RELEASED
AMENDED = OutgoingEmail.Kind.AMENDED
State = OutgoingEmail.State


class _RolledBack(Exception):
    """Raised to roll a transaction back in a test."""


def _account(*, confirmed: bool = True, active: bool = True, language: str = "en") -> CandidateAccount:
    return CandidateAccount.objects.create(
        user=UserFactory(is_active=active),
        email_confirmed_at=timezone.now() if confirmed else None,
        language=language,
    )


def _result(account: CandidateAccount | None = None, **fields: Any) -> Result:
    entry = EntryFactory(**{k: fields.pop(k) for k in ("session", "person__centre") if k in fields})
    if account is not None:
        LinkedEntry.objects.create(account=account, entry=entry)
    now = timezone.now()
    values: dict[str, Any] = {
        "status": Result.Status.RELEASED,
        "overall_score": 182,
        "grade": "Grade A",
        "cefr_level": "C1",
        "certificate": True,
        "ready_at": now - dt.timedelta(hours=1),
        "released_at": now - dt.timedelta(minutes=1),
    }
    return Result.objects.create(entry=entry, **(values | fields))


def _release(results: Sequence[Result], kind: str = RELEASED, batch_size: int = 200) -> list[int]:
    """Do what the release code does: write the rows and queue their sends, which run once that has committed."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        ids = outgoing_emails_create(result_ids=[r.pk for r in results], kind=kind)
        outgoing_emails_dispatch(email_ids=ids, batch_size=batch_size)
    return ids


def _recover() -> None:
    """Run the recovery task as a worker does: the sends it queues run once its transaction has committed."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        outgoing_emails_recover.delay()


def _states(ids: Sequence[int]) -> list[str]:
    return [e.state for e in OutgoingEmail.objects.filter(pk__in=ids).order_by("pk")]


def _message_id(message: mail.EmailMessage) -> str:
    return str(message.message()["Message-ID"])


def _age(ids: Sequence[int], **fields: dt.timedelta) -> None:
    """Move these rows' timestamps into the past, as if the clock had moved on."""
    for email in OutgoingEmail.objects.filter(pk__in=ids):
        for name, delta in fields.items():
            setattr(email, name, getattr(email, name) - delta)
        email.save(update_fields=list(fields))


Fails = Callable[[int, mail.EmailMessage], BaseException | None]


def _flaky_send(monkeypatch: pytest.MonkeyPatch, fails: Fails) -> None:
    """Make the test mail backend raise ``fails(call number, message)`` when that returns an exception."""
    original = locmem.EmailBackend.send_messages
    calls = 0

    def send_messages(self: locmem.EmailBackend, messages: Sequence[mail.EmailMessage]) -> int:
        nonlocal calls
        calls += 1
        error = fails(calls, messages[0])
        if error is not None:
            raise error
        return original(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", send_messages)


# --- exactly once ---------------------------------------------------------------------------------------


def test_create_and_send_twice_sends_one_email_per_candidate_and_release() -> None:
    ana, ben = _account(), _account()
    results = [_result(ana), _result(ben)]

    first = _release(results)
    second = _release(results)

    assert len(first) == 2
    assert second == [], "nothing is left QUEUED: the second run writes and sends nothing"
    assert OutgoingEmail.objects.count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([ana.user.email, ben.user.email])
    assert _states(first) == [State.SENT, State.SENT]


def test_nothing_is_sent_before_the_commit_nor_after_a_rollback(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    ana, ben = _account(), _account()
    rolled_back, committed = _result(ana), _result(ben)

    with django_capture_on_commit_callbacks(execute=True):
        with suppress(_RolledBack), transaction.atomic():
            lost = outgoing_emails_create(result_ids=[rolled_back.pk], kind=RELEASED)
            outgoing_emails_dispatch(email_ids=lost)
            raise _RolledBack
        kept = outgoing_emails_create(result_ids=[committed.pk], kind=RELEASED)
        outgoing_emails_dispatch(email_ids=kept)
        assert mail.outbox == [], "nothing is sent before the commit"

    assert [m.to for m in mail.outbox] == [[ben.user.email]], "only what committed is sent"
    assert not OutgoingEmail.objects.filter(pk__in=lost).exists()
    assert _states(kept) == [State.SENT]


def test_an_amendment_sends_one_more_email_per_version() -> None:
    result = _result(_account())
    _release([result])

    Result.objects.filter(pk=result.pk).update(version=2, amended_at=timezone.now())
    _release([result], kind=AMENDED)
    _release([result], kind=AMENDED)

    assert [m.subject for m in mail.outbox] == ["Your exam results are available", "Your exam result has been amended"]
    assert OutgoingEmail.objects.filter(result=result, kind=AMENDED, result_version=2, state=State.SENT).count() == 1


def test_only_confirmed_active_accounts_get_an_email() -> None:
    confirmed = _account()
    results = [_result(confirmed), _result(_account(confirmed=False)), _result(_account(active=False))]

    ids = _release(results)

    assert len(ids) == 1
    assert [m.to for m in mail.outbox] == [[confirmed.user.email]]


def test_unlinked_entries_get_no_email() -> None:
    assert _release([_result()]) == []
    assert not OutgoingEmail.objects.exists()
    assert mail.outbox == []


def test_held_or_embargoed_results_get_no_email() -> None:
    held = _result(_account(), status=Result.Status.HELD)
    embargoed = _result(_account(), released_at=timezone.now() + dt.timedelta(hours=1))

    assert _release([held, embargoed]) == []
    assert mail.outbox == []
    later = timezone.now() + dt.timedelta(hours=2)
    assert len(outgoing_emails_create(result_ids=[held.pk, embargoed.pk], kind=RELEASED, now=later)) == 1


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown outgoing email kind"):
        outgoing_emails_create(result_ids=[_result(_account()).pk], kind="reminder")


def test_an_email_of_a_registered_kind_is_written_once_per_source_key() -> None:
    def email(**fields: Any) -> OutgoingEmail:
        values = {
            "kind": OutgoingEmail.Kind.DELIVERIES_CHANGED,
            "address": "admissions@lyon.example",
            "language": "fr",
            "source_key": "deliveries_changed:7:41",
            "context": {"organisation": "Lyon Institute", "count": 1, "kinds": ["result.held"]},
        }
        return OutgoingEmail(**(values | fields))

    first = emails.outgoing_emails_write(emails=[email()])
    again = emails.outgoing_emails_write(emails=[email(context={"organisation": "Someone else"})])

    assert len(first) == 1 and again == first
    row = OutgoingEmail.objects.get()
    assert (row.account, row.result, row.result_version, row.context["organisation"]) == (
        None,
        None,
        None,
        "Lyon Institute",
    )
    for refused in (email(kind=RELEASED), email(address=""), email(source_key=None), email(language="")):
        with pytest.raises(ValueError, match="kind|address"):
            emails.outgoing_emails_write(emails=[refused])


def test_send_task_run_twice_sends_once() -> None:
    ids = outgoing_emails_create(result_ids=[_result(_account()).pk, _result(_account()).pk], kind=RELEASED)

    outgoing_emails_send.delay(email_ids=ids)
    outgoing_emails_send.delay(email_ids=ids)

    assert len(mail.outbox) == 2
    assert [e.attempts for e in OutgoingEmail.objects.order_by("pk")] == [1, 1]


def test_send_task_skips_rows_another_worker_is_sending() -> None:
    ids = outgoing_emails_create(result_ids=[_result(_account()).pk], kind=RELEASED)
    OutgoingEmail.objects.filter(pk__in=ids).update(state=State.SENDING, sending_since=timezone.now())

    outgoing_emails_send.delay(email_ids=ids)

    assert mail.outbox == []
    assert _states(ids) == [State.SENDING]


# --- failures and recovery ------------------------------------------------------------------------------


def _killed_at_the_third_record(monkeypatch: pytest.MonkeyPatch, *, journal: bool) -> None:
    """Make the worker die after the server accepted the third email, before it could write that down.

    With the journal, what dies is the ``HSET``; without one (a broker that is not Redis), the SENT mark.
    """
    records = 0

    def die_at_the_third(original: Callable[..., None]) -> Callable[..., None]:
        def record(*args: Any, **kwargs: Any) -> None:
            nonlocal records
            records += 1
            if records == 3:
                raise RuntimeError("worker killed after the server accepted the message")
            original(*args, **kwargs)

        return record

    if journal:
        monkeypatch.setattr(SentJournal, "record", die_at_the_third(SentJournal.record))
    else:
        monkeypatch.setattr(emails, "_outgoing_email_mark_sent", die_at_the_third(emails._outgoing_email_mark_sent))


@pytest.mark.parametrize("journal", [True, False], ids=["sent journal", "no journal (broker not Redis)"])
def test_worker_dying_between_send_and_mark_sends_that_one_email_again_with_the_same_message_id(
    monkeypatch: pytest.MonkeyPatch, settings: Any, journal: bool
) -> None:
    if not journal:
        settings.CELERY_BROKER_URL = "memory://"
    ids = outgoing_emails_create(result_ids=[_result(_account()).pk for _ in range(5)], kind=RELEASED)

    with monkeypatch.context() as patch:
        _killed_at_the_third_record(patch, journal=journal)
        with pytest.raises(RuntimeError):
            outgoing_emails_send.delay(email_ids=ids)

    assert len(mail.outbox) == 3
    assert _states(ids) == [State.SENT, State.SENT, State.SENDING, State.SENDING, State.SENDING]
    _recover()
    assert len(mail.outbox) == 3, "a row SENDING for less than 10 minutes may belong to a live worker"

    _age(ids, sending_since=dt.timedelta(minutes=11))
    _recover()
    _recover()

    sent = [_message_id(m) for m in mail.outbox]
    assert sorted(sent) == sorted(
        [f"<results-email-{i}@example.org>" for i in ids] + [f"<results-email-{ids[2]}@example.org>"]
    ), "only the email whose mark was lost is sent again, with the same Message-ID"
    rows = list(OutgoingEmail.objects.filter(pk__in=ids).order_by("pk"))
    assert [(r.state, r.attempts) for r in rows] == [(State.SENT, 1)] * 2 + [(State.SENT, 2)] * 3
    assert {r.last_error for r in rows[2:]} == {ERROR_WORKER_STOPPED}


def test_a_worker_killed_before_its_database_marks_sends_only_the_unrecorded_email_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGKILL between the journal and the batched SENT marks: the recovery job marks what the journal holds."""
    ids = outgoing_emails_create(result_ids=[_result(_account()).pk for _ in range(5)], kind=RELEASED)
    before = timezone.now()

    with monkeypatch.context() as patch:
        _killed_at_the_third_record(patch, journal=True)
        patch.setattr(emails._SentMarks, "flush", lambda self: None)  # killed: nothing after the third send runs
        with pytest.raises(RuntimeError):
            outgoing_emails_send.delay(email_ids=ids)

    assert len(mail.outbox) == 3
    assert _states(ids) == [State.SENDING] * 5
    # The recovery job 11 minutes later (its clock moved: the journal is keyed by the rows' own sending_since).
    with TestCase.captureOnCommitCallbacks(execute=True):
        outgoing_emails_dispatch(
            email_ids=outgoing_emails_recover_stale(now=timezone.now() + dt.timedelta(minutes=11))
        )

    sent = [_message_id(m) for m in mail.outbox]
    assert sorted(sent) == sorted(
        [f"<results-email-{i}@example.org>" for i in ids] + [f"<results-email-{ids[2]}@example.org>"]
    ), "the two emails the journal holds are not sent again"
    rows = list(OutgoingEmail.objects.filter(pk__in=ids).order_by("pk"))
    assert [(r.state, r.attempts) for r in rows] == [(State.SENT, 1)] * 2 + [(State.SENT, 2)] * 3
    assert all(r.sent_at is not None and before <= r.sent_at <= timezone.now() for r in rows[:2])
    assert {r.last_error for r in rows[:2]} == {""}


def test_a_journal_entry_of_an_earlier_claim_never_marks_a_row_sent() -> None:
    """An entry speaks of one claim (the row's ``sending_since``): a row claimed again is not taken for sent."""
    ids = outgoing_emails_create(result_ids=[_result(_account()).pk], kind=RELEASED)
    earlier = timezone.now() - dt.timedelta(hours=1)
    journal = sent_journal()
    assert journal is not None
    journal.record(email_id=ids[0], claimed_at=earlier, accepted_at=earlier)
    OutgoingEmail.objects.filter(pk__in=ids).update(
        state=State.SENDING, sending_since=timezone.now() - dt.timedelta(minutes=11), attempts=1
    )

    _recover()

    assert [_message_id(m) for m in mail.outbox] == [f"<results-email-{ids[0]}@example.org>"]
    assert _states(ids) == [State.SENT]


def test_a_journal_that_cannot_be_read_leaves_stuck_emails_for_the_next_run(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = outgoing_emails_create(result_ids=[_result(_account()).pk], kind=RELEASED)
    OutgoingEmail.objects.filter(pk__in=ids).update(
        state=State.SENDING, sending_since=timezone.now() - dt.timedelta(minutes=11), attempts=1
    )

    def unreachable(self: SentJournal, **kwargs: Any) -> None:
        raise redis.ConnectionError("Redis is down")

    with monkeypatch.context() as patch:
        patch.setattr(SentJournal, "accepted", unreachable)
        _recover()
    assert mail.outbox == []
    assert _states(ids) == [State.SENDING]

    _recover()
    assert len(mail.outbox) == 1
    assert _states(ids) == [State.SENT]


def test_a_journal_that_fails_while_sending_falls_back_to_a_mark_per_email(
    monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    ids = outgoing_emails_create(result_ids=[_result(_account()).pk for _ in range(3)], kind=RELEASED)

    def unreachable(self: SentJournal, **kwargs: Any) -> None:
        raise redis.ConnectionError("Redis is down")

    monkeypatch.setattr(SentJournal, "record", unreachable)
    # claim (4: savepoint-less transaction of SELECT … FOR UPDATE and UPDATE), load (1), 3 marks, empty flush (0)
    with django_assert_num_queries(4 + 1 + 3):
        outgoing_emails_send.delay(email_ids=ids)

    assert len(mail.outbox) == 3
    assert _states(ids) == [State.SENT] * 3


def test_sending_marks_sent_in_batches_with_the_journal(
    monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    ids = outgoing_emails_create(result_ids=[_result(_account()).pk for _ in range(7)], kind=RELEASED)
    monkeypatch.setattr(emails, "MARK_SENT_BATCH", 3)

    # claim (4), load (1), marks of 3, 3 and the last 1
    with django_assert_num_queries(4 + 1 + 3):
        outgoing_emails_send.delay(email_ids=ids)

    assert len(mail.outbox) == 7
    rows = list(OutgoingEmail.objects.filter(pk__in=ids).order_by("pk"))
    assert [r.state for r in rows] == [State.SENT] * 7
    assert all(r.sent_at is not None and r.sending_since is not None and r.sent_at >= r.sending_since for r in rows)
    journal = sent_journal()
    assert journal is not None
    kept = journal.accepted(claims=[(r.pk, r.sending_since) for r in rows if r.sending_since])
    assert sorted(kept) == ids, "kept until they expire: the SENT marks were committed without waiting for the disk"
    key = journal._key(rows[0].sending_since)  # type: ignore[arg-type]
    assert 0 < journal.client.ttl(key) <= 24 * 3600


def test_a_send_stopped_while_marking_its_batch_does_not_send_the_written_down_emails_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The soft time limit (or an error) inside a batch's database marks: the journal still says what was sent."""
    ids = outgoing_emails_create(result_ids=[_result(_account()).pk for _ in range(5)], kind=RELEASED)
    monkeypatch.setattr(emails, "MARK_SENT_BATCH", 3)

    real_mark, stops = emails._outgoing_emails_mark_sent, [SoftTimeLimitExceeded(), OSError("connection lost")]

    def stopped(*, sent: Sequence[tuple[int, dt.datetime]]) -> None:
        if stops:  # the batch's marks, then the final ones the loop's ``finally`` tries
            raise stops.pop(0)
        real_mark(sent=sent)

    monkeypatch.setattr(emails, "_outgoing_emails_mark_sent", stopped)
    with pytest.raises(Retry):
        outgoing_emails_send.delay(email_ids=ids)

    assert len(mail.outbox) == 3, "stopped after the third email, while marking the first three"
    assert _states(ids) == [State.SENT] * 3 + [State.QUEUED] * 2, "the three in the journal are not put back"
    outgoing_emails_send.delay(email_ids=ids)  # the retry
    assert sorted(_message_id(m) for m in mail.outbox) == sorted(f"<results-email-{i}@example.org>" for i in ids)
    assert _states(ids) == [State.SENT] * 5


def test_smtp_failure_requeues_the_unsent_then_a_retry_sends_each_once(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = outgoing_emails_create(result_ids=[_result(_account()).pk for _ in range(3)], kind=RELEASED)
    _flaky_send(monkeypatch, lambda call, _: smtplib.SMTPServerDisconnected("421 try later") if call == 2 else None)

    with pytest.raises(Retry) as retry:
        outgoing_emails_send.delay(email_ids=ids)

    assert retry.value.when == 30
    assert len(mail.outbox) == 1
    rows = list(OutgoingEmail.objects.filter(pk__in=ids).order_by("pk"))
    assert [(r.state, r.attempts) for r in rows] == [(State.SENT, 1), (State.QUEUED, 1), (State.QUEUED, 1)]
    assert rows[1].last_error == "SMTPServerDisconnected: 421 try later"

    outgoing_emails_send.delay(email_ids=ids)

    assert _states(ids) == [State.SENT] * 3
    assert sorted(_message_id(m) for m in mail.outbox) == sorted(f"<results-email-{i}@example.org>" for i in ids)


def test_after_max_attempts_the_emails_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = outgoing_emails_create(result_ids=[_result(_account()).pk], kind=RELEASED)
    _flaky_send(monkeypatch, lambda call, _: smtplib.SMTPException("451 local error"))

    for _ in range(MAX_ATTEMPTS - 1):
        with pytest.raises(Retry):
            outgoing_emails_send.delay(email_ids=ids)
        assert _states(ids) == [State.QUEUED]
    outgoing_emails_send.delay(email_ids=ids)
    outgoing_emails_send.delay(email_ids=ids)

    email = OutgoingEmail.objects.get(pk=ids[0])
    assert (email.state, email.attempts) == (State.FAILED, MAX_ATTEMPTS)
    assert email.last_error == "SMTPException: 451 local error"
    assert mail.outbox == []


def test_retries_back_off_exponentially_and_the_last_retry_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = outgoing_emails_create(result_ids=[_result(_account()).pk], kind=RELEASED)
    _flaky_send(monkeypatch, lambda call, _: ConnectionRefusedError("connection refused"))
    countdowns = []

    for retries in range(MAX_RETRIES):
        with pytest.raises(Retry) as retry:
            outgoing_emails_send.apply(kwargs={"email_ids": ids}, retries=retries)
        countdowns.append(retry.value.when)
    outgoing_emails_send.apply(kwargs={"email_ids": ids}, retries=MAX_RETRIES)

    assert countdowns == [30, 60, 120, 240, 480, 960]
    assert _states(ids) == [State.FAILED]


def test_an_address_refused_for_good_fails_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = outgoing_emails_create(result_ids=[_result(_account()).pk for _ in range(3)], kind=RELEASED)
    refused = OutgoingEmail.objects.get(pk=ids[1]).account.user.email

    def fails(call: int, message: mail.EmailMessage) -> BaseException | None:
        if message.to == [refused]:
            return smtplib.SMTPRecipientsRefused({refused: (550, b"5.1.1 no such user")})
        return None

    _flaky_send(monkeypatch, fails)
    outgoing_emails_send.delay(email_ids=ids)

    assert _states(ids) == [State.SENT, State.FAILED, State.SENT]
    assert "no such user" in OutgoingEmail.objects.get(pk=ids[1]).last_error


def test_an_account_closed_before_sending_gets_no_email() -> None:
    account = _account()
    ids = outgoing_emails_create(result_ids=[_result(account).pk], kind=RELEASED)
    account.user.is_active = False
    account.user.save()

    outgoing_emails_send.delay(email_ids=ids)

    assert mail.outbox == []
    assert OutgoingEmail.objects.get(pk=ids[0]).last_error == ERROR_ACCOUNT_CLOSED


def test_recover_queues_again_emails_whose_task_never_reached_a_worker() -> None:
    lost = outgoing_emails_create(result_ids=[_result(_account()).pk], kind=RELEASED)
    waiting_for_retry = outgoing_emails_create(result_ids=[_result(_account()).pk], kind=RELEASED)
    OutgoingEmail.objects.filter(pk__in=waiting_for_retry).update(attempts=1, sending_since=timezone.now())

    _recover()
    assert mail.outbox == [], "rows written less than 5 minutes ago may still have their task in the queue"

    _age(lost + waiting_for_retry, created_at=dt.timedelta(minutes=6))
    _recover()

    assert _states(lost) == [State.SENT]
    assert _states(waiting_for_retry) == [State.QUEUED], "a retry that is not overdue is left to its countdown"
    assert len(mail.outbox) == 1


# --- batching, content, queries -------------------------------------------------------------------------


def test_one_connection_per_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    results = [_result(_account()) for _ in range(5)]
    opened = 0

    def open_connection(self: locmem.EmailBackend) -> bool:
        nonlocal opened
        opened += 1
        return True

    monkeypatch.setattr(locmem.EmailBackend, "open", open_connection)
    _release(results, batch_size=2)

    assert len(mail.outbox) == 5
    assert opened == 3


def test_the_email_says_where_to_log_in_and_holds_no_result() -> None:
    result = _result(_account())
    session = result.entry.session

    (email_id,) = _release([result])

    (message,) = mail.outbox
    html = message.alternatives[0].content
    date = date_format(session.date, "DATE_FORMAT")
    assert message.subject == "Your exam results are available"
    assert f"Your results for B2 First ({date}) are available in Results Online." in message.body
    assert "http://127.0.0.1:8000/results/login/" in message.body
    assert 'href="http://127.0.0.1:8000/results/login/"' in html
    assert "results are shown only after you log in" in message.body
    for secret in ("182", "Grade", "C1"):
        assert secret not in message.subject
        assert secret not in message.body
        assert secret not in html
    assert _message_id(message) == f"<results-email-{email_id}@example.org>"


@pytest.mark.parametrize(
    ("language", "date"), [("en", "6 October 2026"), ("es", "6 de octubre de 2026"), ("zh-hans", "2026年10月6日")]
)
def test_the_email_writes_the_exam_date_the_one_way_of_its_language(language: str, date: str) -> None:
    session = ExamSessionFactory(date=dt.date(2026, 10, 6))

    _release([_result(_account(language=language), session=session)])

    (message,) = mail.outbox
    assert f"B2 First ({date})" in message.body or f"B2 First（{date}）" in message.body
    assert date in message.alternatives[0].content


def test_the_email_is_in_the_account_language() -> None:
    result = _result(_account(language="es"))

    _release([result])

    (message,) = mail.outbox
    html = message.alternatives[0].content
    with translation.override("es"):
        date = date_format(result.entry.session.date, "DATE_FORMAT")
    assert message.message()["Content-Language"] == "es"
    assert '<html lang="es">' in html
    assert "Iniciar sesión en Results Online" in message.body
    assert "Iniciar sesión en Results Online" in html
    assert date in message.body
    assert "http://127.0.0.1:8000/es/results/login/" in message.body


def test_create_returns_the_rows_it_wrote_without_reading_the_outbox_when_all_are_new() -> None:
    """The release's case: every row is new, so the INSERT's own ids are the QUEUED rows (docs/scaling.md)."""
    results = [_result(_account()) for _ in range(3)]

    with CaptureQueriesContext(connection) as first:
        ids = outgoing_emails_create(result_ids=[r.pk for r in results], kind=RELEASED)
    with CaptureQueriesContext(connection) as again:
        repeated = outgoing_emails_create(result_ids=[r.pk for r in results], kind=RELEASED)

    assert ids == sorted(OutgoingEmail.objects.filter(result__in=results).values_list("pk", flat=True))
    assert len(ids) == 3
    assert _outbox_reads(first) == []
    assert repeated == ids, "rows written before are read back, still QUEUED"
    assert _outbox_reads(again)


def _outbox_reads(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT") and "outgoingemail" in q["sql"]
    ]


def test_create_runs_the_same_queries_for_10_or_100_results(
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    centre, session = CentreFactory(), ExamSessionFactory()
    results = [_result(_account(), session=session, person__centre=centre) for _ in range(100)]

    with django_assert_max_num_queries(6):
        ten = outgoing_emails_create(result_ids=[r.pk for r in results[:10]], kind=RELEASED)
    with django_assert_max_num_queries(6):
        hundred = outgoing_emails_create(result_ids=[r.pk for r in results], kind=RELEASED)

    assert len(ten) == 10
    assert len(hundred) == 100
