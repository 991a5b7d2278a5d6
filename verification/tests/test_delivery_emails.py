"""The emails to an organisation's contact about its deliveries go through the portal's email outbox.

One email per organisation per batch of events, in the organisation's language, naming no candidate and no
result; retried after a mail server failure with the same Message-ID, and sent by the recovery job when its task
was never queued (the broker outage itself, with a real Redis stopped, is in tests/faults).
"""

import datetime as dt
import smtplib
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from candidates.models import LinkedEntry
from results.emails import ERROR_ACCOUNT_CLOSED
from results.models import OutgoingEmail, Result, ResultEvent
from results.services import result_hold
from results.tasks import outgoing_emails_recover, outgoing_emails_send
from results.tests.factories import account_for
from verification import deliveries, services
from verification.models import Delivery, DeliveryEvent, VerifierOrganisation
from verification.tasks import delivery_events_email
from verification.tests.conftest import PASSWORD, released_entry
from verification.tests.test_deliveries import _amend, listed

pytestmark = pytest.mark.django_db

OnCommit = Callable[..., Any]
State = OutgoingEmail.State
CHANGED = OutgoingEmail.Kind.DELIVERIES_CHANGED


def _send(account: Any, entries: Sequence[Any], organisations: Sequence[Any]) -> list[Delivery]:
    return deliveries.deliveries_send(
        account=account,
        entry_ids=[e.public_id for e in entries],
        organisation_ids=[o.public_id for o in organisations],
        disclosure="minimal",
    )


def _organisation_emails() -> list[OutgoingEmail]:
    return list(OutgoingEmail.objects.filter(kind=CHANGED).order_by("pk"))


def _message_id(message: mail.EmailMessage) -> str:
    return str(message.message()["Message-ID"])


def test_one_email_per_organisation_per_batch_of_events(django_capture_on_commit_callbacks: OnCommit) -> None:
    first, second = released_entry(), released_entry()
    account = account_for(first)
    LinkedEntry.objects.create(account=account, entry=second)
    madrid, lyon = listed("Universidad de Madrid"), listed("Lyon Institute", "France")

    with django_capture_on_commit_callbacks(execute=True):
        _send(account, [first, second], [madrid, lyon])

    assert DeliveryEvent.objects.count() == 4
    assert sorted(m.to[0] for m in mail.outbox) == ["lyon-institute@example.edu", "universidad-de-madrid@example.edu"]
    assert all(": 2 change(s) to the results candidates sent you." in m.body for m in mail.outbox)
    assert all("- Sent to you\n" in m.body for m in mail.outbox)

    # An amendment of one result delivered to both: one more email each.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _amend(Result.objects.get(entry=first))
    assert sorted(m.to[0] for m in mail.outbox) == ["lyon-institute@example.edu", "universidad-de-madrid@example.edu"]
    assert all(": 1 change(s) to the results candidates sent you." in m.body for m in mail.outbox)
    assert all("- Result amended\n" in m.body for m in mail.outbox)
    assert [(e.state, e.address) for e in _organisation_emails()] == [
        (State.SENT, "lyon-institute@example.edu"),
        (State.SENT, "universidad-de-madrid@example.edu"),
        (State.SENT, "lyon-institute@example.edu"),
        (State.SENT, "universidad-de-madrid@example.edu"),
    ]
    assert not DeliveryEvent.objects.filter(emailed_at__isnull=True).exists()


def test_a_result_event_dispatched_again_emails_nobody_twice(django_capture_on_commit_callbacks: OnCommit) -> None:
    from results.events import result_event_dispatch

    entry = released_entry()
    org = listed()
    _send(account_for(entry), [entry], [org])
    with django_capture_on_commit_callbacks(execute=True):
        result_hold(result=Result.objects.get(entry=entry), actor=None, reason="malpractice review")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        for event in ResultEvent.objects.all():
            ResultEvent.objects.filter(pk=event.pk).update(handled_at=None)
            result_event_dispatch(event_id=event.pk)

    assert mail.outbox == []
    assert OutgoingEmail.objects.filter(kind=CHANGED).count() == 2, "one for the sending, one for the hold"


