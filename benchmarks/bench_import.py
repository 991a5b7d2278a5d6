"""Importing a results file: ``results_import`` (check every line, grade, write) against a plain COPY.

The file has one line per skill score (``candidate_id,exam_code,session_date,component,score``): 100 000 lines
are 20 000 B2 First candidates × 5 skills. Ours is ``results.imports.results_import`` on the text, as
``manage.py import_results`` calls it (reading the file aside): parse, check every line against the entries,
grade through ``grading/``, write results and component scores in one transaction. The floor is the physical
floor of that write: the rows the import wrote (results and component scores), taken out and written back into
the same tables, with their indexes, constraints and foreign keys, by one binary COPY each, committed. A COPY of
the text into an unindexed scratch table (the earlier floor) is printed beside it.
"""

import csv
import io
import random
import time

from .core import Figure
from .data import FCE_SCORES, IMPORT_COUNT, candidate_id
from .infra import say

TARGET = 2.0  # ours ≤ 2 × COPY of the same rows into the same tables
DRY_RUN_TARGET = 3.0  # the dry run is the import rolled back, plus the preview's few queries


def results_csv(*, count: int, session_date: str, seed: int = 7) -> str:
    """Return a results file for the first ``count`` IMP entries: every FCE skill, scores around the bands."""
    chooser = random.Random(seed)  # noqa: S311 - benchmark data, not a secret
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["candidate_id", "exam_code", "session_date", "component", "score"])
    for n in range(count):
        cid = candidate_id("IMP", n)
        for component, score in FCE_SCORES.items():
            writer.writerow(
                [cid, "FCE", session_date, component, max(122, min(190, score + chooser.randint(-25, 12)))]
            )
    return buffer.getvalue()


def copy_floor(text: str) -> float:
    """Return the seconds psycopg takes to COPY ``text`` into a scratch table and commit."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_import_scratch")
        cursor.execute(
            "CREATE TABLE bench_import_scratch (candidate_id varchar(16), exam_code varchar(12), session_date date, "
            "component varchar(40), score smallint)"
        )
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy("COPY bench_import_scratch FROM STDIN (FORMAT csv, HEADER true)") as copy:
            copy.write(text)
    return time.perf_counter() - started


def copy_floor_same_tables(*, session_id: int) -> float:
    """Return the seconds binary COPY takes to write the session's results and scores back into their tables.

    The rows are read out with COPY TO, deleted and vacuumed away, then written back in one transaction, so the
    timed part is what the import's writing cannot do faster: the same rows, tables, indexes and checks.
    """
    from django.db import connection, transaction

    results = "SELECT r.* FROM results_result r JOIN centres_entry e ON e.id = r.entry_id WHERE e.session_id = %s"
    scores = f"SELECT s.* FROM results_componentscore s WHERE s.result_id IN (SELECT id FROM ({results}) r)"  # noqa: S608
    dumps: dict[str, bytes] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        for table, query in (("results_result", results), ("results_componentscore", scores)):
            with raw.copy(f"COPY ({query}) TO STDOUT (FORMAT binary)", [session_id]) as copy:  # type: ignore[call-overload]
                dumps[table] = b"".join(bytes(block) for block in copy)
        cursor.execute(f"DELETE FROM results_componentscore WHERE id IN (SELECT id FROM ({scores}) s)", [session_id])  # noqa: S608
        cursor.execute(f"DELETE FROM results_result WHERE id IN (SELECT id FROM ({results}) r)", [session_id])  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE results_result, results_componentscore")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in ("results_result", "results_componentscore"):
            with cursor.cursor.copy(f"COPY {table} FROM STDIN (FORMAT binary)") as copy:
                copy.write(dumps[table])
    return time.perf_counter() - started


def run() -> list[Figure]:
    """Import 100 000 result lines with grading, against COPY of the same lines."""
    from exams.models import ExamSession
    from results.imports import results_import
    from results.models import ComponentScore, Result

    session = ExamSession.objects.get(entries__candidate_id=candidate_id("IMP", 0))
    text = results_csv(count=IMPORT_COUNT, session_date=session.date.isoformat())
    rows = text.count("\n") - 1
    scratch = copy_floor(text)
    say(f"import: COPY of {rows:,} lines into an unindexed scratch table took {scratch:.2f} s")
    from results.uploads import results_dry_run

    started = time.perf_counter()
    preview = results_dry_run(text=text)
    dry = time.perf_counter() - started
    say(f"import: dry run (preview) of {rows:,} lines took {dry:.2f} s ({preview['summary']})")
    if Result.objects.filter(entry__session=session).exists():
        raise RuntimeError("the dry run wrote results")
    started = time.perf_counter()
    summary = results_import(text=text)
    ours = time.perf_counter() - started
    say(f"import: results_import of {rows:,} lines took {ours:.2f} s ({summary})")
    created = Result.objects.filter(entry__session=session).count()
    scores = ComponentScore.objects.filter(result__entry__session=session).count()
    if created != IMPORT_COUNT or scores != rows:
        raise RuntimeError(f"the import wrote {created} results and {scores} scores, not {IMPORT_COUNT} and {rows}")
    floor = copy_floor_same_tables(session_id=session.pk)
    say(
        f"import: COPY of the {created:,} results and {scores:,} scores it wrote, back into the same tables with "
        f"their indexes and constraints, took {floor:.2f} s (ours {ours / floor:.1f} ×)"
    )
    if (
        Result.objects.filter(entry__session=session).count() != created
        or ComponentScore.objects.filter(result__entry__session=session).count() != scores
    ):
        raise RuntimeError("the floor did not write the results and scores back")
    return [
        Figure(
            f"dry run of {rows:,} result lines: checked, graded, counted, rolled back (results upload preview)",
            "s",
            dry,
            floor,
            higher_is_better=False,
            target=f"≤ {DRY_RUN_TARGET:g} × COPY of the rows into the tables",
            met=dry <= DRY_RUN_TARGET * floor,
        ),
        Figure(
            f"import {rows:,} result lines incl. grading (results_import)",
            "s",
            ours,
            floor,
            higher_is_better=False,
            target=f"≤ {TARGET:g} × COPY of the rows into the tables",
            met=ours <= TARGET * floor,
        ),
    ]
