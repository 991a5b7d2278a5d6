"""Fault: the Celery broker is down when a transaction that wrote outbox emails commits.

A process of its own (``manage.py shell`` on the test database, tasks not eager) does the work with its broker
pointed at our own redis-server, stopped: the task message cannot be queued. The work must still commit and the
caller go on; the rows wait QUEUED and the recovery job (``outgoing_emails_recover``, run here as a worker runs it)
sends each email once, with its Message-ID, once it is more than 5 minutes old.
"""

import datetime as dt
import os
import subprocess
import sys

from django.core import mail
from django.utils import timezone

from benchmarks.infra import ROOT

from .conftest import FAULTS_DB, PrivateRedis, server_env

# Queuing a task: kombu's retries of the publish, then the error Django logs for a robust on_commit callback.
PUBLISH_FAILED = "outgoing_emails_send_queue in on_commit()"


def _with_broker_down(redis: PrivateRedis, code: str) -> str:
    """Run ``code`` in a process of its own whose Celery broker is ``redis``, stopped; return its output."""
    redis.stop()
    env = server_env(application_name="faults-broker-down", redis_url=os.environ["REDIS_URL"])
    env["CELERY_BROKER_URL"] = redis.url
    setup = "from results_portal.celery import app; app.conf.task_always_eager = False; "
    done = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "manage.py", "shell", "-c", setup + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "DONE" in done.stdout, output
    return output


def _recover_twice_once_old_enough(email_ids: list[int]) -> None:
    """Move the rows 6 minutes into the past, then run the recovery job twice (in this process, tasks eager)."""
    from results.models import OutgoingEmail
    from results.tasks import outgoing_emails_recover

    for email in OutgoingEmail.objects.filter(pk__in=email_ids):
        OutgoingEmail.objects.filter(pk=email.pk).update(created_at=email.created_at - dt.timedelta(minutes=6))
    outgoing_emails_recover.delay()
    outgoing_emails_recover.delay()


@FAULTS_DB
def test_an_organisation_email_whose_task_was_never_queued_is_sent_once_by_the_recovery_job(
    private_redis: PrivateRedis,
) -> None:
    from results.models import OutgoingEmail
    from results.tests.factories import account_for
    from verification.models import Delivery
    from verification.tests.conftest import released_entry
    from verification.tests.test_deliveries import listed

    entry = released_entry()
    account = account_for(entry)
    org = listed()

    output = _with_broker_down(
        private_redis,
        "from candidates.models import CandidateAccount; from verification import deliveries; "
        f"account = CandidateAccount.objects.get(pk={account.pk}); "
        f"deliveries.deliveries_send(account=account, entry_ids=['{entry.public_id}'], "
        f"organisation_ids=['{org.public_id}'], disclosure='minimal'); print('DONE')",
    )

    assert PUBLISH_FAILED in output, "the send task really failed to reach the broker"
    assert Delivery.objects.filter(organisation=org).count() == 1, "the delivery committed"
    (email,) = OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.DELIVERIES_CHANGED)
    assert (email.address, email.state, email.attempts, email.sending_since) == (org.email, "queued", 0, None)
    private_redis.start()

    _recover_twice_once_old_enough([email.pk])

    assert [(m.to, m.message()["Message-ID"]) for m in mail.outbox] == [
        ([org.email], f"<results-email-{email.pk}@example.org>")
    ]
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("sent", 1)


@FAULTS_DB
def test_a_release_whose_email_tasks_were_never_queued_completes_and_its_emails_are_recovered(
    private_redis: PrivateRedis,
) -> None:
    """The release job goes on past a commit whose email tasks could not be queued (it used to stop there).

    Django logs a robust on_commit callback's failure with the callback's ``__qualname__``; the outbox queued its
    sends with ``functools.partial``, which has none, so the log call raised and the release job stopped with an
    AttributeError after its first committed chunk.
    """
    from centres.tests.factories import EntryFactory
    from results.models import OutgoingEmail, Result
    from results.tests.factories import account_for, result_for

    entries = [EntryFactory() for _ in range(3)]
    for entry in entries:
        account_for(entry)
        result_for(entry, released_at=timezone.now() - dt.timedelta(minutes=1), status=Result.Status.READY)

    output = _with_broker_down(
        private_redis,
        "from results import services; services.RELEASE_BATCH_SIZE = 2; "
        "print('released', services.results_release_due()); print('DONE')",
    )

    assert "released 3" in output, output
    assert PUBLISH_FAILED in output
    assert set(Result.objects.filter(entry__in=entries).values_list("status", flat=True)) == {"released"}
    ids = list(OutgoingEmail.objects.filter(state="queued", attempts=0).values_list("pk", flat=True))
    assert len(ids) == 3
    private_redis.start()

    _recover_twice_once_old_enough(ids)

    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"{e.candidate_id.lower()}@example.org" for e in entries)
    assert set(OutgoingEmail.objects.values_list("state", flat=True)) == {"sent"}
