"""The send loop over a real SMTP server: MAIL, RCPT and DATA pipelined when it offers PIPELINING, each reply checked.

The server (``smtp_server.SMTPTestServer``) runs on 127.0.0.1 and records what it read in each ``recv``: a
client that pipelines puts the envelope and DATA of a message in one read; one that does not, one command per
read. The messages it accepted are compared with the bytes Django would send.
"""

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from celery.exceptions import Retry
from django.test import override_settings
from django.utils import timezone

from centres.tests.factories import EntryFactory, ExamSessionFactory
from results.emails import outgoing_email_message, outgoing_emails_create
from results.models import OutgoingEmail
from results.tasks import outgoing_emails_send

from .factories import account_for, result_for
from .smtp_server import SMTPTestServer

pytestmark = pytest.mark.django_db

State = OutgoingEmail.State
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _server(pipelining: bool) -> Iterator[SMTPTestServer]:
    server = SMTPTestServer(pipelining=pipelining)
    with override_settings(
        EMAIL_BACKEND=SMTP_BACKEND,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=server.port,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_TIMEOUT=10,
    ):
        yield server
    server.stop()


@pytest.fixture
def pipelining_server() -> Iterator[SMTPTestServer]:
    yield from _server(pipelining=True)


@pytest.fixture
def plain_server() -> Iterator[SMTPTestServer]:
    yield from _server(pipelining=False)


def _emails(count: int, *, languages: tuple[str, ...] = ("en",)) -> list[int]:
    session = ExamSessionFactory()
    results = []
    for n in range(count):
        entry = EntryFactory(session=session)
        account_for(entry, language=languages[n % len(languages)])
        results.append(result_for(entry, released_at=timezone.now() - dt.timedelta(minutes=1)))
    return outgoing_emails_create(result_ids=[r.pk for r in results], kind=OutgoingEmail.Kind.RELEASED)


def _states(ids: list[int]) -> list[str]:
    return list(OutgoingEmail.objects.filter(pk__in=ids).order_by("pk").values_list("state", flat=True))


def _address(email_id: int) -> str:
    return str(OutgoingEmail.objects.get(pk=email_id).account.user.email)  # type: ignore[union-attr]


def _comparable(data: bytes) -> bytes:
    """A message without what differs between two builds of it: the MIME boundary and the Date."""
    data = re.sub(rb"={15}\d+==", b"BOUNDARY", data)
    return re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\nDate: DATE\r\n", data)


def _commands_per_read(server: SMTPTestServer) -> list[list[bytes]]:
    """The commands of each read the server made, in order (the reads of a message's content left out)."""
    return [
        [line.split(b" ")[0].lower() for line in chunk.split(b"\r\n") if line]
        for chunk in server.reads
        if b"Message-ID:" not in chunk
    ]


def test_a_server_that_offers_pipelining_gets_mail_rcpt_and_data_in_one_write(
    pipelining_server: SMTPTestServer,
) -> None:
    ids = _emails(4, languages=("en", "es", "zh-hans"))

    outgoing_emails_send.delay(email_ids=ids)

    assert _states(ids) == [State.SENT] * 4
    assert pipelining_server.connections == 1
    envelopes = [read for read in _commands_per_read(pipelining_server) if b"mail" in read]
    assert envelopes == [[b"mail", b"rcpt", b"data"]] * 4, "each message's envelope and DATA went in one write"
    expected = {
        _address(email.pk): outgoing_email_message(email=email).message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
        for email in OutgoingEmail.objects.filter(pk__in=ids).select_related(
            "account__user", "result__entry__session__exam"
        )
    }
    assert len(pipelining_server.accepted) == 4
    for accepted in pipelining_server.accepted:
        assert accepted.mail_from == "results@example.org"
        (to,) = accepted.rcpt_tos
        assert _comparable(accepted.data + b"\r\n") == _comparable(expected[to]), "the bytes Django would send"


