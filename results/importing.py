"""What the two results imports share: the entries a file names, the checks of an entry, and the write.

``import_results`` (``results.imports``: scale scores and unit marks) and ``import_legacy_results``
(``results.legacy``: raw paper marks) each read and grade their own file, then hand their ``GradedResult`` list to
``graded_results_write``, which writes it in one transaction: a new result is created, a result not yet released
is replaced, a released one is amended (kept in history, candidate told), so release, amendments and emails are
the same whichever import wrote them.

On PostgreSQL results, component scores and amendments are written with binary COPY (replaced results through
a temporary table), and look-ups by thousands of keys use ``= ANY(array)``: Django's per-value SQL for
``bulk_create``/``bulk_update`` and ``IN`` lists took most of the import's time. Other databases (SQLite for
``make run``) take the ORM's path; both store the same rows (results/tests/test_import_copy.py).
"""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from django.db import connection, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Lookup, QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import audit_record
from centres.models import Entry
from exams.models import Component, Exam, ExamSession
from results_portal.csvimport import Progress, chunks, error_text

from .events import result_event_record
from .models import ComponentScore, OutgoingEmail, Result, ResultAmendment, ResultEvent
from .release import ReleaseInstants, release_instants, seen_by_anyone
from .unitised import qualifications_refresh

M = TypeVar("M", bound=models.Model)

WRITE_BATCH_SIZE = 2000
LOOKUP_CHUNK_SIZE = 5000
# What a re-import may change in a result it replaces or amends.
RESCORED_FIELDS = (
    "overall_score",
    "grade",
    "cefr_level",
    "certificate",
    "ready_at",
    "released_at",
    "centre_released_at",
    "version",
    "amended_at",
)
AMENDED_BY_IMPORT = "corrected results file imported"

CANDIDATE_WITHDRAWN = _("Candidate ID %(candidate_id)s is withdrawn from this exam")
EXAM_MISMATCH = _("Candidate ID %(candidate_id)s is entered for %(exam)s, not %(code)s")
SESSION_MISMATCH = _("Candidate ID %(candidate_id)s sat %(exam)s on %(date)s, not on %(given)s")


@dataclass
class ResultsImportSummary:
    """What an import did: results created, replaced before release, amended after release, unchanged."""

    created: int = 0
    replaced: int = 0
    amended: int = 0
    unchanged: int = 0
    amended_result_ids: list[int] = field(default_factory=list)
    session_ids: set[int] = field(default_factory=set)  # the sessions the file's lines belong to


@dataclass(frozen=True)
class UnitScore:
    """What a component score holds besides its score: a unit's UMS and grade, or a legacy paper's profile."""

    ums: int | None
    grade: str
    tariff: Decimal | None
    marks: int
    absent: bool  # calculated for absence (special consideration)
    not_sat: bool = False  # absent from the unit: 0 UMS, counted (docs/domain.md §4.3, '#')


class ImportEntry(NamedTuple):
    """What an import needs of an entry: 20 000 ``Entry`` models take longer to build than to fetch."""

    pk: int
    candidate_id: str
    status: str
    person_id: int
    session: ExamSession


@dataclass
class GradedResult:
    """One entry's result as an import graded it, ready to be written."""

    entry: ImportEntry
    first_line: int
    unitised: bool
    scores: dict[str, int] = field(default_factory=dict)
    attempted: set[str] = field(default_factory=set)
    statuses: dict[str, str] = field(default_factory=dict)  # component → absent / pending / withheld
    units: dict[str, UnitScore] = field(default_factory=dict)
    overall: int | None = None
    grade: str = ""
    cefr_level: str = ""
    certificate: bool = False
    result_id: int = 0  # known once the result is written


# The fields of a new result, in the order of the tuples ``_results_create`` writes, named as the model names them.
_RESULT_FIELDS = (
    "id",
    "public_id",
    "entry_id",
    "status",
    *RESCORED_FIELDS,
    "hold_reason",
    "qualification",
)
# The fields of a component score but its id, in the order of the tuples ``_score_rows`` gives.
_SCORE_FIELDS = (
    "result_id",
    "component_id",
    "score",
    "ums",
    "unit_grade",
    "consideration_tariff",
    "consideration_marks",
    "calculated_for_absence",
    "absent",
)