def test_recording_events_costs_the_same_queries_for_one_organisation_or_five() -> None:
    def record(count: int) -> int:
        entry = released_entry()
        account = account_for(entry)
        organisations = [listed(f"University {count} {n}") for n in range(count)]
        chosen = [
            Delivery.objects.create(
                account=account,
                entry=entry,
                result=entry.result,
                organisation=org,
                organisation_name=org.name,
                disclosure="minimal",
                result_version=1,
                changed_at=timezone.now(),
            )
            for org in organisations
        ]
        with CaptureQueriesContext(connection) as queries:
            deliveries.delivery_events_record(deliveries=chosen, kind=DeliveryEvent.Kind.CREATED)
        assert OutgoingEmail.objects.filter(kind=CHANGED, user__in=[o.user for o in organisations]).count() == count
        return len(queries)

    assert record(1) == record(5)


def test_the_email_names_no_candidate_and_no_result_and_links_the_inbox(
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    entry = released_entry(person__first_name="Lucía", person__last_name="Vega")
    org = listed()
    with django_capture_on_commit_callbacks(execute=True):
        _send(account_for(entry), [entry], [org])

    (message,) = mail.outbox
    assert message.subject == "Results sent to your organisation have news"
    assert message.body == (
        "University of Testing: 1 change(s) to the results candidates sent you.\n"
        "\n- Sent to you\n\n"
        "Log in to see them in your inbox:\n"
        "http://127.0.0.1:8000/verify/organisations/inbox/\n\n"
        "This email names no candidate and no result: they are shown only after you log in.\n"
    )
    for private in ("Lucía", "Vega", entry.candidate_id, "Grade B", "B2", entry.session.exam.name):
        assert private not in message.body and private not in message.subject
    assert message.alternatives == []
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


@pytest.mark.parametrize(
    ("language", "subject", "first_line", "inbox"),
    [
        (
            "es",
            "Hay novedades en los resultados enviados a su organización",
            "Instituto Cervantes: 1 cambio(s) en los resultados que les han enviado los candidatos.",
            "http://127.0.0.1:8000/es/verify/organisations/inbox/",
        ),
        (
            "zh-hans",
            "发送给贵机构的成绩有新动态",
            "Instituto Cervantes：考生发送给您的成绩有 1 项变动。",
            "http://127.0.0.1:8000/zh-hans/verify/organisations/inbox/",
        ),
    ],
)
def test_the_email_is_in_the_language_the_organisation_registered_in(
    django_capture_on_commit_callbacks: OnCommit, language: str, subject: str, first_line: str, inbox: str
) -> None:
    with translation.override(language), django_capture_on_commit_callbacks(execute=True):
        registered = services.organisation_register(
            name="Instituto Cervantes", country="Spain", email="Admisiones@Cervantes.example", password=PASSWORD
        )
    assert registered is not None and registered.language == language
    VerifierOrganisation.objects.filter(pk=registered.pk).update(
        email_confirmed_at=timezone.now(), verified_at=timezone.now(), listed=True
    )
    entry = released_entry()
    mail.outbox.clear()

    # The candidate writes in English: the organisation still hears in its own language.
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        _send(account_for(entry, language="en"), [entry], [registered])

    (message,) = mail.outbox
    assert message.to == ["admisiones@cervantes.example"]
    assert message.subject == subject
    assert message.body.splitlines()[0] == first_line
    assert inbox in message.body.splitlines()
    assert message.extra_headers["Content-Language"] == language


def test_smtp_failing_then_recovering_sends_one_email_with_the_same_message_id(
    django_capture_on_commit_callbacks: OnCommit, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = released_entry()
    org = listed()
    attempts: list[str] = []
    original = locmem.EmailBackend.send_messages

    def down_once(self: locmem.EmailBackend, messages: Sequence[mail.EmailMessage]) -> int:
        attempts.append(_message_id(messages[0]))
        if len(attempts) == 1:
            raise smtplib.SMTPServerDisconnected("421 4.3.2 service not available, closing channel")
        return original(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", down_once)
    with django_capture_on_commit_callbacks(execute=True):
        _send(account_for(entry), [entry], [org])

    (email,) = _organisation_emails()
    assert (email.state, email.attempts, mail.outbox) == (State.QUEUED, 1, [])
    assert email.last_error == "SMTPServerDisconnected: 421 4.3.2 service not available, closing channel"

    outgoing_emails_send.delay(email_ids=[email.pk])  # the task's retry, 30 s later
    outgoing_emails_send.delay(email_ids=[email.pk])  # and the same message delivered twice by the broker

    expected = f"<results-email-{email.pk}@example.org>"
    assert attempts == [expected, expected]
    assert [(m.to, _message_id(m)) for m in mail.outbox] == [([org.email], expected)]
    email.refresh_from_db()
    assert (email.state, email.attempts) == (State.SENT, 2)


def test_a_task_never_queued_is_sent_once_by_the_recovery_job(
    django_capture_on_commit_callbacks: OnCommit, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = released_entry()
    org = listed()
    # What a web process whose broker is down does with the task: nothing reaches a worker (the real outage is
    # tests/faults/test_organisation_email_broker_down.py).
    with django_capture_on_commit_callbacks(execute=False):
        _send(account_for(entry), [entry], [org])
    (email,) = _organisation_emails()
    assert (email.state, email.attempts, mail.outbox) == (State.QUEUED, 0, [])

    with django_capture_on_commit_callbacks(execute=True):
        outgoing_emails_recover.delay()
    assert mail.outbox == [], "a row written less than 5 minutes ago may still have its task in the queue"

    OutgoingEmail.objects.filter(pk=email.pk).update(created_at=email.created_at - dt.timedelta(minutes=6))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            outgoing_emails_recover.delay()

    assert [(m.to, _message_id(m)) for m in mail.outbox] == [([org.email], f"<results-email-{email.pk}@example.org>")]
    assert OutgoingEmail.objects.get(pk=email.pk).state == State.SENT


def test_an_organisation_closed_before_the_email_goes_gets_none(django_capture_on_commit_callbacks: OnCommit) -> None:
    entry = released_entry()
    org = listed()
    with django_capture_on_commit_callbacks(execute=False):
        _send(account_for(entry), [entry], [org])
    org.user.is_active = False
    org.user.save(update_fields=["is_active"])
    (email,) = _organisation_emails()

    outgoing_emails_send.delay(email_ids=[email.pk])

    assert mail.outbox == []
    email.refresh_from_db()
    assert (email.state, email.last_error) == (State.FAILED, ERROR_ACCOUNT_CLOSED)
    # And a closed organisation is written no email at all.
    with django_capture_on_commit_callbacks(execute=True):
        _amend(Result.objects.get(entry=entry))
    assert len(_organisation_emails()) == 1
    assert DeliveryEvent.objects.filter(kind=DeliveryEvent.Kind.AMENDED, emailed_at__isnull=True).count() == 1


def test_a_task_queued_by_the_previous_release_writes_the_missing_emails_once(
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    first, second = released_entry(), released_entry()
    org = listed()
    _send(account_for(first), [first], [org])
    _send(account_for(second), [second], [org])
    # Events recorded before the outbox took these emails: no email row, not marked emailed.
    OutgoingEmail.objects.filter(kind=CHANGED).delete()
    DeliveryEvent.objects.update(emailed_at=None)
    mail.outbox.clear()
    event_ids = list(DeliveryEvent.objects.order_by("pk").values_list("pk", flat=True))

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            delivery_events_email.delay(event_ids=event_ids, language="en")

    (message,) = mail.outbox
    assert message.to == [org.email]
    assert message.body.startswith("University of Testing: 2 change(s) to the results candidates sent you.")
    assert not DeliveryEvent.objects.filter(emailed_at__isnull=True).exists()
