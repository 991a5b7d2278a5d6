"""The send task's batches: each content rendered once, the SMTP bytes Django would send, SENT at once."""

import datetime as dt
import re
from collections.abc import Sequence
from email import message_from_bytes
from email.utils import parsedate_to_datetime
from typing import Any

import psycopg
import pytest
import redis
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends import smtp
from django.core.mail.message import sanitize_address
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from centres.tests.factories import EntryFactory, ExamSessionFactory
from results import emails
from results.emails import outgoing_email_message, outgoing_emails_create
from results.models import OutgoingEmail
from results.sent_journal import SentJournal
from results.tasks import outgoing_emails_send

from .factories import account_for, result_for

pytestmark = pytest.mark.django_db

RELEASED = OutgoingEmail.Kind.RELEASED
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _emails(*specs: tuple[Any, str]) -> list[int]:
    """Write one "results released" email per (session, language); return their ids."""
    results = []
    for session, language in specs:
        entry = EntryFactory(session=session)
        account_for(entry, language=language)
        results.append(result_for(entry, released_at=timezone.now() - dt.timedelta(minutes=1)))
    return outgoing_emails_create(result_ids=[r.pk for r in results], kind=RELEASED)


class RecordingSMTP:
    """Stands in for ``smtplib.SMTP`` under Django's SMTP backend: records what would go on the wire."""

    sent: list[tuple[str, list[str], bytes]] = []
    does_esmtp = False  # no EHLO extensions: no PIPELINING (results/tests/test_smtp_pipelining.py has a server)

    def __init__(self, host: str, port: int, **kwargs: Any) -> None:
        pass

    def ehlo_or_helo_if_needed(self) -> None:
        pass

    def has_extn(self, name: str) -> bool:
        return False

    def sendmail(self, from_addr: str, to_addrs: Sequence[str], msg: bytes) -> dict[str, Any]:
        RecordingSMTP.sent.append((from_addr, list(to_addrs), msg))
        return {}

    def quit(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def smtp_wire(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str], bytes]]:
    """Send through Django's SMTP backend to a recording stand-in for the server; return what it received."""
    RecordingSMTP.sent = []
    monkeypatch.setattr(smtp.EmailBackend, "connection_class", property(lambda self: RecordingSMTP))
    return RecordingSMTP.sent


def _comparable(data: bytes) -> bytes:
    """Return a message's bytes without what differs between two builds of it: the MIME boundary and the Date."""
    data = re.sub(rb"={15}\d+==", b"BOUNDARY", data)
    return re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\nDate: DATE\r\n", data)


def test_a_batch_renders_each_content_once_and_each_email_in_its_language(monkeypatch: pytest.MonkeyPatch) -> None:
    june, november = ExamSessionFactory(), ExamSessionFactory()
    ids = _emails((june, "en"), (june, "es"), (june, "en"), (november, "en"), (june, "es"), (june, "zh-hans"))
    rendered = []
    render = emails.render_to_string

    def counting_render(template_name: str, context: dict[str, Any]) -> str:
        rendered.append(template_name)
        return render(template_name, context)

    monkeypatch.setattr(emails, "render_to_string", counting_render)
    outgoing_emails_send.delay(email_ids=ids)

    assert len(rendered) == 4 * 3, "four contents: June in English, Spanish and Chinese, November in English"
    monkeypatch.undo()
    sent = {m.to[0]: m for m in mail.outbox}
    assert len(sent) == len(ids)
    assert len({m.subject for m in mail.outbox}) == 3
    rows = OutgoingEmail.objects.filter(pk__in=ids).select_related("account__user", "result__entry__session__exam")
    for email in rows:
        alone = outgoing_email_message(email=email)
        message = sent[email.account.user.email]
        assert (message.subject, message.body) == (alone.subject, alone.body)
        assert message.alternatives == alone.alternatives
        assert message.extra_headers == alone.extra_headers


