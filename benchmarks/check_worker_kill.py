"""Fault: the Celery worker is SIGKILLed in the middle of a 10 000-email release, then started again.

Proves that every candidate gets their "results released" email, and that the only duplicates are the
accepted edge of docs/decisions/0005-results-email-outbox.md: messages the SMTP server accepted before their
rows were written down (each in the sent journal at once, then marked SENT in batches; the recovery job marks
what the journal holds), sent again with the same Message-ID (at most one per killed pool process).

Steps: release 10 000 results (× BENCH_SCALE, at least 1 000) with a real worker (``infra.celery_worker``)
sending to the SMTP sink; when about a third have arrived, SIGKILL the worker's whole process group
(main process and pool, as the OOM killer or a failed node does); start a new worker, which takes the tasks
still in the broker, until nothing changes; stop it. The killed worker's claimed rows stay SENDING, and the
rows of tasks it had received but not started stay QUEUED (Redis gives unacknowledged tasks back only after the
visibility timeout, an hour; the claim makes them no-ops then): the recovery job (beat, every 5 minutes)
requeues rows SENDING for more than 10 minutes and queues again rows QUEUED for more than 5, so the scenario
runs ``outgoing_emails_recover`` with its clock moved 11 minutes ahead instead of waiting, while no worker runs,
and starts a worker for what it queued. Then count at the sink.
"""

import collections
import datetime as dt
import os
import signal
import time
from collections.abc import Callable

from .core import Check
from .data import RELEASE_COUNT, candidate_id
from .infra import RUN_DIR, celery_worker, free_port, portal_env, running, say, scaled, smtp_sink
from .smtp_sink import line_count

EMAILS = min(RELEASE_COUNT, scaled(10_000, minimum=1_000))


def _states() -> dict[str, int]:
    from django.db.models import Count

    from results.models import OutgoingEmail

    return dict(OutgoingEmail.objects.values_list("state").annotate(n=Count("id")).order_by())


def _only_this_connection() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        (others,) = cursor.fetchone()  # type: ignore[misc]
    return others == 0


def _settled(stuck_ids: set[int]) -> Callable[[], bool]:
    """Return a condition: no row is SENDING but the dead worker's, and the rows left have not changed for 2 s."""
    from results.models import OutgoingEmail

    seen: list[tuple[float, set[int]]] = []

    def settled() -> bool:
        pending = OutgoingEmail.objects.exclude(state__in=[OutgoingEmail.State.SENT, OutgoingEmail.State.FAILED])
        sending = set(pending.filter(state=OutgoingEmail.State.SENDING).values_list("pk", flat=True))
        left = set(pending.values_list("pk", flat=True))
        if not sending <= stuck_ids or not seen or seen[-1][1] != left:
            seen[:] = [(time.monotonic(), left)]
            return False
        return time.monotonic() - seen[0][0] >= 2

    return settled


def _wait(condition: object, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.25)
    raise TimeoutError(f"{what} did not happen in {timeout:.0f} s (states {_states()})")


def run() -> list[Check]:
    """Run the scenario and return whether every candidate got exactly one email (or the accepted duplicate)."""
    from django.utils import timezone

    from results.emails import (
        SENDING_STUCK_AFTER,
        outgoing_emails_dispatch,
        outgoing_emails_recover_stale,
    )
    from results.models import OutgoingEmail, Result
    from results.services import results_release_due

    database = os.environ["BENCH_DATABASE"]
    Result.objects.filter(
        entry__candidate_id__startswith="REL", entry__candidate_id__gte=candidate_id("REL", EMAILS)
    ).update(released_at=timezone.now() + dt.timedelta(days=30))
    port = free_port()
    sink_log = RUN_DIR / "sink-worker-kill.log"
    env = portal_env(database=database, smtp_port=port)
    with running(smtp_sink(port=port, log_path=sink_log)):
        first = celery_worker(env=env, name="worker-killed")
        processes = int(first.args[first.args.index("--concurrency") + 1])
        try:
            released = results_release_due()
            _wait(lambda: line_count(str(sink_log)) >= EMAILS // 3, timeout=max(120, EMAILS / 20), what="a third sent")
            first.signal(signal.SIGKILL)
        finally:
            first.stop()
        # A statement the killed processes had already sent (a claim, a mark) still runs to its end: what they
        # left SENDING is known once PostgreSQL has closed their connections.
        _wait(_only_this_connection, timeout=30, what="the killed worker's connections closed")
        at_kill = line_count(str(sink_log))
        stuck_ids = set(OutgoingEmail.objects.filter(state=OutgoingEmail.State.SENDING).values_list("pk", flat=True))
        stuck = len(stuck_ids)
        say(f"worker kill: SIGKILL after {at_kill:,} of {EMAILS:,} emails; {stuck} rows left SENDING")
        with running(celery_worker(env=env, name="worker-restarted")):
            _wait(_settled(stuck_ids), timeout=max(180, EMAILS / 20), what="the new worker sent what it could")
        # No worker runs now, so the recovery job, its clock moved ahead, cannot take a row a live worker holds.
        # It requeues the rows left SENDING and queues again the rows left QUEUED because the dead worker held
        # their task messages without starting them (Redis gives those back only after an hour).
        recovered = outgoing_emails_recover_stale(now=timezone.now() + SENDING_STUCK_AFTER + dt.timedelta(minutes=1))
        outgoing_emails_dispatch(email_ids=recovered)
        with running(celery_worker(env=env, name="worker-after-recovery")):
            _wait(
                lambda: set(_states()) <= {OutgoingEmail.State.SENT, OutgoingEmail.State.FAILED},
                timeout=120,
                what="every email sent",
            )
            time.sleep(1)
    lines = [line.split("\t") for line in sink_log.read_text().splitlines()]
    by_recipient: dict[str, list[str]] = collections.defaultdict(list)
    for recipient, message_id in lines:
        by_recipient[recipient].append(message_id)
    expected = {f"{candidate_id('REL', n).lower()}@bench.example" for n in range(EMAILS)}
    missing = expected - set(by_recipient)
    duplicates = {r: ids for r, ids in by_recipient.items() if len(ids) > 1}
    same_id = all(len(set(ids)) == 1 for ids in duplicates.values())
    states = _states()
    extra = sum(len(ids) - 1 for ids in duplicates.values())
    bound = processes
    detail = (
        f"{released:,} released; killed {processes} processes after {at_kill:,} emails with {stuck} rows SENDING; "
        f"recovery requeued {len(recovered)}; sink got {len(lines):,} messages for {len(by_recipient):,} "
        f"candidates; missing {len(missing)}; {extra} sent again (at most {bound}) to {len(duplicates)} candidates "
        f"({'same Message-ID' if same_id else 'DIFFERENT Message-IDs'}"
        f"{': ' + ', '.join(sorted(duplicates))[:200] if duplicates else ''}); final states {states}"
    )
    say(f"worker kill: {detail}")
    passed = not missing and same_id and extra <= bound and states.get(OutgoingEmail.State.SENT, 0) == EMAILS
    return [Check(f"Celery worker SIGKILLed mid-release ({EMAILS:,} emails)", passed, detail)]
