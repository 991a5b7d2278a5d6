"""Results emails end to end: release job → outbox → Celery worker → SMTP server, and how SMTP failures end.

docs/decisions/0005-results-email-outbox.md says what each failure must leave: an address refused for good
is FAILED and the batch goes on; any other SMTP or network error puts the email back to QUEUED with the
error and the task retries (here after seconds: tests/integration/worker.py) until it is SENT.
"""

import datetime as dt

import pytest

from results.models import OutgoingEmail, Result
from results.tasks import outgoing_emails_send, results_release_due_task
from tests.integration.data import Candidate, candidate_with_result, past_session
from tests.integration.helpers import EMAIL_TIMEOUT_SECONDS, WorkerProcess
from tests.integration.smtp import SMTPServer

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

State = OutgoingEmail.State
READY = Result.Status.READY
# What docs/decisions/0005 and the templates promise every "results released" email carries.
SUBJECT = "Your exam results are available"
ENVELOPE_SENDER = "results@example.org"
DELIVERY_SECONDS = 30


def _email(candidate: Candidate) -> OutgoingEmail | None:
    """Return the candidate's one outbox row (None before the release job wrote it)."""
    rows = list(OutgoingEmail.objects.filter(account=candidate.account))
    assert len(rows) <= 1, f"{candidate.address} has {len(rows)} outbox rows"
    return rows[0] if rows else None


def _in_state(candidate: Candidate, *states: str) -> OutgoingEmail | None:
    email = _email(candidate)
    return email if email is not None and email.state in states else None


def _outbox(smtp: SMTPServer) -> str:
    rows = [(e.pk, e.account.user.email, e.state, e.attempts, e.last_error) for e in OutgoingEmail.objects.all()]
    got = [(m.rcpt_tos, m.message_id) for m in smtp.handler.received()]
    return f"outbox rows (id, address, state, attempts, error): {rows}\nSMTP server received: {got}"


def test_a_release_sends_each_candidate_one_email_over_smtp(worker: WorkerProcess, smtp: SMTPServer) -> None:
    """The worker's release job emails each released candidate once over SMTP, and running again sends nothing."""
    session = past_session()
    ana = candidate_with_result(session=session, status=READY, first_name="Ana")
    ben = candidate_with_result(session=session, status=READY, first_name="Ben")
    later = candidate_with_result(session=session, status=READY, first_name="Cai", due_in=dt.timedelta(days=1))

    results_release_due_task.delay()

    worker.wait_until(
        lambda: _in_state(ana, State.SENT) and _in_state(ben, State.SENT),
        timeout=DELIVERY_SECONDS,
        what="both emails are SENT",
        diagnose=lambda: _outbox(smtp),
    )
    sent_ids = list(OutgoingEmail.objects.values_list("pk", flat=True))
    again = [results_release_due_task.delay(), outgoing_emails_send.delay(email_ids=sent_ids)]
    worker.wait_until(
        lambda: all(worker.task_done(task.id) for task in again),
        timeout=DELIVERY_SECONDS,
        what="the release job and the send task ran again",
    )

    received = smtp.handler.received()
    assert sorted(m.rcpt_tos for m in received) == sorted([(ana.address,), (ben.address,)])
    for candidate in (ana, ben):
        email = _email(candidate)
        assert email is not None
        (message,) = smtp.handler.received(to=candidate.address)
        assert message.mail_from == ENVELOPE_SENDER
        assert message.subject == SUBJECT
        assert message.message["To"] == candidate.address
        assert message.message_id == f"<results-email-{email.pk}@example.org>"
        assert "B2 First" in message.message.get_body(preferencelist=("plain",)).get_content()
        assert (email.state, email.attempts, email.last_error) == (State.SENT, 1, "")
    assert _email(later) is None, "a result not yet due is not released, so nobody is told"
    assert Result.objects.get(pk=later.result.pk).status == READY


