"""Webhooks: delivery events → outbox → Celery → a local receiver that checks every signature — against urllib3.

Ours: ``EVENTS`` delivery events (10 000) for ``ENDPOINTS`` organisations (20), one endpoint each, are recorded
in one transaction by ``verification.deliveries.delivery_events_record`` (what the dispatch of an amendment to
every organisation that received the result does): the events, one ``WebhookMessage`` per event, and, after
commit, one flush task per endpoint. A real Celery worker (``infra.celery_worker``, the
``celery`` and ``webhooks`` queues) sends each endpoint's messages in order (``webhook_endpoint_flush``), each
signed, to a receiver on 127.0.0.1 (``benchmarks/webhook_receiver.py``, a separate process) that checks every
signature with the ``standardwebhooks`` library. Timed from the commit to the last event accepted; then every
event must have arrived once, in event order per endpoint, and every message be marked SENT.

The floor: one process POSTing the same signed bodies (built by ``webhook_payload`` and ``webhook_headers``
before the clock starts) with urllib3 to the same receiver, endpoint after endpoint, each endpoint over one
kept-alive connection; in four rounds of a quarter of the events, the fastest round kept (one process on a
shared machine is easily slowed).
"""

import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import urllib3

from .core import Figure
from .data import PAGE_USERS, candidate_id
from .infra import ROOT, RUN_DIR, Service, celery_worker, free_port, portal_env, running, say, scaled, wait_port
from .smtp_sink import line_count

EVENTS = scaled(10_000, minimum=200)
ENDPOINTS = 20


def webhook_receiver(*, port: int, secrets: Path, log_path: Path) -> Service:
    """Start the receiver (benchmarks/webhook_receiver.py) on 127.0.0.1:``port``."""
    log_path.unlink(missing_ok=True)
    Path(f"{log_path}.refused").unlink(missing_ok=True)
    service = Service(
        "webhook-receiver",
        [
            sys.executable,
            "-m",
            "benchmarks.webhook_receiver",
            "--port",
            str(port),
            "--secrets",
            str(secrets),
            "--log",
            str(log_path),
        ],
        {**os.environ, "PYTHONPATH": str(ROOT)},
        RUN_DIR / "logs" / f"webhook-receiver-{port}.log",
    ).start()
    wait_port(port, process=service)
    return service


def organisations_with_endpoints(*, port: int) -> list[tuple[Any, Any, str]]:
    """Make ``ENDPOINTS`` vetted, listed organisations, each with one endpoint at the receiver; return
    (organisation, endpoint, secret) for each."""
    from django.utils import timezone

    from accounts.models import User
    from verification.models import VerifierOrganisation
    from verification.webhooks import webhook_endpoint_create

    made = []
    now = timezone.now()
    for n in range(ENDPOINTS):
        email = f"admissions-{n}@bench-university.example"
        organisation = VerifierOrganisation.objects.create(
            user=User.objects.create(username=f"verifier-{email}", email=email),
            name=f"Benchmark University {n}",
            country="Spain",
            email=email,
            email_confirmed_at=now,
            verified_at=now,
            listed=True,
            kind="university",
        )
        endpoint, secret = webhook_endpoint_create(organisation=organisation, url=f"http://127.0.0.1:{port}/hooks/{n}")
        made.append((organisation, endpoint, secret))
    return made


def deliveries_to_every_organisation(organisations: list[Any]) -> list[Any]:
    """Send each of the first ``EVENTS / ENDPOINTS`` candidates' result (released, with its skills) to every
    organisation, full disclosure: ``EVENTS`` deliveries, written as rows (their events are what is measured)."""
    from django.utils import timezone

    from candidates.models import LinkedEntry
    from results.models import Result
    from verification.models import Delivery

    count = EVENTS // ENDPOINTS
    if count > PAGE_USERS:
        raise RuntimeError(f"{count} candidates asked for, only the first {PAGE_USERS} have skill scores")
    ids = [candidate_id("REL", n) for n in range(count)]
    Result.objects.filter(entry__candidate_id__in=ids).update(status=Result.Status.RELEASED)
    links = list(
        LinkedEntry.objects.filter(entry__candidate_id__in=ids).select_related("entry__result").order_by("entry_id")
    )
    now = timezone.now()
    return Delivery.objects.bulk_create(
        Delivery(
            account_id=link.account_id,
            entry=link.entry,
            result=link.entry.result,
            organisation=organisation,
            organisation_name=organisation.name,
            disclosure=Delivery.Disclosure.FULL,
            result_version=link.entry.result.version,
            changed_at=now,
        )
        for organisation in organisations
        for link in links
    )


def wait_for_lines(log_path: Path, expected: int, *, timeout: float, worker: Service) -> float:
    """Wait until the receiver has accepted ``expected`` messages; return when (perf_counter)."""
    deadline = time.perf_counter() + timeout
    last = -1
    while time.perf_counter() < deadline:
        count = line_count(str(log_path))
        if count >= expected:
            return time.perf_counter()
        if not worker.alive():
            raise RuntimeError(f"the worker stopped:\n{worker.log_tail()}")
        if count // 2_000 != last // 2_000:
            say(f"webhooks: {count:,} of {expected:,} at the receiver")
        last = count
        time.sleep(0.05)
    raise TimeoutError(f"only {line_count(str(log_path)):,} of {expected:,} events reached the receiver")