def test_a_server_that_does_not_offer_pipelining_gets_one_command_at_a_time(plain_server: SMTPTestServer) -> None:
    ids = _emails(3)

    outgoing_emails_send.delay(email_ids=ids)

    assert _states(ids) == [State.SENT] * 3
    reads = _commands_per_read(plain_server)
    assert all(len(read) == 1 for read in reads), reads
    assert [read for read in reads if read != [b"ehlo"] and read != [b"quit"]] == [[b"mail"], [b"rcpt"], [b"data"]] * 3
    assert len(plain_server.accepted) == 3


def test_both_send_the_same_bytes(pipelining_server: SMTPTestServer) -> None:
    ids = _emails(2, languages=("es",))
    outgoing_emails_send.delay(email_ids=ids)
    plain = SMTPTestServer(pipelining=False)
    try:
        with override_settings(EMAIL_PORT=plain.port):
            OutgoingEmail.objects.filter(pk__in=ids).update(state=State.QUEUED)
            outgoing_emails_send.delay(email_ids=ids)
    finally:
        plain.stop()

    assert [(a.mail_from, a.rcpt_tos) for a in pipelining_server.accepted] == [
        (a.mail_from, a.rcpt_tos) for a in plain.accepted
    ]
    for pipelined, one_by_one in zip(pipelining_server.accepted, plain.accepted, strict=True):
        assert _comparable(pipelined.data) == _comparable(one_by_one.data)


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one at a time"])
def test_an_address_refused_for_good_fails_alone_and_the_connection_goes_on(pipelining: bool, request: Any) -> None:
    server: SMTPTestServer = request.getfixturevalue("pipelining_server" if pipelining else "plain_server")
    ids = _emails(3)
    server.refuse_recipient[_address(ids[1])] = b"550 5.1.1 no such user"

    outgoing_emails_send.delay(email_ids=ids)

    assert _states(ids) == [State.SENT, State.FAILED, State.SENT]
    assert "no such user" in OutgoingEmail.objects.get(pk=ids[1]).last_error
    assert [a.rcpt_tos for a in server.accepted] == [[_address(ids[0])], [_address(ids[2])]]
    assert server.connections == 1 and server.empty_messages == 0


def test_a_server_that_takes_data_without_a_recipient_gets_a_lone_period_and_nothing_is_delivered(
    pipelining_server: SMTPTestServer,
) -> None:
    """RFC 2920, 3.1: the client must check DATA's reply even when every RCPT failed, and end a 354 with "."."""
    ids = _emails(3)
    pipelining_server.refuse_recipient[_address(ids[0])] = b"550 5.1.1 no such user"
    pipelining_server.data_without_recipients = True

    outgoing_emails_send.delay(email_ids=ids)

    assert _states(ids) == [State.FAILED, State.SENT, State.SENT]
    assert pipelining_server.empty_messages == 1, "the 354 was ended with a lone period, not the message"
    assert [a.rcpt_tos for a in pipelining_server.accepted] == [[_address(ids[1])], [_address(ids[2])]]


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one at a time"])
@pytest.mark.parametrize(
    "failure",
    ["recipient 451", "recipient 421", "sender 451", "sender 421", "message 451", "message 554", "message 421"],
)
def test_a_refused_sender_or_message_or_a_closed_connection_requeues_the_rest_and_a_retry_sends_each_once(
    pipelining: bool, failure: str, request: Any
) -> None:
    server: SMTPTestServer = request.getfixturevalue("pipelining_server" if pipelining else "plain_server")
    ids = _emails(3)
    what, code = failure.split()
    reply = f"{code} 4.3.0 try again later".encode()
    if what == "recipient":
        server.refuse_recipient[_address(ids[1])] = reply
    else:
        # the second message: the first goes through
        outgoing_emails_send.delay(email_ids=ids[:1])
        setattr(server, f"refuse_{what}", reply)

    with pytest.raises(Retry):
        outgoing_emails_send.delay(email_ids=ids)

    sent_first = _states(ids)[0]
    assert sent_first == State.SENT
    assert _states(ids)[1:] == [State.QUEUED, State.QUEUED]
    assert len(server.accepted) == 1
    server.refuse_recipient.clear()

    outgoing_emails_send.delay(email_ids=ids)

    assert _states(ids) == [State.SENT] * 3
    assert sorted(a.rcpt_tos[0] for a in server.accepted) == sorted(_address(i) for i in ids), "each once"
    assert server.empty_messages == 0