def entries_by_candidate_id(candidate_ids: set[str]) -> dict[str, ImportEntry]:
    """Return the entries of these Candidate IDs, each with its session and the session's exam (two queries)."""
    rows = [
        row
        for queryset in _where_in(Entry.objects.order_by(), field="candidate_id", values=sorted(candidate_ids))
        for row in queryset.values_list("pk", "candidate_id", "status", "person_id", "session_id")
    ]
    sessions = ExamSession.objects.select_related("exam").in_bulk({session_id for *_, session_id in rows})
    return {
        candidate_id: ImportEntry(pk, candidate_id, status, person_id, sessions[session_id])
        for pk, candidate_id, status, person_id, session_id in rows
    }


def entry_problem(
    *, entry: ImportEntry, exam: Exam, session_date: dt.date, candidate_id: str
) -> tuple[str, str] | None:
    """Return (column, message) when a line for ``exam`` on ``session_date`` does not fit the entry, else None."""
    session = entry.session
    if entry.status == Entry.Status.WITHDRAWN:
        return "candidate_id", error_text(CANDIDATE_WITHDRAWN, candidate_id=candidate_id)
    if session.exam_id != exam.pk:
        return "exam_code", error_text(
            EXAM_MISMATCH, candidate_id=candidate_id, exam=session.exam.code, code=exam.code
        )
    if session.date != session_date:
        message = error_text(
            SESSION_MISMATCH,
            candidate_id=candidate_id,
            exam=exam.code,
            date=session.date.isoformat(),
            given=session_date.isoformat(),
        )
        return "session_date", message
    return None


def _snapshot(*, overall: int | None, grade: str, cefr_level: str, scores: dict[str, int]) -> dict[str, Any]:
    return {
        "overall_score": overall,
        "grade": grade,
        "cefr_level": cefr_level,
        "components": dict(sorted(scores.items())),
    }