@override_settings(EMAIL_BACKEND=SMTP_BACKEND)
def test_over_smtp_each_email_is_the_bytes_django_would_send(
    smtp_wire: list[tuple[str, list[str], bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    session = ExamSessionFactory()
    ids = _emails((session, "en"), (session, "es"), (session, "zh-hans"), (session, "en"), (session, "en"))
    unusual = OutgoingEmail.objects.select_related("account__user").get(pk=ids[3])
    unusual.account.user.email = "Zoë.O'Neil@example.org"
    unusual.account.user.save(update_fields=["email"])
    expected = {
        email.pk: outgoing_email_message(email=email).message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
        for email in OutgoingEmail.objects.filter(pk__in=ids).select_related(
            "account__user", "result__entry__session__exam"
        )
    }
    built = []
    build = EmailMultiAlternatives.message

    def counting_build(self: EmailMultiAlternatives) -> Any:
        built.append(self.to)
        return build(self)

    monkeypatch.setattr(EmailMultiAlternatives, "message", counting_build)

    outgoing_emails_send.delay(email_ids=ids)

    assert len(built) == 3 + 1, "built once per language, and for the address that cannot be put in place"
    assert len(smtp_wire) == len(ids)
    for (sender, recipients, data), email_id in zip(smtp_wire, ids, strict=True):
        email = OutgoingEmail.objects.select_related("account__user").get(pk=email_id)
        assert sender == sanitize_address("Results Portal <results@example.org>", "utf-8")
        assert recipients == [sanitize_address(email.account.user.email, "utf-8")]
        assert _comparable(data) == _comparable(expected[email_id])
        date = parsedate_to_datetime(message_from_bytes(data)["Date"])
        assert abs(date.replace(tzinfo=date.tzinfo or dt.UTC) - timezone.now()) < dt.timedelta(minutes=1)
    assert set(OutgoingEmail.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"sent"}


@override_settings(EMAIL_BACKEND=SMTP_BACKEND)
def test_over_smtp_an_email_whose_headers_cannot_be_put_in_place_is_built_by_django(
    smtp_wire: list[tuple[str, list[str], bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    to, date, message_id = emails._SUBSTITUTED
    monkeypatch.setattr(emails, "_SUBSTITUTED", (to, message_id, date), raising=True)  # not Django's order
    (email_id,) = _emails((ExamSessionFactory(), "en"))
    email = OutgoingEmail.objects.select_related("account__user", "result__entry__session__exam").get(pk=email_id)
    expected = outgoing_email_message(email=email).message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]

    outgoing_emails_send.delay(email_ids=[email_id])

    ((_, _, data),) = smtp_wire
    assert _comparable(data) == _comparable(expected)


@override_settings(EMAIL_BACKEND=SMTP_BACKEND)
def test_over_smtp_an_email_of_a_registered_kind_is_the_bytes_django_would_send(
    smtp_wire: list[tuple[str, list[str], bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An organisation's email (verification registers the kind): text only, in its language, put in place too."""
    context = {"organisation": "Lyon Institute", "count": 2, "kinds": ["delivery.created"]}
    specs = [("en", "admissions@lyon.example"), ("es", "admisiones@madrid.example"), ("es", "Zoë@madrid.example")]
    ids = emails.outgoing_emails_write(
        emails=[
            OutgoingEmail(
                kind=OutgoingEmail.Kind.DELIVERIES_CHANGED,
                address=address,
                language=language,
                source_key=f"test:{n}",
                context=context,
            )
            for n, (language, address) in enumerate(specs)
        ]
    )
    expected = {
        email.pk: outgoing_email_message(email=email).message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
        for email in OutgoingEmail.objects.filter(pk__in=ids)
    }
    built = []
    build = EmailMultiAlternatives.message

    def counting_build(self: EmailMultiAlternatives) -> Any:
        built.append(self.to)
        return build(self)

    monkeypatch.setattr(EmailMultiAlternatives, "message", counting_build)

    outgoing_emails_send.delay(email_ids=ids)

    assert len(built) == 2 + 1, "built once per language, and for the address that cannot be put in place"
    assert [recipients for _, recipients, _ in smtp_wire] == [
        ["admissions@lyon.example"],
        ["admisiones@madrid.example"],
        [sanitize_address("Zoë@madrid.example", "utf-8")],
    ]
    for (_, _, data), email_id in zip(smtp_wire, ids, strict=True):
        assert _comparable(data) == _comparable(expected[email_id])
        assert b"multipart" not in data and b"Auto-Submitted: auto-generated" in data
    assert b"Content-Language: es" in smtp_wire[1][2]
    assert set(OutgoingEmail.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"sent"}


# Committed for real: another connection looks, and reads the sent journal, as the recovery job would.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("journal", [True, False], ids=["sent journal", "no journal (broker not Redis)"])
def test_each_accepted_email_is_written_down_before_the_next_is_sent(
    monkeypatch: pytest.MonkeyPatch, settings: Any, journal: bool
) -> None:
    """A worker killed at any moment has at most one email accepted by the server and not yet written down.

    Written down: committed SENT, or in the sent journal for the row's claim (the recovery job marks those SENT).
    """
    if not journal:
        settings.CELERY_BROKER_URL = "memory://"
    session = ExamSessionFactory()
    ids = _emails(*[(session, "en")] * 4)
    table = OutgoingEmail._meta.db_table
    seen: list[list[str]] = []
    send = emails._EmailSender.send

    def send_after_looking_from_another_connection(self: Any, *, email: Any) -> None:
        # What a recovery job on another connection sees at this moment: what has been committed, and the journal.
        db = connection.settings_dict
        with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]) as other:
            rows = other.execute(
                f"SELECT id, state, sending_since FROM {table} WHERE id = ANY(%s) ORDER BY id",  # noqa: S608
                [ids],
            ).fetchall()
        recorded = (
            SentJournal(client=redis.Redis.from_url(settings.CELERY_BROKER_URL), database=db["NAME"]).accepted(
                claims=[(pk, claimed_at) for pk, _, claimed_at in rows]
            )
            if journal
            else {}
        )
        seen.append(["written down" if state == "sent" or pk in recorded else state for pk, state, _ in rows])
        send(self, email=email)

    monkeypatch.setattr(emails._EmailSender, "send", send_after_looking_from_another_connection)

    outgoing_emails_send.delay(email_ids=ids)

    assert seen == [
        ["sending", "sending", "sending", "sending"],
        ["written down", "sending", "sending", "sending"],
        ["written down", "written down", "sending", "sending"],
        ["written down", "written down", "written down", "sending"],
    ]
    assert len(mail.outbox) == len(ids)
    assert set(OutgoingEmail.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"sent"}
