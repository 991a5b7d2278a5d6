"""Delivery events become visible in the order of their ids, however the transactions that write them interleave.

The feed's cursor is an event id and each endpoint's webhooks go out in event id order, so an event must never
become visible after one with a higher id: an organisation that had read the higher one would have moved past
the lower one for good. These tests commit for real, on two connections: the first candidate's transaction has
written its event and waits before committing while a second candidate sends a result to the same organisation;
the organisation reads the feed (or a worker flushes the webhooks) in between, and again once both are done.
"""

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from conftest import close_thread_connections, wait_until
from results.tests.factories import account_for
from verification import deliveries, services, webhooks
from verification.models import Delivery, WebhookMessage
from verification.tests.conftest import released_entry
from verification.tests.test_deliveries import listed
from verification.tests.webhook_receiver import Receiver, webhook_receiver

# Committed for real: each writer has a connection of its own.
pytestmark = pytest.mark.django_db(transaction=True)


class Sender(threading.Thread):
    """A candidate's request that sends one result to an organisation, on a connection of its own.

    With ``hold``, the transaction waits for that event after it has written, before it commits.
    """

    def __init__(self, *, org: Any, hold: threading.Event | None = None) -> None:
        super().__init__(daemon=True)
        self.entry = released_entry()
        self.account = account_for(self.entry)
        self.org, self.hold = org, hold
        self.backend = 0
        self.written, self.done = threading.Event(), threading.Event()
        self.sent: list[Delivery] = []
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.backend = cursor.fetchone()[0]
            with transaction.atomic():
                self.sent = deliveries.deliveries_send(
                    account=self.account,
                    entry_ids=[self.entry.public_id],
                    organisation_ids=[self.org.public_id],
                    disclosure="minimal",
                )
                self.written.set()
                if self.hold is not None:
                    self.hold.wait(30)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.errors.append(error)
        finally:
            self.done.set()
            close_thread_connections()

    @property
    def delivery_id(self) -> str:
        (delivery,) = self.sent
        return str(delivery.public_id)


def _waits_for_a_lock(backend: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [backend])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def _committed_in_reverse(org: Any, *, between: Callable[[], None]) -> tuple[Sender, Sender]:
    """Run two sends to ``org`` whose events are written first, then second; call ``between`` after the second
    has committed or is waiting for the first, while the first has not committed yet; then let the first commit.
    """
    commit_first = threading.Event()
    first, second = Sender(org=org, hold=commit_first), Sender(org=org)
    first.start()
    try:
        wait_until(first.written.is_set, timeout=30, message="the first send never wrote its event")
        second.start()
        wait_until(
            lambda: second.done.is_set() or (second.backend and _waits_for_a_lock(second.backend)),
            timeout=30,
            message="the second send neither committed nor waited for the first",
        )
        between()
    finally:
        commit_first.set()
        first.join(30)
        if second.ident is not None:
            second.join(30)
    assert first.errors == [] and second.errors == []
    return first, second


def test_an_organisation_polling_between_two_commits_misses_no_event(client: Client) -> None:
    org = listed()
    _api_key, key = services.api_key_create(organisation=org, name="admissions")
    seen: list[dict[str, Any]] = []
    cursor = ["0"]

    def poll() -> None:
        page = client.get("/api/v1/deliveries", {"after": cursor[0]}, HTTP_AUTHORIZATION=f"Bearer {key}").json()
        seen.extend(page["events"])
        cursor[0] = page["next_cursor"]

    first, second = _committed_in_reverse(org, between=poll)
    poll()

    assert [(e["type"], e["delivery"]["id"]) for e in seen] == [
        ("delivery.created", first.delivery_id),
        ("delivery.created", second.delivery_id),
    ]
    assert [int(e["cursor"]) for e in seen] == sorted(int(e["cursor"]) for e in seen)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def test_webhooks_go_out_in_event_order_when_two_commits_interleave(receiver: Receiver) -> None:
    """The flushes queued after each commit and one run in between send every event once, in order."""
    org = listed()
    endpoint, receiver.secret = webhooks.webhook_endpoint_create(organisation=org, url=receiver.url)

    def flush() -> None:
        webhooks.webhook_endpoint_flush(endpoint_id=endpoint.pk)

    first, second = _committed_in_reverse(org, between=flush)
    flush()  # whatever a flush skipped while another one held the endpoint

    assert [body["data"]["delivery"]["id"] for body in receiver.unique()] == [first.delivery_id, second.delivery_id]
    assert receiver.bad_signatures == 0


def test_a_webhook_post_in_flight_holds_up_no_candidate_sending_a_result(receiver: Receiver) -> None:
    """The flush locks its endpoint for the length of a POST (up to 10 s); writing a message for it must not wait.

    Writers of delivery events take turns until they commit, so one held up by a slow receiver would hold up
    every candidate sending a result to any organisation.
    """
    org = listed()
    endpoint, receiver.secret = webhooks.webhook_endpoint_create(organisation=org, url=receiver.url)
    receiver.failing = True  # the first event waits for its retry, pending
    Sender(org=org).run()
    WebhookMessage.objects.update(next_attempt_at=None)
    receiver.failing, receiver.hang = False, threading.Event()
    receiver.arrived.clear()

    def flush() -> None:
        try:
            webhooks.webhook_endpoint_flush(endpoint_id=endpoint.pk)
        finally:
            close_thread_connections()

    flushing = threading.Thread(target=flush, daemon=True)
    flushing.start()
    second = Sender(org=org)
    try:
        wait_until(receiver.arrived.is_set, timeout=30, message="the flush's POST never reached the receiver")
        second.start()
        # Less than the POST's own timeout (10 s), after which the flush would let go of the endpoint anyway.
        wait_until(second.done.is_set, timeout=5, message="the send waited for the webhook POST in flight")
    finally:
        receiver.hang.set()
        flushing.join(30)
        if second.ident is not None:
            second.join(30)
    assert second.errors == []
    assert WebhookMessage.objects.count() == 2
