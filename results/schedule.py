"""The scheduled jobs run in-process: what ``make run`` does instead of Celery beat.

Production runs ``celery -A results_portal beat``; a demo on a bare machine has no broker, so
``manage.py run_schedule`` reads the same ``CELERY_BEAT_SCHEDULE`` and runs each job in its own process
when it is due. Both read one table, so a demo releases results, writes results files and sweeps documents
as production does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    task: str
    every: float  # seconds


def jobs_from_schedule(schedule: Mapping[str, Mapping[str, object]]) -> list[Job]:
    """Read the beat table; every entry must be a task with an interval in seconds."""
    jobs = []
    for name, entry in schedule.items():
        every = entry["schedule"]
        if not isinstance(every, int | float) or isinstance(every, bool) or every <= 0:
            raise ValueError(f"Scheduled job {name!r}: the schedule must be a number of seconds, not {every!r}.")
        jobs.append(Job(name=name, task=str(entry["task"]), every=float(every)))
    return jobs


def due(jobs: Iterable[Job], last_run: Mapping[str, float], now: float) -> list[Job]:
    """The jobs to run at ``now`` (monotonic seconds): never run yet, or run at least ``every`` ago."""
    return [job for job in jobs if job.name not in last_run or now - last_run[job.name] >= job.every]


def run_due(jobs: Iterable[Job], last_run: dict[str, float], now: float, run: Callable[[str], object]) -> list[str]:
    """Run every due job through ``run(task_name)``; a failing job is logged and tried again at its next turn."""
    ran = []
    for job in due(jobs, last_run, now):
        last_run[job.name] = now
        try:
            run(job.task)
        except Exception:
            logger.exception("Scheduled job %s (%s) failed", job.name, job.task)
        ran.append(job.name)
    return ran
