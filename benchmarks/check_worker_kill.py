"""Fault: the Celery worker is SIGKILLed in the middle of a 10 000-email release, then started again.

Proves that every candidate gets their "results released" email, and that the only duplicates are the
accepted edge of docs/decisions/0005-results-email-outbox.md: a message the SMTP server accepted in the instant
before its row was marked SENT, sent again with the same Message-ID (at most one per killed process).

Steps: release 10 000 results (× BENCH_SCALE, at least 1 000) with a real worker (prefork, one process per
core) sending to the SMTP sink; when about a third have arrived, SIGKILL the worker's whole process group
(main process and pool, as the OOM killer or a failed node does); start a new worker, which takes the tasks
still in the broker. The killed worker's claimed rows stay SENDING: the recovery job (beat, every 5 minutes)
requeues rows SENDING for more than 10 minutes, so the scenario runs ``outgoing_emails_recover`` with its clock
moved 11 minutes ahead instead of waiting (the tasks the dead worker held unacknowledged come back from Redis
only after the visibility timeout, an hour; the claim makes them no-ops). Then count at the sink.
"""

import collections
import datetime as dt
import os
import signal
import time

from .core import Check
from .data import RELEASE_COUNT, candidate_id
from .infra import RUN_DIR, celery_worker, free_port, portal_env, running, say, scaled, smtp_sink
from .smtp_sink import line_count

EMAILS = min(RELEASE_COUNT, scaled(10_000, minimum=1_000))


def _states() -> dict[str, int]:
    from django.db.models import Count

    from results.models import OutgoingEmail

    return dict(OutgoingEmail.objects.values_list("state").annotate(n=Count("id")).order_by())


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

    from results.emails import SENDING_STUCK_AFTER, outgoing_emails_dispatch, outgoing_emails_recover_stale
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
        try:
            released = results_release_due()
            _wait(lambda: line_count(str(sink_log)) >= EMAILS // 3, timeout=max(120, EMAILS / 20), what="a third sent")
            first.signal(signal.SIGKILL)
            at_kill = line_count(str(sink_log))
            stuck_ids = set(
                OutgoingEmail.objects.filter(state=OutgoingEmail.State.SENDING).values_list("pk", flat=True)
            )
            stuck = len(stuck_ids)
            say(f"worker kill: SIGKILL after {at_kill:,} of {EMAILS:,} emails; {stuck} rows left SENDING")
        finally:
            first.stop()
        with running(celery_worker(env=env, name="worker-restarted")):

            def only_the_dead_workers_rows_left() -> bool:
                # The recovery job below runs with its clock moved ahead: it must not see the new worker's rows.
                pending = OutgoingEmail.objects.exclude(
                    state__in=[OutgoingEmail.State.SENT, OutgoingEmail.State.FAILED]
                )
                return set(pending.values_list("pk", flat=True)) <= stuck_ids

            _wait(only_the_dead_workers_rows_left, timeout=max(180, EMAILS / 20), what="the queue drained")
            recovered = outgoing_emails_recover_stale(
                now=timezone.now() + SENDING_STUCK_AFTER + dt.timedelta(minutes=1)
            )
            outgoing_emails_dispatch(email_ids=recovered)
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
    detail = (
        f"{released:,} released; killed after {at_kill:,} emails with {stuck} rows SENDING; recovery requeued "
        f"{len(recovered)}; sink got {len(lines):,} messages for {len(by_recipient):,} candidates; missing "
        f"{len(missing)}; duplicates {len(duplicates)} ({'same Message-ID' if same_id else 'DIFFERENT Message-IDs'}"
        f"{': ' + ', '.join(sorted(duplicates))[:200] if duplicates else ''}); final states {states}"
    )
    say(f"worker kill: {detail}")
    passed = (
        not missing
        and same_id
        and len(duplicates) <= os.cpu_count()  # type: ignore[operator]
        and states.get(OutgoingEmail.State.SENT, 0) == EMAILS
    )
    return [Check(f"Celery worker SIGKILLed mid-release ({EMAILS:,} emails)", passed, detail)]
