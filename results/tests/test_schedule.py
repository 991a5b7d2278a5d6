"""``manage.py run_schedule``: the scheduled jobs of a demo, run in-process from the beat table."""

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from centres.tests.factories import EntryFactory, ExamSessionFactory
from results.imports import results_import
from results.models import Result
from results.schedule import Job, due, jobs_from_schedule, run_due
from results.tests.test_import_release import _csv
from results_portal.celery import app

HOURLY, MINUTELY = Job("hourly", "a.hourly", 3600.0), Job("minutely", "a.minutely", 60.0)


def test_every_beat_entry_names_a_task_that_exists() -> None:
    app.loader.import_default_modules()

    jobs = jobs_from_schedule(settings.CELERY_BEAT_SCHEDULE)

    assert {job.name for job in jobs} >= {"results-release-due", "results-files", "documents-render-missing"}
    assert {job.task for job in jobs} <= set(app.tasks)


def test_the_results_files_job_runs_under_its_new_name_and_its_former_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A message queued as "centres.edi_files_regenerate" before the rename still runs the same job."""
    app.loader.import_default_modules()
    calls: list[str] = []

    def regenerate_all() -> int:
        calls.append("run")
        return 3

    monkeypatch.setattr("results.centre_files.results_files_regenerate_all", regenerate_all)

    assert settings.CELERY_BEAT_SCHEDULE["results-files"]["task"] == "results.tasks.results_files_regenerate_task"
    assert "edi-files" not in settings.CELERY_BEAT_SCHEDULE
    # EagerResult.result, not .get(): .get() refuses to run when another test left a task on Celery's stack.
    for name in ("results.tasks.results_files_regenerate_task", "centres.edi_files_regenerate"):
        outcome = app.tasks[name].apply()
        assert (outcome.successful(), outcome.result) == (True, 3)
    assert calls == ["run", "run"]


def test_a_schedule_that_is_not_seconds_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'nightly': the schedule must be a number of seconds"):
        jobs_from_schedule({"nightly": {"task": "x", "schedule": "0 1 * * *"}})


def test_each_job_runs_at_start_then_every_interval() -> None:
    jobs = [HOURLY, MINUTELY]

    assert due(jobs, {}, now=100.0) == [HOURLY, MINUTELY]
    assert due(jobs, {"hourly": 100.0, "minutely": 100.0}, now=159.0) == []
    assert due(jobs, {"hourly": 100.0, "minutely": 100.0}, now=160.0) == [MINUTELY]
    assert due(jobs, {"hourly": 100.0, "minutely": 3640.0}, now=3700.0) == [HOURLY, MINUTELY]


def test_a_failing_job_is_logged_and_the_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    def run(task: str) -> None:
        calls.append(task)
        if task == "a.hourly":
            raise RuntimeError("database is locked")

    last_run: dict[str, float] = {}
    ran = run_due([HOURLY, MINUTELY], last_run, now=5.0, run=run)

    assert calls == ["a.hourly", "a.minutely"] and ran == ["hourly", "minutely"]
    assert last_run == {"hourly": 5.0, "minutely": 5.0}
    assert "Scheduled job hourly (a.hourly) failed" in caplog.text


@pytest.mark.django_db
def test_run_schedule_releases_what_is_due_as_beat_would() -> None:
    session = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=40), mode="paper")
    entry = EntryFactory(session=session)
    results_import(text=_csv(entry), now=session.window_start - dt.timedelta(days=1))
    assert Result.objects.get().status == Result.Status.READY
    out = StringIO()

    call_command("run_schedule", "--once", stdout=out)

    assert Result.objects.get().status == Result.Status.RELEASED
    assert "Ran results-release-due." in out.getvalue()
