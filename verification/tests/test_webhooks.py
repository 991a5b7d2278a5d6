"""Signed webhooks, end to end: a real HTTP receiver on 127.0.0.1 that checks every signature with the
``standardwebhooks`` library gets each event once, in order per delivery, through failures and recovery."""

import datetime as dt
import socket
import sys
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from results.events import result_event_record
from results.models import Result, ResultEvent
from results.services import result_hold, result_unhold
from results.tests.factories import account_for
from verification import deliveries, webhooks
from verification.models import WebhookMessage
from verification.tests.conftest import released_entry
from verification.tests.test_deliveries import listed
from verification.tests.webhook_receiver import Receiver, webhook_receiver

pytestmark = pytest.mark.django_db

OnCommit = Callable[..., Any]
State = WebhookMessage.State


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def _endpoint(org: Any, receiver: Receiver) -> Any:
    endpoint, secret = webhooks.webhook_endpoint_create(organisation=org, url=receiver.url)
    receiver.secret = secret
    return endpoint


def _send(org: Any, entry: Any, disclosure: str) -> None:
    deliveries.deliveries_send(
        account=account_for(entry),
        entry_ids=[entry.public_id],
        organisation_ids=[org.public_id],
        disclosure=disclosure,
    )


def _amend(result: Result) -> None:
    Result.objects.filter(pk=result.pk).update(version=result.version + 1, amended_at=timezone.now(), grade="Grade A")
    result_event_record(kind=ResultEvent.Kind.AMENDED, result_ids=[result.pk])


def _journey(account: Any, entry: Any, org: Any, on_commit: OnCommit) -> Any:
    """Send, amend, hold, release again, withdraw: the five events, in this order, each committed."""
    with on_commit(execute=True):
        (delivery,) = deliveries.deliveries_send(
            account=account, entry_ids=[entry.public_id], organisation_ids=[org.public_id], disclosure="minimal"
        )
    result = Result.objects.get(entry=entry)
    with on_commit(execute=True):
        _amend(result)
    with on_commit(execute=True):
        result_hold(result=result, actor=None, reason="review")
    with on_commit(execute=True):
        result_unhold(result=result, actor=None, reason="cleared")
    with on_commit(execute=True):
        deliveries.delivery_withdraw(account=account, public_id=delivery.public_id)
    return delivery


EVERY_EVENT = [
    "delivery.created",
    "result.amended",
    "result.held",
    "result.released_again",
    "delivery.withdrawn",
]


def test_every_event_arrives_once_signed_in_order(
    receiver: Receiver, django_capture_on_commit_callbacks: OnCommit
) -> None:
    org = listed()
    _endpoint(org, receiver)
    entry = released_entry()
    delivery = _journey(account_for(entry), entry, org, django_capture_on_commit_callbacks)

    assert receiver.types() == EVERY_EVENT
    assert len(receiver.received) == 5 and receiver.bad_signatures == 0
    assert {body["data"]["delivery"]["id"] for body in receiver.unique()} == {str(delivery.public_id)}
    assert not WebhookMessage.objects.exclude(state=State.SENT).exists()


def test_the_payload_carries_only_what_was_disclosed(
    receiver: Receiver, django_capture_on_commit_callbacks: OnCommit
) -> None:
    org = listed()
    _endpoint(org, receiver)
    entry = released_entry(person__first_name="Noor", person__last_name="Haddad")
    with django_capture_on_commit_callbacks(execute=True):
        _send(org, entry, "minimal")
    (body,) = receiver.unique()
    sent = body["data"]["delivery"]
    assert sent["candidate"] == {"name": "Noor Haddad"}
    assert set(sent["result"]) == {"exam_code", "exam_name", "session_date", "result", "cefr_level", "amended_at"}
    assert entry.candidate_id not in str(body) and str(entry.person.date_of_birth) not in str(body)