@transaction.atomic
def graded_results_write(
    *, graded: list[GradedResult], actor: User | None, reason: str, now: dt.datetime, tracker: Progress
) -> ResultsImportSummary:
    """Write graded results in one transaction: create, replace before release, amend after; return the counts.

    Amended candidates are emailed, and every output derived from a result is told (result events), once the
    transaction commits.
    """
    summary = ResultsImportSummary(session_ids={g.entry.session.pk for g in graded})
    locked = Result.objects.select_for_update().order_by("pk")
    existing = {
        result.entry_id: result
        for queryset in _where_in(locked, field="entry_id", values=[g.entry.pk for g in graded])
        for result in queryset
    }
    old_scores, old_rows = _scores_of([r.pk for r in existing.values()])
    component_ids = {
        (exam_id, code): pk for pk, exam_id, code in Component.objects.values_list("pk", "exam_id", "code")
    }

    created: list[GradedResult] = []
    updated: list[Result] = []
    amendments: list[ResultAmendment] = []
    rescored: list[GradedResult] = []
    stale: list[int] = []
    for item in graded:
        result = existing.get(item.entry.pk)
        if result is None:
            created.append(item)
            rescored.append(item)
            continue
        item.result_id = result.pk
        old = old_scores[result.pk]
        if item.unitised:
            # A unit file may hold some units only: the others keep their results.
            item.scores = {**old, **item.scores}
            item.overall, item.grade = result.overall_score, result.grade
        before = _snapshot(overall=result.overall_score, grade=result.grade, cefr_level=result.cefr_level, scores=old)
        after = _snapshot(overall=item.overall, grade=item.grade, cefr_level=item.cefr_level, scores=item.scores)
        if before == after:
            summary.unchanged += 1
            continue
        released = seen_by_anyone(
            released_at=result.released_at,
            centre_released_at=result.centre_released_at,
            now=now,
        )
        _apply(result, item)
        result.ready_at = now
        if released:
            result.version += 1
            result.amended_at = now
            amendments.append(
                ResultAmendment(
                    result=result, version=result.version, actor=actor, reason=reason, before=before, after=after
                )
            )
            summary.amended_result_ids.append(result.pk)
        elif result.status != Result.Status.HELD:
            instants = release_instants(session=item.entry.session, ready_at=now)
            result.released_at, result.centre_released_at = instants.candidate, instants.centre
        updated.append(result)
        rescored.append(item)
        # Scale-score results are rewritten whole; a unit file rewrites only the units it holds.
        stale.extend(
            row_id
            for code in (item.units if item.unitised else old)
            if (row_id := old_rows.get((result.pk, code))) is not None
        )

    _results_create(items=created, now=now)
    _results_update(updated)
    for queryset in _where_in(ComponentScore.objects.all(), field="pk", values=stale):
        queryset.delete()
    _scores_create(items=rescored, component_ids=component_ids, tracker=tracker)
    _amendments_create(amendments)

    summary.created = len(created)
    summary.amended = len(amendments)
    summary.replaced = len(updated) - len(amendments)
    qualifications_refresh(
        person_exam_pairs={(i.entry.person_id, i.entry.session.exam_id) for i in graded if i.unitised},
        now=now,
        actor=actor,
        reason=reason,
        amended_now=summary.amended_result_ids,
    )
    if summary.amended_result_ids:
        _amendments_notify(result_ids=summary.amended_result_ids, now=now)
        result_event_record(kind=ResultEvent.Kind.AMENDED, result_ids=summary.amended_result_ids)
    # New results, and results replaced before anyone saw them, wait for their release instant: the outputs that
    # can be prepared ahead (the candidates' pages) are told now.
    amended = set(summary.amended_result_ids)
    result_event_record(
        kind=ResultEvent.Kind.READY,
        result_ids=[item.result_id for item in created]
        + [r.pk for r in updated if r.pk not in amended and r.status != Result.Status.HELD],
    )
    audit_record(
        actor=actor,
        action="results.import",
        reason=reason if summary.amended else "",
        detail={"created": summary.created, "replaced": summary.replaced, "amended": summary.amended},
    )
    return summary


def _results_create(*, items: list[GradedResult], now: dt.datetime) -> None:
    """Write a new result for each item, ready ``now``, and note its id on the item."""
    if not items:
        return
    if _postgresql():
        # COPY cannot hand back the ids it gives, so they are taken from the table's sequence beforehand. The rows
        # are made as COPY sends them.
        ids = _ids_reserve(Result, count=len(items))
        _copy(
            table=Result._meta.db_table,
            columns=_columns(Result, _RESULT_FIELDS),
            rows=_result_rows(items=items, ids=ids, now=now),
        )
    else:
        rows = _result_rows(items=items, ids=[None] * len(items), now=now)
        results = Result.objects.bulk_create(
            [Result(**dict(zip(_RESULT_FIELDS, row, strict=True))) for row in rows], batch_size=WRITE_BATCH_SIZE
        )
        ids = [result.pk for result in results]
    for item, result_id in zip(items, ids, strict=True):
        item.result_id = result_id


def _result_rows(
    *, items: list[GradedResult], ids: Sequence[int | None], now: dt.datetime
) -> Iterator[tuple[Any, ...]]:
    """Yield the new results as tuples of their ``_RESULT_FIELDS``, ready ``now``."""
    blank = Result()  # the model's defaults for what an import does not set: status, version, hold reason…
    # The release instants are the session's: worked out once per session, not once per result.
    instants: dict[int, ReleaseInstants] = {}
    for item in items:
        session = item.entry.session
        if session.pk not in instants:
            instants[session.pk] = release_instants(session=session, ready_at=now)
    for item, result_id in zip(items, ids, strict=True):
        released = instants[item.entry.session.pk]
        yield (
            result_id,
            uuid.uuid4(),  # public_id, as the field's default gives it: one per row
            item.entry.pk,
            blank.status,
            item.overall,
            item.grade,
            item.cefr_level,
            item.certificate,
            now,  # ready_at
            released.candidate,
            released.centre,
            blank.version,
            blank.amended_at,
            blank.hold_reason,
            blank.qualification,
        )


