"""The benchmark data set, built once into a template database and copied for each benchmark.

``python -m benchmarks.data`` (run by the runner with ``DATABASE_URL`` set to the database being built) makes,
for B2 First (FCE) sessions of the catalogue, with counts × BENCH_SCALE:

- ``REL`` entries (100 000): a session whose window opened yesterday, one READY result each (released_at in
  the past, so ``release_due`` releases them all), and a confirmed Results Online account each: the release
  → outbox → SMTP benchmark. The first ``PAGE_USERS`` of them have their five skill scores: the candidates of
  the page benchmarks (the statement page needs the scores);
- ``IMP`` entries (20 000): a session whose window opens in 30 days, no result: the import benchmark writes
  100 000 result rows (5 skills each) for them;
- ``INS`` entries (2 000): a session whose window opens far in the future, READY results with scores and
  confirmed accounts: the release-instant load test (the first 500) and the soak (all 2 000) move the window
  to a few seconds ahead.

Every account has the password ``PASSWORD`` (one Argon2id hash made by the portal's hasher, shared) and
every entry the secret number ``SECRET_NUMBER``. Rows are written with COPY through the models' fields (``_Copier``).
"""

import datetime as dt
import os
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any

from .infra import say, scaled

PASSWORD = "results-day-2026"  # noqa: S105 - the benchmark accounts' password
SECRET_NUMBER = "4821"  # noqa: S105 - every benchmark entry's secret number
RELEASE_COUNT = scaled(100_000)
IMPORT_COUNT = scaled(20_000)
INSTANT_COUNT = scaled(500, minimum=50)
SOAK_COUNT = scaled(2_000, minimum=200)
PAGE_USERS = min(RELEASE_COUNT, scaled(2_000, minimum=100))
CENTRES = 50
BATCH = 5_000
_PLAIN_FIELDS: tuple[type, ...] = ()
FCE_SCORES = {"reading": 176, "use_of_english": 181, "writing": 169, "listening": 172, "speaking": 180}


def candidate_id(prefix: str, number: int) -> str:
    """Return the Candidate ID of the ``number``-th entry of a group (``REL``, ``IMP``, ``INS``)."""
    return f"{prefix}{number:06d}"


def _batched(items: Sequence[Any], size: int = BATCH) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _plain_fields() -> tuple[type, ...]:
    from django.db import models

    return (
        models.AutoField,
        models.BigAutoField,
        models.BooleanField,
        models.CharField,
        models.DateField,
        models.DateTimeField,
        models.ForeignKey,
        models.IntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.TextField,
        models.UUIDField,
    )


class _Copier:
    """Write model instances with PostgreSQL COPY, giving each its primary key: several times bulk_create's speed.

    Values go through each field's ``pre_save`` and ``get_db_prep_save``, as ``save()`` would send them, so
    defaults and ``auto_now_add`` fields are filled as the application fills them. The tables' identity
    sequences are moved past the ids used at the end (``finish``).
    """

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.next_ids: dict[Any, int] = {}
        global _PLAIN_FIELDS
        _PLAIN_FIELDS = _plain_fields()

    def write(self, model: Any, objects: Iterable[Any]) -> list[Any]:
        from psycopg import sql

        meta = model._meta
        if model not in self.next_ids:
            with self.connection.cursor() as cursor:
                cursor.execute(sql.SQL("SELECT COALESCE(MAX(id), 0) FROM {}").format(sql.Identifier(meta.db_table)))
                self.next_ids[model] = int(cursor.fetchone()[0]) + 1
        from django.db import models

        fields = list(meta.concrete_fields)
        # psycopg adapts these Python values as they are; the others (JSON, …) go through the field.
        plain = [isinstance(f, _PLAIN_FIELDS) and not isinstance(f, models.JSONField) for f in fields]
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(meta.db_table), sql.SQL(", ").join(sql.Identifier(f.column) for f in fields)
        )
        written = []
        with self.connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for obj in objects:
                obj.pk = self.next_ids[model]
                self.next_ids[model] += 1
                values = [f.pre_save(obj, True) for f in fields]
                copy.write_row(
                    [
                        value if is_plain else f.get_db_prep_save(value, self.connection)
                        for f, value, is_plain in zip(fields, values, plain, strict=True)
                    ]
                )
                obj._state.adding = False
                written.append(obj)
        return written

    def finish(self) -> None:
        from psycopg import sql

        with self.connection.cursor() as cursor:
            for model in self.next_ids:
                table = model._meta.db_table
                cursor.execute(
                    sql.SQL("SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM {}))").format(
                        sql.Identifier(table)
                    ),
                    [table],
                )


