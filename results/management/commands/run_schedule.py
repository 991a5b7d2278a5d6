import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from results.schedule import jobs_from_schedule, run_due
from results_portal.celery import app


def run_task(name: str) -> object:
    """Run one Celery task here and now (what a worker would do with it), whatever the broker."""
    return app.tasks[name].apply(throw=True)


class Command(BaseCommand):
    help = (
        "Run the scheduled jobs of CELERY_BEAT_SCHEDULE in this process, each when it is due "
        "(make run starts it beside the web server; production runs Celery beat instead)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run every job once, then stop.")
        parser.add_argument("--tick", type=float, default=5.0, help="Seconds between checks (default 5).")

    def handle(self, *args: Any, **options: Any) -> None:
        app.loader.import_default_modules()
        jobs = jobs_from_schedule(settings.CELERY_BEAT_SCHEDULE)
        missing = sorted({job.task for job in jobs} - set(app.tasks))
        if missing:
            raise SystemExit(f"Scheduled tasks not found: {', '.join(missing)}")
        last_run: dict[str, float] = {}
        self.stdout.write(f"Running {len(jobs)} scheduled jobs in-process: {', '.join(job.name for job in jobs)}.")
        while True:
            for name in run_due(jobs, last_run, time.monotonic(), run_task):
                self.stdout.write(f"Ran {name}.")
            if options["once"]:
                return
            time.sleep(options["tick"])