def _results_update(results: list[Result]) -> None:
    """Write the fields a re-import changes (``RESCORED_FIELDS``) of ``results``."""
    if not results:
        return
    if not _postgresql():
        Result.objects.bulk_update(results, RESCORED_FIELDS, batch_size=WRITE_BATCH_SIZE)
        return
    # bulk_update sends ``CASE WHEN id = … THEN …`` for every field and row: a minute for 20 000 results. One
    # UPDATE from a temporary table filled with COPY takes a fraction of a second. The SQL below names only the
    # model's table and columns, quoted; no value from the file.
    quote = connection.ops.quote_name
    table, temporary = quote(Result._meta.db_table), "results_import_rescored"
    columns = _columns(Result, ["id", *RESCORED_FIELDS])
    key, listed = quote(columns[0]), ", ".join(map(quote, columns))
    assignments = ", ".join(f"{quote(column)} = new.{quote(column)}" for column in columns[1:])
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {temporary} AS SELECT {listed} FROM {table} WITH NO DATA")  # noqa: S608
        _copy(
            table=temporary,
            columns=columns,
            rows=[(result.pk, *(getattr(result, name) for name in RESCORED_FIELDS)) for result in results],
        )
        cursor.execute(f"UPDATE {table} SET {assignments} FROM {temporary} AS new WHERE {table}.{key} = new.{key}")  # noqa: S608
        cursor.execute(f"DROP TABLE {temporary}")


def _scores_create(*, items: list[GradedResult], component_ids: dict[tuple[int, str], int], tracker: Progress) -> None:
    """Write the component scores of ``items`` (a unit file: only the units it holds)."""
    if not items:
        return
    rows = _score_rows(items=items, component_ids=component_ids)
    if _postgresql():
        # One COPY, the rows made as it sends them, with progress told once it is done: the connection can run
        # nothing else (a progress callback's query, say) while it is open.
        columns = _columns(ComponentScore, _SCORE_FIELDS)
        tracker.advance(_copy(table=ComponentScore._meta.db_table, columns=columns, rows=rows))
        return
    for batch in chunks(list(rows), WRITE_BATCH_SIZE):
        ComponentScore.objects.bulk_create(
            [ComponentScore(**dict(zip(_SCORE_FIELDS, row, strict=True))) for row in batch]
        )
        tracker.advance(len(batch))


def _score_rows(*, items: list[GradedResult], component_ids: dict[tuple[int, str], int]) -> Iterator[tuple[Any, ...]]:
    """Yield the component scores of ``items`` as tuples of their ``_SCORE_FIELDS``."""
    for item in items:
        exam_id, result_id, units = item.entry.session.exam_id, item.result_id, item.units
        for code, score in item.scores.items():
            unit = units.get(code)
            if unit is not None:
                yield (
                    result_id,
                    component_ids[(exam_id, code)],
                    score,
                    unit.ums,
                    unit.grade,
                    unit.tariff,
                    unit.marks,
                    unit.absent,
                    unit.not_sat,
                )
            elif not item.unitised:  # a skill of a scale-score exam: the model's defaults
                yield (result_id, component_ids[(exam_id, code)], score, None, "", None, 0, False, False)


def _amendments_create(amendments: list[ResultAmendment]) -> None:
    if not amendments:
        return
    if not _postgresql():
        ResultAmendment.objects.bulk_create(amendments, batch_size=WRITE_BATCH_SIZE)
        return
    # Each value prepared as bulk_create prepares it (``at`` filled in, JSON adapted), without its SQL per value.
    fields = [f for f in ResultAmendment._meta.concrete_fields if not f.primary_key]
    rows = [[f.get_db_prep_save(f.pre_save(amendment, True), connection) for f in fields] for amendment in amendments]
    columns = _columns(ResultAmendment, [f.attname for f in fields])
    _copy(table=ResultAmendment._meta.db_table, columns=columns, rows=rows)


