"""Signed webhooks to organisations: endpoints, the outbox of messages, signing and sending.

An organisation registers endpoints (HTTPS; http to 127.0.0.1/localhost only where ``WEBHOOKS_ALLOW_LOCALHOST``
allows it, for tests and development; never a private or loopback address otherwise, so the portal cannot be
made to call into its own network). Each endpoint has a secret (``whsec_…``) shown once and rotatable.

``delivery_events_record`` writes one ``WebhookMessage`` per event per live endpoint in its transaction (event ids
become visible in their order: docs/decisions/0017-delivery-events-in-id-order.md), and queues
``webhook_endpoint_flush`` after commit. The flush sends an endpoint's messages one at a time in event order,
over one kept-alive connection, each signed as Standard Webhooks says (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``: HMAC-SHA256 over ``id.timestamp.body``), each in a transaction that holds the endpoint's
row lock (``FOR NO KEY UPDATE``) so two workers never send to one endpoint at once. A message is marked SENT only
after a 2xx answer: a worker killed during the POST leaves it PENDING, and the next flush sends it again with the
same ``webhook-id`` (receivers deduplicate on it). A failed
POST stops the endpoint's queue (so events stay in order) until the message's next attempt, ``RETRY_DELAYS``
after each failure; a message still failing ``GIVE_UP_AFTER`` after it was written is marked FAILED and shown
in the organisation's area, and the queue moves on. The beat job ``webhooks_flush_due`` flushes every endpoint
with a message due, so a lost task message delays a webhook by a minute at most.
"""

import base64
import datetime as dt
import ipaddress
import json
import logging
import secrets
import socket
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from standardwebhooks.webhooks import Webhook

from accounts.sealing import seal, unseal

from .deliveries import deliveries_shown, event_json
from .models import Delivery, DeliveryEvent, VerifierOrganisation, WebhookEndpoint, WebhookMessage

logger = logging.getLogger(__name__)

State = WebhookMessage.State

# After the n-th failed attempt, the next one is RETRY_DELAYS[n-1] later (the last delay repeats): 30 s, 2 min,
# 10 min, 30 min, 1 h, 2 h, 4 h, 4 h… A failure after which the next attempt would come more than GIVE_UP_AFTER
# after the message was written marks it FAILED: 12 attempts, the last 23 h 42 min 30 s after the first.
RETRY_DELAYS = tuple(dt.timedelta(seconds=s) for s in (30, 120, 600, 1800, 3600, 7200, 14400))
GIVE_UP_AFTER = dt.timedelta(hours=24)
POST_TIMEOUT_SECONDS = 10
FLUSH_BATCH = 500
MAX_ENDPOINTS = 5
# Sent and failed outbox rows are kept this long (the webhooks page counts them), then deleted.
KEPT_DAYS = 30
USER_AGENT = "ResultsPortal-Webhooks/1"

URL_NOT_HTTPS = _("The address must start with https://.")
URL_NOT_PUBLIC = _("The address must be on the public internet: not a private, local or reserved address.")
URL_UNKNOWN_HOST = _("We could not find the server of this address. Check its name.")
TOO_MANY_ENDPOINTS = _("You can have at most %(count)s webhook addresses. Remove one first.")


def webhook_secret_new() -> str:
    """Return a new endpoint secret in the Standard Webhooks form: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _local_allowed(host: str) -> bool:
    return bool(settings.WEBHOOKS_ALLOW_LOCALHOST) and host in {"127.0.0.1", "localhost"}


def webhook_url_check(url: str) -> str:
    """Return the address webhooks to ``url`` go to; raise ``ValidationError`` unless it is HTTPS and public.

    Checked when an endpoint is registered and again before every POST (the name may point elsewhere later).
    The POST then connects to the address returned here, never resolving the name again, so a name that
    answers a public address to the check and a private one a moment later cannot turn the portal on its own
    network (DNS rebinding).
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    local = _local_allowed(host) and parts.scheme in {"http", "https"}
    if not local and (parts.scheme != "https" or not host):
        raise ValidationError(URL_NOT_HTTPS, code="not_https")
    try:
        addresses = [str(info[4][0]) for info in socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)]
    except (OSError, UnicodeError) as error:
        raise ValidationError(URL_UNKNOWN_HOST, code="unknown_host") from error
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not (ip.is_global or (local and ip.is_loopback)):
            raise ValidationError(URL_NOT_PUBLIC, code="not_public")
    return addresses[0]