def test_a_receiver_down_for_hours_gets_every_event_in_order_once_it_recovers(
    receiver: Receiver, django_capture_on_commit_callbacks: OnCommit
) -> None:
    org = listed()
    endpoint = _endpoint(org, receiver)
    entries = [released_entry() for _ in range(2)]
    receiver.failing = True
    for entry in entries:
        _journey(account_for(entry), entry, org, django_capture_on_commit_callbacks)
    assert receiver.refused == 1, "the first failure stops the endpoint's queue until its retry"
    assert receiver.received == []

    # The retries follow the schedule; nothing is sent before a retry is due, nothing out of order.
    moment = timezone.now()
    for _ in range(5):
        outcome = webhooks.webhook_endpoint_flush(endpoint_id=endpoint.pk, now=moment)
        assert outcome.sent == 0 and outcome.retry_at is not None
        assert webhooks.webhook_endpoint_flush(endpoint_id=endpoint.pk, now=moment).retry_at == outcome.retry_at
        moment = outcome.retry_at
    head = WebhookMessage.objects.order_by("event_id").first()
    assert head is not None and head.attempts == 5
    assert receiver.refused == 5

    receiver.failing = False
    outcome = webhooks.webhook_endpoint_flush(endpoint_id=endpoint.pk, now=moment)
    assert outcome.sent == 10 and outcome.retry_at is None
    assert receiver.bad_signatures == 0
    per_delivery: dict[str, list[str]] = {}
    for body in receiver.unique():
        per_delivery.setdefault(body["data"]["delivery"]["id"], []).append(body["type"])
    assert list(per_delivery.values()) == [EVERY_EVENT, EVERY_EVENT]
    assert len(receiver.received) == 10


def test_after_24_hours_a_message_fails_for_good_and_the_queue_moves_on(
    receiver: Receiver, django_capture_on_commit_callbacks: OnCommit
) -> None:
    org = listed()
    endpoint = _endpoint(org, receiver)
    receiver.failing = True
    entry = released_entry()
    with django_capture_on_commit_callbacks(execute=True):
        _send(org, entry, "full")
    later = timezone.now() + webhooks.GIVE_UP_AFTER + dt.timedelta(minutes=1)
    outcome = webhooks.webhook_endpoint_flush(endpoint_id=endpoint.pk, now=later)
    assert outcome.failed == 1
    (failed,) = webhooks.organisation_failed_messages(organisation=org)
    assert failed.last_error == "HTTP 503" and failed.state == State.FAILED


def test_a_failing_message_is_tried_12_times_over_24_hours_then_failed(
    receiver: Receiver, django_capture_on_commit_callbacks: OnCommit
) -> None:
    org = listed()
    endpoint = _endpoint(org, receiver)
    receiver.failing = True
    entry = released_entry()
    with django_capture_on_commit_callbacks(execute=True):
        _send(org, entry, "full")
    message = WebhookMessage.objects.get()
    start = message.created_at
    attempts = [dt.timedelta(0)]  # the first, after commit
    moment = message.next_attempt_at
    while moment is not None:
        attempts.append(moment - start)
        moment = webhooks.webhook_endpoint_flush(endpoint_id=endpoint.pk, now=moment).retry_at
    seconds = [round(a.total_seconds()) for a in attempts]
    assert [s - seconds[1] + 30 for s in seconds[1:]] == [
        30,
        150,
        750,
        2550,
        6150,
        13350,
        27750,
        42150,
        56550,
        70950,
        85350,
    ]
    message.refresh_from_db()
    assert (message.state, message.attempts, receiver.refused) == (State.FAILED, 12, 12)