def build() -> None:
    """Write the data set into the (freshly migrated) database of ``DATABASE_URL``."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from candidates.models import CandidateAccount, LinkedEntry
    from centres.models import Candidate, Centre, Entry
    from centres.services import secret_number_hash
    from exams.models import Component, Exam, ExamSession
    from results.models import ComponentScore, Result

    started = time.monotonic()
    now = timezone.now()
    fce = Exam.objects.get(code="FCE")
    components = {c.code: c for c in Component.objects.filter(exam=fce)}
    sessions = {
        "REL": ExamSession.objects.create(
            exam=fce,
            date=(now - dt.timedelta(days=40)).date(),
            mode=ExamSession.Mode.PAPER,
            window_start=now - dt.timedelta(days=1),
            window_end=now + dt.timedelta(days=13),
        ),
        "IMP": ExamSession.objects.create(
            exam=fce,
            date=(now - dt.timedelta(days=5)).date(),
            mode=ExamSession.Mode.PAPER,
            window_start=now + dt.timedelta(days=30),
            window_end=now + dt.timedelta(days=44),
        ),
        "INS": ExamSession.objects.create(
            exam=fce,
            date=(now - dt.timedelta(days=14)).date(),
            mode=ExamSession.Mode.COMPUTER,
            window_start=now + dt.timedelta(days=365),
            window_end=now + dt.timedelta(days=379),
        ),
    }
    centres = Centre.objects.bulk_create(
        Centre(number=f"BN{n:03d}", name=f"Benchmark Centre {n}", country="United Kingdom") for n in range(CENTRES)
    )
    password_hash = make_password(PASSWORD)
    secret_hash = secret_number_hash(secret_number=SECRET_NUMBER)
    copier = _Copier()
    groups = {"REL": RELEASE_COUNT, "IMP": IMPORT_COUNT, "INS": max(INSTANT_COUNT, SOAK_COUNT)}
    with transaction.atomic():
        for prefix, count in groups.items():
            session = sessions[prefix]
            ids = [candidate_id(prefix, n) for n in range(count)]
            for batch in _batched(ids):
                people = copier.write(
                    Candidate,
                    (
                        Candidate(
                            centre=centres[int(cid[3:]) % CENTRES],
                            first_name=f"Ana{cid[3:]}",
                            last_name="Benchmark",
                            date_of_birth=dt.date(2006, 5, 17),
                        )
                        for cid in batch
                    ),
                )
                entries = copier.write(
                    Entry,
                    (
                        Entry(
                            person=person,
                            centre=person.centre,
                            session=session,
                            candidate_id=cid,
                            secret_hash=secret_hash,
                            secret_issued_at=now,
                        )
                        for person, cid in zip(people, batch, strict=True)
                    ),
                )
                if prefix == "IMP":
                    continue
                users = copier.write(
                    User,
                    (
                        User(
                            username=f"candidate-{cid.lower()}",
                            email=f"{cid.lower()}@bench.example",
                            password=password_hash,
                        )
                        for cid in batch
                    ),
                )
                accounts = copier.write(
                    CandidateAccount, (CandidateAccount(user=user, email_confirmed_at=now) for user in users)
                )
                copier.write(
                    LinkedEntry,
                    (
                        LinkedEntry(account=account, entry=entry)
                        for account, entry in zip(accounts, entries, strict=True)
                    ),
                )
                results = copier.write(
                    Result,
                    (
                        Result(
                            entry=entry,
                            status=Result.Status.READY,
                            overall_score=176,
                            grade="Grade B",
                            cefr_level="B2",
                            certificate=True,
                            ready_at=now - dt.timedelta(days=2),
                            released_at=session.window_start,
                            centre_released_at=session.window_start,
                        )
                        for entry in entries
                    ),
                )
                scored = [
                    r for r, cid in zip(results, batch, strict=True) if prefix == "INS" or int(cid[3:]) < PAGE_USERS
                ]
                copier.write(
                    ComponentScore,
                    (
                        ComponentScore(result=result, component=components[code], score=score)
                        for result in scored
                        for code, score in FCE_SCORES.items()
                    ),
                )
            say(f"data: {count:,} {prefix} entries written ({time.monotonic() - started:.0f} s)")
        copier.finish()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    say(f"data: built in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    build()
    sys.exit(0)