@transaction.atomic
def webhook_endpoint_create(*, organisation: VerifierOrganisation, url: str) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for an organisation; return it and its secret, which is never shown again."""
    url = url.strip()
    webhook_url_check(url)
    live = WebhookEndpoint.objects.filter(organisation=organisation, removed_at__isnull=True).count()
    if live >= MAX_ENDPOINTS:
        raise ValidationError(TOO_MANY_ENDPOINTS % {"count": MAX_ENDPOINTS}, code="too_many")
    secret = webhook_secret_new()
    endpoint = WebhookEndpoint.objects.create(organisation=organisation, url=url, secret_sealed=seal(secret.encode()))
    return endpoint, secret


def _live_endpoint_locked(*, organisation: VerifierOrganisation, public_id: Any) -> WebhookEndpoint | None:
    """Return one of the organisation's live endpoints, locked for the caller's transaction, or None."""
    return (
        WebhookEndpoint.objects.select_for_update()
        .filter(organisation=organisation, public_id=public_id, removed_at__isnull=True)
        .first()
    )


@transaction.atomic
def webhook_endpoint_rotate(*, organisation: VerifierOrganisation, public_id: Any) -> str | None:
    """Give an endpoint a new secret at once (messages from now on are signed with it); return it, or None."""
    endpoint = _live_endpoint_locked(organisation=organisation, public_id=public_id)
    if endpoint is None:
        return None
    secret = webhook_secret_new()
    endpoint.secret_sealed = seal(secret.encode())
    endpoint.secret_rotated_at = timezone.now()
    endpoint.save(update_fields=["secret_sealed", "secret_rotated_at"])
    return secret


@transaction.atomic
def webhook_endpoint_remove(*, organisation: VerifierOrganisation, public_id: Any) -> bool:
    """Stop sending to an endpoint; its messages not sent yet are marked FAILED. Return whether one was removed."""
    endpoint = _live_endpoint_locked(organisation=organisation, public_id=public_id)
    if endpoint is None:
        return False
    endpoint.removed_at = timezone.now()
    endpoint.save(update_fields=["removed_at"])
    endpoint.messages.filter(state=State.PENDING).update(state=State.FAILED, last_error="The address was removed.")
    return True


def webhook_messages_create(*, events: Sequence[DeliveryEvent]) -> list[int]:
    """Write one outbox row per event per live endpoint of its organisation; return the endpoints' ids."""
    organisation_ids = {event.organisation_id for event in events}
    endpoints: dict[int, list[int]] = {}
    for endpoint_id, organisation_id in WebhookEndpoint.objects.filter(
        organisation_id__in=organisation_ids, removed_at__isnull=True
    ).values_list("pk", "organisation_id"):
        endpoints.setdefault(organisation_id, []).append(endpoint_id)
    rows = [
        WebhookMessage(endpoint_id=endpoint_id, event=event)
        for event in events
        for endpoint_id in endpoints.get(event.organisation_id, [])
    ]
    WebhookMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return sorted({row.endpoint_id for row in rows})


def webhooks_flush_queue(*, endpoint_ids: Iterable[int]) -> None:
    """Queue a flush of each of these endpoints (after commit: the caller's ``on_commit``)."""
    from .tasks import webhook_endpoint_flush_task

    for endpoint_id in endpoint_ids:
        webhook_endpoint_flush_task.delay(endpoint_id=endpoint_id)


# What ``deliveries_shown`` reads of a delivery: ``delivery_queryset`` without the organisation, since every table
# more in the join costs PostgreSQL planning time on each message (without it: 3.6 → 2.6 ms of its CPU a message).
PAYLOAD_RELATED = ("entry__person", "entry__session__exam", "entry__centre", "result")