def test_a_post_that_dies_midway_leaves_the_message_pending(
    receiver: Receiver, django_capture_on_commit_callbacks: OnCommit
) -> None:
    """What a killed worker leaves: the POST reached the receiver, the row was never marked sent."""
    org = listed()
    endpoint = _endpoint(org, receiver)
    entry = released_entry()
    with django_capture_on_commit_callbacks(execute=False):
        _send(org, entry, "minimal")

    def dies(url: str, body: bytes, headers: dict[str, str], address: str) -> int:
        webhooks._post(url, body, headers, address)
        raise SystemExit("worker killed")

    with pytest.raises(SystemExit):
        webhooks.webhook_endpoint_flush(endpoint_id=endpoint.pk, post=dies)
    assert WebhookMessage.objects.get().state == State.PENDING
    assert webhooks.webhooks_due() == [endpoint.pk]

    webhooks.webhook_endpoint_flush(endpoint_id=endpoint.pk)
    assert len(receiver.received) == 2, "sent again with the same webhook-id"
    assert receiver.types() == ["delivery.created"]


def test_a_rotated_secret_signs_from_then_on(receiver: Receiver, django_capture_on_commit_callbacks: OnCommit) -> None:
    org = listed()
    endpoint = _endpoint(org, receiver)
    old = receiver.secret
    receiver.secret = webhooks.webhook_endpoint_rotate(organisation=org, public_id=endpoint.public_id) or ""
    assert receiver.secret.startswith("whsec_") and receiver.secret != old
    entry = released_entry()
    with django_capture_on_commit_callbacks(execute=True):
        _send(org, entry, "minimal")
    assert receiver.types() == ["delivery.created"] and receiver.bad_signatures == 0


def test_another_organisation_cannot_rotate_or_remove_an_endpoint(receiver: Receiver) -> None:
    endpoint = _endpoint(listed(), receiver)
    other = listed("Other University")
    assert webhooks.webhook_endpoint_rotate(organisation=other, public_id=endpoint.public_id) is None
    assert not webhooks.webhook_endpoint_remove(organisation=other, public_id=endpoint.public_id)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://example.org/hooks", "not_https"),
        ("ftp://example.org/hooks", "not_https"),
        ("https://127.0.0.1/hooks", "not_public"),
        ("https://10.0.0.8/hooks", "not_public"),
        ("https://[::1]/hooks", "not_public"),
        ("https://169.254.169.254/latest", "not_public"),
        ("https://no-such-host.invalid/hooks", "unknown_host"),
    ],
)
def test_production_refuses_plain_http_and_private_addresses(url: str, code: str) -> None:
    with override_settings(WEBHOOKS_ALLOW_LOCALHOST=False), pytest.raises(ValidationError) as refused:
        webhooks.webhook_url_check(url)
    assert refused.value.code == code


def test_localhost_is_refused_in_production_even_over_http() -> None:
    with override_settings(WEBHOOKS_ALLOW_LOCALHOST=False), pytest.raises(ValidationError):
        webhooks.webhook_url_check("http://localhost:8080/hooks")


def test_sending_costs_the_same_queries_per_message_for_few_and_many(receiver: Receiver) -> None:
    org = listed()
    endpoint = _endpoint(org, receiver)

    def flush_queries(n: int) -> int:
        for _ in range(n):
            _send(org, released_entry(), "full")
        with CaptureQueriesContext(connection) as queries:
            assert webhooks.webhook_endpoint_flush(endpoint_id=endpoint.pk).sent == n
        return len(queries)

    one, two, four = flush_queries(1), flush_queries(2), flush_queries(4)
    assert four - two == 2 * (two - one), "the same number of queries for each message"