def test_an_address_refused_for_good_fails_and_the_batch_goes_on(worker: WorkerProcess, smtp: SMTPServer) -> None:
    """A 550 for one recipient marks that email FAILED (no retry) and the next email of the batch is still sent."""
    session = past_session()
    ana = candidate_with_result(session=session, status=READY, first_name="Ana")
    ben = candidate_with_result(session=session, status=READY, first_name="Ben")
    smtp.handler.refuse(ana.address, reply="550 5.1.1 Recipient address rejected: user unknown")

    results_release_due_task.delay()

    worker.wait_until(
        lambda: _in_state(ana, State.FAILED, State.SENT) and _in_state(ben, State.FAILED, State.SENT),
        timeout=DELIVERY_SECONDS,
        what="both emails are settled (SENT or FAILED)",
        diagnose=lambda: _outbox(smtp),
    )
    refused, delivered = _email(ana), _email(ben)
    assert refused is not None and (refused.state, refused.attempts) == (State.FAILED, 1)
    assert refused.last_error.startswith("Address refused") and "550" in refused.last_error
    assert delivered is not None and (delivered.state, delivered.attempts) == (State.SENT, 1)
    assert [m.rcpt_tos for m in smtp.handler.received()] == [(ben.address,)]


def test_a_temporary_refusal_is_retried_and_delivered_once(worker: WorkerProcess, smtp: SMTPServer) -> None:
    """A 451 for the recipient sends the email back to the queue; the task's retry delivers it, once."""
    ana = candidate_with_result(session=past_session(), status=READY)
    smtp.handler.refuse(ana.address, reply="451 4.3.0 Temporary failure, try again later", times=1)

    results_release_due_task.delay()

    email = worker.wait_until(
        lambda: _in_state(ana, State.SENT, State.FAILED),
        timeout=DELIVERY_SECONDS,
        what="the email is settled (SENT or FAILED)",
        diagnose=lambda: _outbox(smtp),
    )
    assert (email.state, email.attempts) == (State.SENT, 2)
    assert "451" in email.last_error, "the failed attempt's error is kept on the row"
    assert len(smtp.handler.received(to=ana.address)) == 1


def test_a_dropped_connection_requeues_the_email_until_the_server_is_back(
    worker: WorkerProcess, smtp: SMTPServer
) -> None:
    """While the server drops the connection the email waits QUEUED with the error; once it is back it goes, once."""
    ana = candidate_with_result(session=past_session(), status=READY)
    smtp.handler.drop()

    results_release_due_task.delay()

    queued = worker.wait_until(
        lambda: (email := _in_state(ana, State.QUEUED)) and "SMTPServerDisconnected" in email.last_error and email,
        timeout=DELIVERY_SECONDS,
        what="the email is back in the queue with the disconnection as its error",
        diagnose=lambda: _outbox(smtp),
    )
    assert queued.attempts >= 1 and queued.sent_at is None
    assert smtp.handler.received() == []

    smtp.handler.behave()

    email = worker.wait_until(
        lambda: _in_state(ana, State.SENT, State.FAILED),
        timeout=DELIVERY_SECONDS,
        what="the email is settled once the server accepts again",
        diagnose=lambda: _outbox(smtp),
    )
    assert email.state == State.SENT and email.attempts >= 2
    assert len(smtp.handler.received(to=ana.address)) == 1


def test_a_server_slower_than_the_timeout_gets_the_email_again(worker: WorkerProcess, smtp: SMTPServer) -> None:
    """A server that takes the message but answers after EMAIL_TIMEOUT: the email is requeued, retried and SENT.

    The portal cannot tell "taken, answer late" from "lost", so the server gets the email twice, with one
    Message-ID: at-least-once, as docs/decisions/0005 chose (a mailbox that de-duplicates by Message-ID
    shows one).
    """
    ana = candidate_with_result(session=past_session(), status=READY)
    smtp.handler.answer_slowly(seconds=2 * EMAIL_TIMEOUT_SECONDS, times=1)

    results_release_due_task.delay()

    email = worker.wait_until(
        lambda: _in_state(ana, State.SENT, State.FAILED),
        timeout=DELIVERY_SECONDS,
        what="the email is settled (SENT or FAILED)",
        diagnose=lambda: _outbox(smtp),
    )
    assert (email.state, email.attempts) == (State.SENT, 2)
    assert "timed out" in email.last_error
    copies = smtp.handler.received(to=ana.address)
    assert len(copies) == 2
    assert {m.message_id for m in copies} == {f"<results-email-{email.pk}@example.org>"}