def received_in_order(log_path: Path) -> tuple[int, int]:
    """Return how many distinct events the receiver accepted, and how many came before an earlier one of theirs."""
    last: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    out_of_order = 0
    for line in log_path.read_text().splitlines():
        path, message_id, cursor = line.split("\t")
        if (path, message_id) in seen:
            continue
        seen.add((path, message_id))
        if int(cursor) < last.get(path, 0):
            out_of_order += 1
        last[path] = int(cursor)
    return len(seen), out_of_order


def signed_messages(made: list[tuple[Any, Any, str]], *, per_endpoint: int) -> list[tuple[str, bytes, dict[str, str]]]:
    """Return the first ``per_endpoint`` messages of each endpoint as the worker POSTs them: path, body, headers."""
    from django.utils import timezone

    from verification.models import WebhookMessage
    from verification.webhooks import webhook_headers, webhook_payload

    messages = []
    for _organisation, endpoint, secret in made:
        path = urlsplit(endpoint.url).path
        for message in (
            WebhookMessage.objects.filter(endpoint=endpoint)
            .select_related("event")
            .order_by("event_id")[:per_endpoint]
        ):
            body = webhook_payload(event=message.event)
            message_id = f"msg_{message.event.public_id.hex}"
            headers = webhook_headers(secret=secret, message_id=message_id, body=body, at=timezone.now())
            messages.append((path, body, headers))
    return messages


def urllib3_posts(*, port: int, messages: list[tuple[str, bytes, dict[str, str]]], pools: dict[str, Any]) -> float:
    """Return how long urllib3 takes to POST these messages, each endpoint over its own kept-alive connection."""
    started = time.perf_counter()
    for path, body, headers in messages:
        if path not in pools:
            pools[path] = urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1, retries=False)
        answer = pools[path].urlopen("POST", path, body=body, headers=headers, redirect=False, retries=False)
        if answer.status != 204:
            raise RuntimeError(f"the receiver answered {answer.status} to the floor's POST to {path}")
    return time.perf_counter() - started


def run() -> list[Figure]:
    """Record the events, time the worker's webhooks to the receiver; then time urllib3 for the same bodies."""
    from django.db import transaction

    from verification.deliveries import delivery_events_record
    from verification.models import DeliveryEvent, WebhookMessage

    database = os.environ["BENCH_DATABASE"]
    port = free_port()
    received = RUN_DIR / "webhooks-received.log"
    secrets = RUN_DIR / "webhook-secrets.json"
    made = organisations_with_endpoints(port=port)
    secrets.parent.mkdir(parents=True, exist_ok=True)
    secrets.write_text(json.dumps({f"/hooks/{n}": secret for n, (_o, _e, secret) in enumerate(made)}))
    deliveries = deliveries_to_every_organisation([organisation for organisation, _e, _s in made])
    with running(webhook_receiver(port=port, secrets=secrets, log_path=received)):
        worker_env = portal_env(database=database)
        with running(celery_worker(env=worker_env, queues="celery,webhooks", name="webhooks-worker")) as worker:
            recording = time.perf_counter()
            with transaction.atomic():
                events = delivery_events_record(deliveries=deliveries, kind=DeliveryEvent.Kind.CREATED)
                started = time.perf_counter()  # the commit, then the flush tasks queued after it
            say(f"webhooks: {len(events):,} events and their messages recorded in {started - recording:.2f} s")
            finished = wait_for_lines(received, len(events), timeout=300, worker=worker)
            unsent = WebhookMessage.objects.exclude(state=WebhookMessage.State.SENT)
            deadline = time.perf_counter() + 30  # the last POSTs are answered before their rows are marked
            while unsent.exists() and time.perf_counter() < deadline:
                time.sleep(0.05)
            processes = worker.args[worker.args.index("--concurrency") + 1]
        ours_seconds = finished - started
        distinct, out_of_order = received_in_order(received)
        refused = line_count(f"{received}.refused")
        if len(events) != EVENTS or distinct != EVENTS or out_of_order or refused or unsent.exists():
            raise RuntimeError(
                f"{len(events)} events recorded for {EVENTS}; the receiver accepted {distinct} distinct, "
                f"{out_of_order} out of order, refused {refused}; {unsent.count()} messages not marked sent"
            )
        twice = line_count(str(received)) - EVENTS
        say(f"webhooks: ours {EVENTS / ours_seconds:,.0f}/s ({ours_seconds:.1f} s), {twice} sent twice")

        per_endpoint = EVENTS // ENDPOINTS // 4
        messages = signed_messages(made, per_endpoint=per_endpoint)
        before = line_count(str(received))
        pools: dict[str, Any] = {}
        rounds = [urllib3_posts(port=port, messages=messages, pools=pools) for _ in range(4)]
        for pool in pools.values():
            pool.close()
        if line_count(str(received)) - before != 4 * len(messages):
            raise RuntimeError("the receiver did not accept every POST of the floor")
    floor_seconds = min(rounds) * EVENTS / len(messages)
    ours, floor = EVENTS / ours_seconds, EVENTS / floor_seconds
    size = sum(len(body) for _p, body, _h in messages) // len(messages)
    say(f"webhooks: floor {floor:,.0f}/s (rounds {', '.join(f'{r:.2f}' for r in rounds)} s), bodies {size:,} bytes")
    return [
        Figure(
            f"{EVENTS:,} delivery events → webhook outbox → Celery ({processes} processes) → receiver checking "
            f"signatures, {ENDPOINTS} endpoints, events/s",
            "/s",
            ours,
            floor,
        )
    ]