def webhook_payload(*, event: DeliveryEvent, now: dt.datetime | None = None) -> bytes:
    """Return the JSON body of one event: its type, id and time, and the delivery as disclosed, read now.

    Read when sent, not when recorded: a result held in between is sent as held, never as it was.
    """
    delivery = Delivery.objects.select_related(*PAYLOAD_RELATED).get(pk=event.delivery_id)
    shown = deliveries_shown(deliveries=[delivery], now=now)[0]
    data = event_json(event, shown)
    body = {"type": event.kind, "timestamp": event.created_at.isoformat(), "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def webhook_headers(*, secret: str, message_id: str, body: bytes, at: dt.datetime) -> dict[str, str]:
    """Return the Standard Webhooks headers of one message: its id, the time and the signature."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


Post = Callable[[str, bytes, dict[str, str], str], int]


class _Poster:
    """POSTs messages, keeping one connection open per (address, port, scheme, host name) until ``close``.

    A flush sends an endpoint's messages one after another to the address each check returned (nearly always
    the same one), so the TCP connection, and the TLS session for https, is set up once per flush instead of
    once per message. The connection goes to that address while the TLS certificate is checked against the
    URL's host name and the Host header names it, as a normal request would. Redirects are not followed.
    """

    def __init__(self) -> None:
        self.pools: dict[tuple[str, int, str, str], urllib3.HTTPConnectionPool] = {}

    def __call__(self, url: str, body: bytes, headers: dict[str, str], address: str) -> int:
        parts = urlsplit(url)
        host = parts.hostname or ""
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (address, port, parts.scheme, host)
        pool = self.pools.get(key)
        if pool is None:
            timeout = urllib3.Timeout(total=POST_TIMEOUT_SECONDS)
            if parts.scheme == "https":
                pool = urllib3.HTTPSConnectionPool(
                    address,
                    port,
                    maxsize=1,
                    server_hostname=host,
                    assert_hostname=host,
                    ssl_context=ssl.create_default_context(),
                    timeout=timeout,
                    retries=False,
                )
            else:
                pool = urllib3.HTTPConnectionPool(address, port, maxsize=1, timeout=timeout, retries=False)
            self.pools[key] = pool
        answer = pool.urlopen(
            "POST", target, body=body, headers={**headers, "host": parts.netloc}, redirect=False, retries=False
        )
        return answer.status

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()
        self.pools.clear()


def _post(url: str, body: bytes, headers: dict[str, str], address: str) -> int:
    """POST one message to ``address`` (checked by ``webhook_url_check``) on a connection of its own."""
    poster = _Poster()
    try:
        return poster(url, body, headers, address)
    finally:
        poster.close()


def retry_delay(attempts: int) -> dt.timedelta:
    """Return how long to wait after the ``attempts``-th failed attempt."""
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


@dataclass(frozen=True)
class FlushOutcome:
    """What one flush did: messages sent and failed for good, and when to try again (None: nothing waits)."""

    sent: int = 0
    failed: int = 0
    retry_at: dt.datetime | None = None
    more: bool = False  # stopped after FLUSH_BATCH messages with more due: flush again at once


def webhook_endpoint_flush(
    *, endpoint_id: int, now: dt.datetime | None = None, post: Post | None = None
) -> FlushOutcome:
    """Send an endpoint's pending messages in event order until one fails or none is due.

    ``now`` is the clock of the retry schedule (tests move it); the signature's timestamp is always the real time.
    The messages go over one kept-alive connection (``post`` replaces the sending, for tests).
    """
    if post is not None:
        return _flush(endpoint_id=endpoint_id, now=now, post=post)
    poster = _Poster()
    try:
        return _flush(endpoint_id=endpoint_id, now=now, post=poster)
    finally:
        poster.close()


def _flush(*, endpoint_id: int, now: dt.datetime | None, post: Post) -> FlushOutcome:
    """Send up to ``FLUSH_BATCH`` messages, each in a transaction of its own that holds the endpoint's row lock."""
    sent = failed = 0
    for _n in range(FLUSH_BATCH):
        moment = now or timezone.now()
        with transaction.atomic():
            # FOR NO KEY UPDATE: another flush waits, but not a transaction writing a message for this endpoint
            # (its foreign key check takes KEY SHARE); it may hold the turn of the delivery events' writers.
            endpoint = (
                WebhookEndpoint.objects.select_for_update(skip_locked=True, no_key=True).filter(pk=endpoint_id).first()
            )
            if endpoint is None:  # another worker is flushing it (or it is gone)
                return FlushOutcome(sent, failed)
            message = (
                WebhookMessage.objects.select_for_update()
                .select_related("event")
                .filter(endpoint=endpoint, state=State.PENDING)
                .order_by("event_id")
                .first()
            )
            if message is None:
                return FlushOutcome(sent, failed)
            if message.next_attempt_at is not None and message.next_attempt_at > moment:
                return FlushOutcome(sent, failed, retry_at=message.next_attempt_at)
            error = _send(endpoint=endpoint, message=message, post=post)
            _commit_without_waiting_for_the_disk()
            message.attempts += 1
            if not error:
                message.state, message.sent_at, message.last_error = State.SENT, timezone.now(), ""
                message.save(update_fields=["state", "sent_at", "attempts", "last_error"])
                sent += 1
                continue
            message.last_error = error[:300]
            if moment + retry_delay(message.attempts) - message.created_at > GIVE_UP_AFTER:
                message.state = State.FAILED
                message.save(update_fields=["state", "attempts", "last_error"])
                logger.warning("Webhook message %s to endpoint %s failed for good: %s", message.pk, endpoint.pk, error)
                failed += 1
                continue
            message.next_attempt_at = moment + retry_delay(message.attempts)
            message.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            return FlushOutcome(sent, failed, retry_at=message.next_attempt_at)
    return FlushOutcome(sent, failed, retry_at=now or timezone.now(), more=True)


