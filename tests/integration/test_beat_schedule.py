"""The beat schedule names tasks a real worker knows: a typo there would be dropped by the worker, silently."""

from django.conf import settings

from results_portal.celery import app as celery_app
from tests.integration.helpers import WorkerProcess


def test_every_beat_task_is_registered_in_the_worker(worker: WorkerProcess) -> None:
    """Each task name in CELERY_BEAT_SCHEDULE is among the tasks the running worker registered by autodiscovery."""
    scheduled = {str(entry["task"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    replies = celery_app.control.inspect(destination=[worker.hostname], timeout=10).registered()

    assert replies and worker.hostname in replies, f"the worker did not answer: {replies!r}"
    registered = set(replies[worker.hostname])
    assert scheduled, "CELERY_BEAT_SCHEDULE names no task"
    assert sorted(scheduled - registered) == []
