"""Fault: the process sending webhooks is killed (SIGKILL) while its POST is at the receiver."""

import os
import signal
import subprocess
import sys
import threading

from django.db import connection

from benchmarks.infra import ROOT
from conftest import wait_until

from .conftest import FAULTS_DB, database_url


def _backends(application_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return int(cursor.fetchone()[0])


@FAULTS_DB
def test_a_worker_killed_during_a_post_loses_no_event() -> None:
    """Prove that a message stays PENDING until its POST succeeded, so a killed worker loses nothing.

    A real receiver on 127.0.0.1 holds the first POST open; the sending process (``webhook_endpoint_flush``, the
    task's body, in a process of its own on the test database) is killed with SIGKILL meanwhile. PostgreSQL
    rolls its transaction back: the message is still pending, and the next flush sends it, with the same
    ``webhook-id``, and the events after it, in order.
    """
    from results.tests.factories import account_for
    from verification import deliveries, webhooks
    from verification.models import WebhookMessage
    from verification.tests.conftest import released_entry
    from verification.tests.test_deliveries import listed
    from verification.tests.webhook_receiver import webhook_receiver

    with webhook_receiver() as receiver:
        org = listed()
        endpoint, receiver.secret = webhooks.webhook_endpoint_create(organisation=org, url=receiver.url)
        entry = released_entry()
        account = account_for(entry)
        receiver.failing = True  # the sends queued after commit fail and wait for their retry
        (delivery,) = deliveries.deliveries_send(
            account=account, entry_ids=[entry.public_id], organisation_ids=[org.public_id], disclosure="minimal"
        )
        deliveries.delivery_withdraw(account=account, public_id=delivery.public_id)
        WebhookMessage.objects.update(next_attempt_at=None)
        receiver.failing, receiver.refused = False, 0
        receiver.hang = threading.Event()
        receiver.arrived.clear()

        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="results_portal.settings.test",
            DATABASE_URL=database_url(application_name="webhook-worker"),
            PYTHONPATH=str(ROOT),
        )
        code = (
            "from verification.webhooks import webhook_endpoint_flush; "
            f"webhook_endpoint_flush(endpoint_id={endpoint.pk})"
        )
        worker = subprocess.Popen(  # noqa: S603 - our own command line
            [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env
        )
        try:
            wait_until(receiver.arrived.is_set, timeout=60, message="the worker's POST never reached the receiver")
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(10)
        finally:
            if worker.poll() is None:
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait(10)
        wait_until(
            lambda: not _backends("webhook-worker"), timeout=30, message="the killed worker's connection stayed"
        )
        assert receiver.received == [], "the held POST was never answered"
        assert set(WebhookMessage.objects.values_list("state", flat=True)) == {WebhookMessage.State.PENDING}

        hang, receiver.hang = receiver.hang, None
        hang.set()
        outcome = webhooks.webhook_endpoint_flush(endpoint_id=endpoint.pk)

        assert outcome.sent == 2
        assert receiver.types() == ["delivery.created", "delivery.withdrawn"]
        assert receiver.bad_signatures == 0
        assert set(WebhookMessage.objects.values_list("state", flat=True)) == {WebhookMessage.State.SENT}