def test_sent_messages_are_purged_after_30_days_pending_ones_never(
    receiver: Receiver, django_capture_on_commit_callbacks: OnCommit
) -> None:
    org = listed()
    endpoint = _endpoint(org, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        _send(org, released_entry(), "minimal")
    receiver.failing = True
    with django_capture_on_commit_callbacks(execute=True):
        _send(org, released_entry(), "minimal")
    assert sorted(WebhookMessage.objects.values_list("state", flat=True)) == [State.PENDING, State.SENT]

    assert webhooks.webhook_messages_purge(now=timezone.now() + dt.timedelta(days=29)) == 0
    assert webhooks.webhook_messages_purge(now=timezone.now() + dt.timedelta(days=31)) == 1
    assert list(WebhookMessage.objects.values_list("state", flat=True)) == [State.PENDING]
    assert webhooks.webhooks_due(now=timezone.now() + dt.timedelta(days=31)) == [endpoint.pk]


def test_an_organisation_email_names_no_candidate_and_no_result(
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    from django.core import mail

    org = listed()
    entry = released_entry(person__first_name="Olga", person__last_name="Petrova")
    with django_capture_on_commit_callbacks(execute=True):
        _send(org, entry, "full")
    with django_capture_on_commit_callbacks(execute=True):
        result_hold(result=Result.objects.get(entry=entry), actor=None, reason="review")
    bodies = [m.body for m in mail.outbox if m.to == [org.email]]
    assert len(bodies) == 2
    assert "Sent to you" in bodies[0] and "Result held for review" in bodies[1]
    for body in bodies:
        assert "Petrova" not in body and entry.candidate_id not in body and "Grade" not in body


def test_the_post_goes_to_the_address_checked_never_resolving_the_name_again(
    receiver: Receiver, django_capture_on_commit_callbacks: OnCommit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: a name that answers an allowed address to the check and another one a moment later."""
    org = listed()
    receiver.url = receiver.url.replace("127.0.0.1", "localhost")
    endpoint = _endpoint(org, receiver)
    with django_capture_on_commit_callbacks(execute=False):
        _send(org, released_entry(), "minimal")
    real_getaddrinfo = socket.getaddrinfo
    answers: list[str] = []

    def rebinding(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        """The check's lookup of the name gets the allowed address; any other lookup gets another one."""
        if host != "localhost":  # an address given as such is looked at, not looked up
            return real_getaddrinfo(host, port, *args, **kwargs)
        frame, by_check = sys._getframe(1), False
        while frame is not None and not by_check:
            by_check, frame = frame.f_code is webhooks.webhook_url_check.__code__, frame.f_back  # type: ignore[assignment]
        address = "127.0.0.1" if by_check else "10.255.255.1"
        answers.append(address)
        return real_getaddrinfo(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    assert webhooks.webhook_endpoint_flush(endpoint_id=endpoint.pk).sent == 1
    assert answers == ["127.0.0.1"]  # looked up once, by the check
    assert len(receiver.unique()) == 1
    assert receiver.hosts == [urlsplit(receiver.url).netloc]  # the name, as the endpoint's server expects it


def test_one_flush_sends_over_one_connection_and_marks_without_waiting_for_the_disk(
    receiver: Receiver, django_capture_on_commit_callbacks: OnCommit
) -> None:
    org = listed()
    endpoint = _endpoint(org, receiver)
    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(3):
            _send(org, released_entry(), "minimal")

    with CaptureQueriesContext(connection) as queries:
        assert webhooks.webhook_endpoint_flush(endpoint_id=endpoint.pk).sent == 3

    assert len(receiver.unique()) == 3 and len(receiver.connections) == 1
    marks = [q["sql"] for q in queries.captured_queries if "synchronous_commit" in q["sql"]]
    assert marks == ["SELECT set_config('synchronous_commit', 'off', true)"] * 3


def test_a_flush_that_stops_at_its_batch_size_queues_the_next_at_once(
    receiver: Receiver, django_capture_on_commit_callbacks: OnCommit, monkeypatch: pytest.MonkeyPatch
) -> None:
    from verification.tasks import webhook_endpoint_flush_task

    org = listed()
    endpoint = _endpoint(org, receiver)
    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(5):
            _send(org, released_entry(), "minimal")
    monkeypatch.setattr(webhooks, "FLUSH_BATCH", 2)

    webhook_endpoint_flush_task.delay(endpoint_id=endpoint.pk)

    assert receiver.types() == ["delivery.created"] * 5
    assert not WebhookMessage.objects.exclude(state=State.SENT).exists()