def _ids_reserve(model: type[models.Model], *, count: int) -> list[int]:
    """Return ``count`` new ids from the sequence of the model's table (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            # The sequence found once, not per row: 9 ms instead of 45 for 20 000 ids.
            "SELECT nextval(sequence) FROM pg_get_serial_sequence(%s, %s) AS sequence, generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row_id for (row_id,) in cursor.fetchall()]


def _copy(*, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write ``rows`` (the values of ``columns``, in order) into ``table`` with a binary COPY; return how many.

    The values are written as they are, not through the fields' ``get_db_prep_save``: they are plain numbers,
    text, booleans, decimals, UUIDs, aware datetimes, JSON as Django prepares it and None, which psycopg writes
    in the binary form of each column's type (read from the catalogue), as PostgreSQL stores them without parsing
    text. Rows may be made as they are sent: PostgreSQL stores those sent already while Python makes the next.
    """
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN (FORMAT binary)"
    written = 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.atttypid FROM unnest(%s::text[]) WITH ORDINALITY AS wanted(name, position) "
            "JOIN pg_attribute AS a ON a.attrelid = %s::regclass AND a.attname = wanted.name ORDER BY wanted.position",
            [list(columns), table],
        )
        types = [type_id for (type_id,) in cursor.fetchall()]
        if len(types) != len(columns):
            raise ValueError(f"{table} lacks some of the columns {', '.join(columns)}")
        with cursor.cursor.copy(statement) as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)
                written += 1
    return written


def _columns(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    """Return the columns of the model's ``fields``, named as attributes (``entry_id``, not ``entry``)."""
    by_attname = {f.attname: f.column for f in model._meta.concrete_fields if f.column}
    return [by_attname[name] for name in fields]


def _apply(result: Result, item: GradedResult) -> None:
    result.overall_score = item.overall
    result.grade = item.grade
    result.cefr_level = item.cefr_level
    result.certificate = item.certificate


def _scores_of(result_ids: Sequence[int]) -> tuple[dict[int, dict[str, int]], dict[tuple[int, str], int]]:
    """Return the stored scores per result and code, and each score row's id by (result id, code)."""
    scores: dict[int, dict[str, int]] = defaultdict(dict)
    row_ids: dict[tuple[int, str], int] = {}
    for queryset in _where_in(ComponentScore.objects.all(), field="result_id", values=result_ids):
        for row_id, result_id, code, score in queryset.values_list("pk", "result_id", "component__code", "score"):
            scores[result_id][code] = score
            row_ids[(result_id, code)] = row_id
    return scores, row_ids


def _amendments_notify(*, result_ids: list[int], now: dt.datetime) -> None:
    """Tell each candidate whose released result changed (one email per amended version)."""
    from .emails import outgoing_emails_create, outgoing_emails_dispatch

    email_ids = outgoing_emails_create(result_ids=result_ids, kind=OutgoingEmail.Kind.AMENDED, now=now)
    outgoing_emails_dispatch(email_ids=email_ids)


class _AnyOf(Lookup):  # type: ignore[type-arg]
    """``column = ANY(%s)`` with the values as one array parameter (PostgreSQL).

    Django writes ``IN (%s, %s, …)``, and psycopg then quotes every one of thousands of parameters in Python:
    that took longer than the queries themselves.
    """

    lookup_name = "any_of"
    prepare_rhs = False  # the right-hand side is a list, not one value of the column's type

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


def _where_in(queryset: QuerySet[M], *, field: str, values: Sequence[Any]) -> Iterator[QuerySet[M]]:
    """Yield querysets that together select the rows of ``queryset`` whose ``field`` is one of ``values``."""
    if not values:
        return
    if _postgresql():
        yield queryset.filter(_AnyOf(F(field), list(values)))
        return
    for chunk in chunks(values, LOOKUP_CHUNK_SIZE):  # SQLite limits the parameters of a query
        yield queryset.filter(**{f"{field}__in": chunk})


def _postgresql() -> bool:
    """Return whether to write with COPY and look up with arrays: not on SQLite (``make run``)."""
    return connection.vendor == "postgresql"
