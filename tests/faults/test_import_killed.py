"""Fault: ``manage.py import_results`` is killed (SIGKILL) while it writes."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from django.db import connection

from benchmarks.bench_import import results_csv
from benchmarks.infra import ROOT

from .conftest import FAULTS_DB, database_url

CANDIDATES = 4000  # 20 000 lines: the write phase lasts long enough to be caught in the middle


def _backend_writing(application_name: str) -> bool:
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        row = admin.execute(
            # Inside a transaction that has written (it has an id) and is writing rows: INSERT, UPDATE or COPY.
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND backend_xid IS NOT NULL "
            "AND (query ILIKE 'INSERT%%' OR query ILIKE 'UPDATE%%' OR query ILIKE 'COPY%%')",
            [application_name],
        ).fetchone()
    return bool(row and row[0])


def _backends(application_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return int(cursor.fetchone()[0])


def _import(path: Path, application_name: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="results_portal.settings.test",
        DATABASE_URL=database_url(application_name=application_name),
        PYTHONPATH=str(ROOT),
    )
    return subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "manage.py", "import_results", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@FAULTS_DB
def test_an_import_killed_while_writing_leaves_nothing(tmp_path: Path) -> None:
    """Prove that an import killed in the middle of its writes leaves no result, score or audit row behind.

    ``results_import`` writes everything in one transaction: when the process dies (SIGKILL: no handler, no
    rollback of its own), PostgreSQL sees the connection close and rolls the transaction back. Running the
    same file again then imports it whole.
    """
    from accounts.models import AuditEvent
    from centres.models import Candidate, Entry
    from centres.tests.factories import CentreFactory, ExamSessionFactory
    from results.models import ComponentScore, Result

    centre = CentreFactory()
    session = ExamSessionFactory()
    people = Candidate.objects.bulk_create(
        Candidate(centre=centre, first_name=f"Ana{n}", last_name="Kill", date_of_birth="2006-05-17")
        for n in range(CANDIDATES)
    )
    Entry.objects.bulk_create(
        Entry(
            person=p,
            centre=centre,
            session=session,
            candidate_id=f"IMP{n:06d}",
            secret_hash="x$y$z",
            secret_issued_at=session.window_start,
        )
        for n, p in enumerate(people)
    )
    path = tmp_path / "results.csv"
    path.write_text(results_csv(count=CANDIDATES, session_date=session.date.isoformat()))
    audits_before = AuditEvent.objects.filter(action="results.import").count()

    app = f"faults-import-{time.monotonic_ns()}"
    process = _import(path, app)
    deadline = time.monotonic() + 120
    while not _backend_writing(app):
        if process.poll() is not None:
            raise AssertionError(f"the import ended before it could be killed: {process.communicate()[0]!r}")
        assert time.monotonic() < deadline, "the import never started writing"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)
    while _backends(app):  # the server rolls back once it notices the closed connection
        assert time.monotonic() < deadline, "the killed import's connection stayed open"
        time.sleep(0.05)

    assert not Result.objects.filter(entry__session=session).exists()
    assert not ComponentScore.objects.filter(result__entry__session=session).exists()
    assert AuditEvent.objects.filter(action="results.import").count() == audits_before

    again = _import(path, app)
    output = again.communicate(timeout=300)[0].decode()
    assert again.returncode == 0, output
    assert Result.objects.filter(entry__session=session).count() == CANDIDATES
    assert ComponentScore.objects.filter(result__entry__session=session).count() == CANDIDATES * 5