def _commit_without_waiting_for_the_disk() -> None:
    """Let this transaction's commit return before its WAL record is flushed to disk (this transaction only).

    What it commits is a message's mark after its POST: only a crash of the database server itself, within
    ``wal_writer_delay`` × 3 (600 ms by default), could lose it, and the message would then be sent again with
    the same ``webhook-id``, which receivers already skip (README, "Webhooks"). Safe behind PgBouncer's
    transaction pooling: the setting ends with the transaction.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('synchronous_commit', 'off', true)")


def _send(*, endpoint: WebhookEndpoint, message: WebhookMessage, post: Post) -> str:
    """POST one message to its endpoint; return '' when the endpoint answered 2xx, else what went wrong."""
    try:
        address = webhook_url_check(endpoint.url)
    except ValidationError as error:
        return " ".join(str(m) for m in error.messages)
    body = webhook_payload(event=message.event)
    message_id = f"msg_{message.event.public_id.hex}"
    secret = unseal(endpoint.secret_sealed).decode()
    headers = webhook_headers(secret=secret, message_id=message_id, body=body, at=timezone.now())
    try:
        status = post(endpoint.url, body, headers, address)
    except (OSError, urllib3.exceptions.HTTPError) as error:
        return f"{type(error).__name__}: {error}"
    if 200 <= status < 300:
        return ""
    return f"HTTP {status}"


def webhooks_due(*, now: dt.datetime | None = None) -> list[int]:
    """Return the endpoints with a pending message whose attempt is due (the beat job flushes them)."""
    moment = now or timezone.now()
    return sorted(
        set(
            WebhookMessage.objects.filter(state=State.PENDING, endpoint__removed_at__isnull=True)
            .exclude(next_attempt_at__gt=moment)
            .values_list("endpoint_id", flat=True)
        )
    )


def organisation_endpoints(*, organisation: VerifierOrganisation) -> list[tuple[WebhookEndpoint, dict[str, int]]]:
    """Return an organisation's live endpoints with their messages counted by state, in two queries."""
    endpoints = list(WebhookEndpoint.objects.filter(organisation=organisation, removed_at__isnull=True))
    counts: dict[int, dict[str, int]] = {e.pk: {} for e in endpoints}
    from django.db.models import Count

    for endpoint_id, state, count in (
        WebhookMessage.objects.filter(endpoint__in=endpoints)
        .values_list("endpoint_id", "state")
        .annotate(n=Count("pk"))
        .values_list("endpoint_id", "state", "n")
    ):
        counts[endpoint_id][state] = count
    return [(e, counts[e.pk]) for e in endpoints]


def organisation_failed_messages(*, organisation: VerifierOrganisation) -> list[WebhookMessage]:
    """Return the organisation's webhook messages that failed for good, newest first (at most 50)."""
    return list(
        WebhookMessage.objects.filter(endpoint__organisation=organisation, state=State.FAILED)
        .select_related("endpoint", "event__delivery")
        .order_by("-event_id")[:50]
    )


def webhook_messages_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the outbox rows sent or failed more than ``KEPT_DAYS`` ago; return how many. Pending rows stay."""
    before = (now or timezone.now()) - dt.timedelta(days=KEPT_DAYS)
    deleted, _by_model = WebhookMessage.objects.exclude(state=State.PENDING).filter(created_at__lt=before).delete()
    return deleted
