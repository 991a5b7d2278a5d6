"""Import of results (``import_results FILE.csv``, docs/domain.md §14): validate everything, then write in bulk.

Columns ``candidate_id,exam_code,session_date,component,score``: one line per component score. For a
scale-score exam ``component`` is a paper or skill of the exam's format in force on the session date
(``grading.scale.scale_exam``) with its scale score, and every one is needed; for a unitised qualification it is a
unit code the student is entered for in that series, with its raw mark (NEA: the number of assessment criteria
achieved), converted to UMS through the series' boundaries. The optional ``status`` column (empty, ``absent``,
``pending``, ``withheld``) replaces the score of a line (docs/domain.md §4.2, §4.3). Optional columns
``consideration_tariff,consideration_marks,absent`` record special consideration for the centre's report.
A result not yet released is replaced by a re-import; a released one is amended (kept in history,
candidate told).

On PostgreSQL results, component scores and amendments are written with COPY (replaced results through a
temporary table), and look-ups by thousands of keys use ``= ANY(array)``: Django's per-value SQL for
``bulk_create``/``bulk_update`` and ``IN`` lists took most of the import's time. Other databases (SQLite for
``make run``) take the ORM's path; both store the same rows (results/tests/test_import_copy.py).
"""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple, TypeVar

from django.db import connection, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Lookup, QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import audit_record
from centres.imports import CANDIDATE_ID_INVALID, candidate_id_well_formed
from centres.models import Entry
from exams.formats import sitting_refusal
from exams.models import Component, Exam, ExamSession
from exams.selectors import series_label, unit_boundaries
from grading.legacy import legacy_format
from grading.scale import (
    RESULT_ABSENT_ALL,
    RESULT_ABSENT_PART,
    RESULT_PENDING,
    RESULT_WITHHELD,
    ScaleExam,
    scale_exam,
    scale_result,
)
from results_portal.csvimport import (
    ImportRejected,
    Problems,
    Progress,
    Record,
    RowError,
    check_date,
    check_text,
    chunks,
    error_text,
    read_records,
    results_limits,
)

from .events import result_event_record
from .models import ComponentScore, OutgoingEmail, Result, ResultAmendment, ResultEvent
from .release import release_instants, seen_by_anyone
from .unitised import (
    NO_BOUNDARIES,
    NOT_ENTERED_FOR_UNIT,
    RAW_OUT_OF_RANGE,
    entered_units,
    qualifications_refresh,
    unit_score_grade,
)

M = TypeVar("M", bound=models.Model)

RESULT_COLUMNS = ("candidate_id", "exam_code", "session_date", "component", "score")
OPTIONAL_COLUMNS = ("consideration_tariff", "consideration_marks", "absent", "status")
# The ``status`` column: a line without a score (docs/domain.md §4.2, §4.3).
ABSENT, PENDING, WITHHELD = "absent", "pending", "withheld"
STATUSES = (ABSENT, PENDING, WITHHELD)
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

CANDIDATE_UNKNOWN = _("unknown Candidate ID %(candidate_id)s")
CANDIDATE_WITHDRAWN = _("Candidate ID %(candidate_id)s is withdrawn from this exam")
EXAM_UNKNOWN = _("unknown exam %(code)s")
EXAM_MISMATCH = _("Candidate ID %(candidate_id)s is entered for %(exam)s, not %(code)s")
SESSION_MISMATCH = _("Candidate ID %(candidate_id)s sat %(exam)s on %(date)s, not on %(given)s")
TARIFF_INVALID = _("'%(value)s' is not a special consideration tariff (a percentage from 0 to 5, e.g. 2.5)")
ABSENT_INVALID = _("'%(value)s' is not yes or no")
COMPONENT_UNKNOWN = _("'%(value)s' is not a component of %(exam)s (its components are %(components)s)")
COMPONENT_REPEATED = _("a %(component)s score for Candidate ID %(candidate_id)s is also on line %(line)d")
COMPONENTS_MISSING = _("Candidate ID %(candidate_id)s has no %(missing)s score: every component of %(exam)s is needed")
SCORE_NOT_WHOLE = _("'%(value)s' is not a whole number")
SCORE_OUT_OF_RANGE = _("score %(value)d is out of range for %(exam)s (0–%(maximum)d)")
LEGACY_SITTING = _("%(exam)s on %(date)s is graded from raw paper marks: import its papers with import_legacy_results")
STATUS_INVALID = _("'%(value)s' is not a status: leave it empty, or write absent, pending or withheld")
SCORE_WITH_STATUS = _("a line with status %(status)s has no score: leave the score empty")
SCORE_REQUIRED = _("a score is needed, or a status: absent, pending or withheld")
AMENDED_BY_IMPORT = "corrected results file imported"


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
class _UnitScore:
    ums: int
    grade: str
    tariff: Decimal | None
    marks: int
    absent: bool  # calculated for absence (special consideration)
    not_sat: bool = False  # absent from the unit: 0 UMS, counted (docs/domain.md §4.3, '#')


class _Entry(NamedTuple):
    """What the import needs of an entry: 20 000 ``Entry`` models take longer to build than to fetch."""

    pk: int
    candidate_id: str
    status: str
    person_id: int
    session: ExamSession


class _ResultRow(NamedTuple):
    """A new result as written: every concrete field of ``Result``, named as the model names them."""

    id: int | None
    public_id: uuid.UUID
    entry_id: int
    status: str
    overall_score: int | None
    grade: str
    cefr_level: str
    certificate: bool
    ready_at: dt.datetime
    released_at: dt.datetime | None
    centre_released_at: dt.datetime | None
    version: int
    amended_at: dt.datetime | None
    hold_reason: str
    qualification: Any


class _ScoreRow(NamedTuple):
    """A component score as written: the fields of ``ComponentScore`` but its id, named as the model names them."""

    result_id: int
    component_id: int
    score: int
    ums: int | None
    unit_grade: str
    consideration_tariff: Decimal | None
    consideration_marks: int
    calculated_for_absence: bool
    absent: bool


@dataclass
class _Graded:
    entry: _Entry
    first_line: int
    unitised: bool
    scores: dict[str, int] = field(default_factory=dict)
    attempted: set[str] = field(default_factory=set)
    statuses: dict[str, str] = field(default_factory=dict)  # component → absent / pending / withheld
    units: dict[str, _UnitScore] = field(default_factory=dict)
    overall: int | None = None
    grade: str = ""
    cefr_level: str = ""
    certificate: bool = False
    result_id: int = 0  # known once the result is written


def results_import(
    *,
    text: str,
    actor: User | None = None,
    reason: str = AMENDED_BY_IMPORT,
    progress: Callable[[int, int], None] | None = None,
    now: dt.datetime | None = None,
) -> ResultsImportSummary:
    """Check a results file line by line, grade it through ``grading/`` and write it in one transaction.

    Raise ``ImportRejected`` listing every bad line and write nothing if anything is wrong.
    """
    moment = now or timezone.now()
    records = read_records(text=text, columns=RESULT_COLUMNS, optional=OPTIONAL_COLUMNS, limits=results_limits())
    tracker = Progress(progress, total=2 * len(records))
    graded = _parse_and_check(records=records, tracker=tracker)
    for item in graded:
        if not item.unitised:
            _grade(item)
    summary = _write(graded=graded, actor=actor, reason=reason, now=moment, tracker=tracker)
    tracker.advance(0, force=True)
    return summary


def _parse_and_check(*, records: list[Record], tracker: Progress) -> list[_Graded]:
    errors = Problems()
    entries = _entries_by_candidate_id({r.values["candidate_id"].strip().upper() for r in records})
    exams = {e.code: e for e in Exam.objects.all()}
    components = _components_by_exam()
    units = {(c.exam_id, c.code): c for c in Component.objects.filter(exam__family=Exam.Family.UNITISED)}
    unitised_entries = [e for e in entries.values() if e.session.exam.family == Exam.Family.UNITISED]
    entered = entered_units(entry_ids=[e.pk for e in unitised_entries])
    boundaries = unit_boundaries(sessions={e.session for e in unitised_entries})
    by_entry: dict[int, _Graded] = {}
    seen: dict[tuple[int, str], int] = {}
    dates: dict[str, dt.date] = {}  # a file holds a few session dates, each on thousands of lines
    formats: dict[tuple[str, dt.date], ScaleExam] = {}
    for record in records:
        tracker.advance()
        line = record.line
        values = {
            name: check_text(record=record, column=name, required=True, max_length=40, errors=errors)
            for name in ("candidate_id", "exam_code", "component")
        }
        status = _status(record=record, errors=errors)
        values["score"] = _score_text(record=record, status=status, errors=errors)
        session_date = dates.get(record.values["session_date"])
        if session_date is None:
            session_date = check_date(record=record, column="session_date", errors=errors)
            if session_date is not None:
                dates[record.values["session_date"]] = session_date
        if None in values.values() or session_date is None:
            continue
        candidate_id, code = str(values["candidate_id"]).upper(), str(values["exam_code"]).upper()
        if not candidate_id_well_formed(candidate_id):
            errors.append(
                RowError(line, "candidate_id", error_text(CANDIDATE_ID_INVALID, value=values["candidate_id"]))
            )
            continue
        entry = entries.get(candidate_id)
        exam = exams.get(code)
        if exam is None:
            errors.append(RowError(line, "exam_code", error_text(EXAM_UNKNOWN, code=code)))
            continue
        if entry is None:
            errors.append(RowError(line, "candidate_id", error_text(CANDIDATE_UNKNOWN, candidate_id=candidate_id)))
            continue
        problem = _entry_problem(entry=entry, exam=exam, session_date=session_date, candidate_id=candidate_id)
        if problem is not None:
            errors.append(RowError(line, *problem))
            continue
        if legacy_format(exam_code=exam.code, session_date=session_date) is not None:  # docs/domain.md §6.5
            message = error_text(LEGACY_SITTING, exam=exam.name, date=session_date.isoformat())
            errors.append(RowError(line, "session_date", message))
            continue
        # docs/domain.md §6.4: a sitting before the Cambridge English Scale that no legacy format grades.
        before_the_scale = sitting_refusal(exam=exam, on=session_date)
        if before_the_scale is not None:
            errors.append(RowError(line, "session_date", before_the_scale))
            continue
        unitised = exam.family == Exam.Family.UNITISED
        component = str(values["component"])
        component = component.upper() if unitised else component.lower()
        known = components[exam.pk] if unitised else _format(formats, exam=exam, on=session_date).skills
        if component not in known:
            listed = ", ".join(known)
            message = error_text(COMPONENT_UNKNOWN, value=component, exam=exam.name, components=listed)
            errors.append(RowError(line, "component", message))
            continue
        if unitised and component not in entered.get(entry.pk, set()):
            message = error_text(NOT_ENTERED_FOR_UNIT, candidate_id=candidate_id, unit=component)
            errors.append(RowError(line, "component", message))
            continue
        item = by_entry.get(entry.pk)
        if item is None:
            item = by_entry[entry.pk] = _Graded(entry=entry, first_line=line, unitised=unitised)
        item.attempted.add(component)
        unit = units.get((exam.pk, component))
        if status == ABSENT and unit is not None:
            score: int | None = 0  # an absent unit counts 0 (docs/domain.md §4.3)
        elif status:
            score = None
        else:
            score = _score(
                record=record, raw=str(values["score"]), exam=exam, on=session_date, unit=unit, errors=errors
            )
            if score is None:
                continue
        if unit is not None and score is not None:
            unit_score = _unit_score(
                record=record, unit=unit, raw=score, session=entry.session, boundaries=boundaries, errors=errors
            )
            if unit_score is None:
                continue
            if status == ABSENT:
                unit_score = _UnitScore(0, "", unit_score.tariff, unit_score.marks, unit_score.absent, not_sat=True)
            item.units[component] = unit_score
        if (entry.pk, component) in seen:
            message = error_text(
                COMPONENT_REPEATED, component=component, candidate_id=candidate_id, line=seen[(entry.pk, component)]
            )
            errors.append(RowError(line, "component", message))
            continue
        seen[(entry.pk, component)] = line
        if status:
            item.statuses[component] = status
        if score is not None:
            item.scores[component] = score
    for item in by_entry.values():
        exam = item.entry.session.exam
        if item.unitised or {PENDING, WITHHELD} & set(item.statuses.values()):
            continue  # a result to follow or withheld needs no line per paper
        skills = _format(formats, exam=exam, on=item.entry.session.date).skills
        missing = [c for c in skills if c not in item.attempted]
        if missing:
            message = error_text(
                COMPONENTS_MISSING, candidate_id=item.entry.candidate_id, missing=", ".join(missing), exam=exam.name
            )
            errors.append(RowError(item.first_line, "component", message))
    if errors:
        raise ImportRejected(errors)
    return list(by_entry.values())


def _format(formats: dict[tuple[str, dt.date], ScaleExam], *, exam: Exam, on: dt.date) -> ScaleExam:
    """Return the exam's format in force on ``on`` (a file holds a few session dates, each on thousands of lines)."""
    found = formats.get((exam.code, on))
    if found is None:
        found = formats[(exam.code, on)] = scale_exam(exam.code, on=on)
    return found


def _status(*, record: Record, errors: Problems) -> str | None:
    """Return the line's status ('' for a score), or None after recording why it is not one."""
    status = record.values["status"].strip().lower()
    if status and status not in STATUSES:
        errors.append(RowError(record.line, "status", error_text(STATUS_INVALID, value=record.values["status"])))
        return None
    return status


def _score_text(*, record: Record, status: str | None, errors: Problems) -> str | None:
    """Return the line's score text ('' with a status), or None after recording why it is wrong."""
    if status is None:
        return None
    raw = record.values["score"].strip()
    if status and raw:
        errors.append(RowError(record.line, "score", error_text(SCORE_WITH_STATUS, status=status)))
        return None
    if not status and not raw:
        errors.append(RowError(record.line, "score", error_text(SCORE_REQUIRED)))
        return None
    return raw


def _entries_by_candidate_id(candidate_ids: set[str]) -> dict[str, _Entry]:
    rows = [
        row
        for queryset in _where_in(Entry.objects.order_by(), field="candidate_id", values=sorted(candidate_ids))
        for row in queryset.values_list("pk", "candidate_id", "status", "person_id", "session_id")
    ]
    sessions = ExamSession.objects.select_related("exam").in_bulk({session_id for *_, session_id in rows})
    return {
        candidate_id: _Entry(pk, candidate_id, status, person_id, sessions[session_id])
        for pk, candidate_id, status, person_id, session_id in rows
    }


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


def _components_by_exam() -> dict[int, list[str]]:
    by_exam: dict[int, list[str]] = defaultdict(list)
    # Papers are the legacy format's (docs/domain.md §6.4), imported by results.legacy, never with scale scores.
    papers = Component.objects.exclude(kind=Component.Kind.PAPER)
    for exam_id, code in papers.order_by("exam_id", "order").values_list("exam_id", "code"):
        by_exam[exam_id].append(code)
    return by_exam


def _entry_problem(*, entry: _Entry, exam: Exam, session_date: dt.date, candidate_id: str) -> tuple[str, str] | None:
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


def _score(
    *, record: Record, raw: str, exam: Exam, on: dt.date, unit: Component | None, errors: Problems
) -> int | None:
    try:
        value = int(raw)
    except ValueError:
        errors.append(RowError(record.line, "score", error_text(SCORE_NOT_WHOLE, value=raw)))
        return None
    if unit is not None:
        maximum = int(unit.max_mark or 0)
        if not 0 <= value <= maximum:
            message = error_text(RAW_OUT_OF_RANGE, value=value, unit=unit.code, maximum=maximum)
            errors.append(RowError(record.line, "score", message))
            return None
        return value
    # Refused, never capped (docs/domain.md §5.7): the top of the range of the format in force on the session date.
    maximum = scale_exam(exam.code, on=on).reported_max
    if not 0 <= value <= maximum:
        errors.append(
            RowError(
                record.line, "score", error_text(SCORE_OUT_OF_RANGE, value=value, exam=exam.name, maximum=maximum)
            )
        )
        return None
    return value


def _unit_score(
    *,
    record: Record,
    unit: Component,
    raw: int,
    session: ExamSession,
    boundaries: dict[tuple[int, int], list[int]],
    errors: Problems,
) -> _UnitScore | None:
    """Return the unit's UMS and grade with any special consideration, or None after recording why not."""
    raw_boundaries = boundaries.get((session.pk, unit.pk))
    if raw_boundaries is None:
        message = error_text(NO_BOUNDARIES, unit=unit.code, series=series_label(session))
        errors.append(RowError(record.line, "component", message))
        return None
    tariff_text = record.values["consideration_tariff"]
    tariff = None
    if tariff_text:
        try:
            tariff = Decimal(tariff_text)
        except InvalidOperation:
            tariff = None
        if tariff is None or not Decimal(0) <= tariff <= Decimal(5):
            errors.append(RowError(record.line, "consideration_tariff", error_text(TARIFF_INVALID, value=tariff_text)))
            return None
    marks_text = record.values["consideration_marks"] or "0"
    if not marks_text.isdigit():
        errors.append(RowError(record.line, "consideration_marks", error_text(SCORE_NOT_WHOLE, value=marks_text)))
        return None
    absent_text = record.values["absent"].lower()
    if absent_text not in {"", "yes", "no", "y", "n", "true", "false", "1", "0"}:
        errors.append(RowError(record.line, "absent", error_text(ABSENT_INVALID, value=absent_text)))
        return None
    ums, grade = unit_score_grade(unit=unit, raw=raw, raw_boundaries=raw_boundaries)
    return _UnitScore(ums, grade, tariff, int(marks_text), absent_text in {"yes", "y", "true", "1"})


def _grade(item: _Graded) -> None:
    statuses = set(item.statuses.values())
    indicator = ""
    if WITHHELD in statuses:
        indicator = RESULT_WITHHELD
    elif PENDING in statuses:
        indicator = RESULT_PENDING
    elif ABSENT in statuses:
        indicator = RESULT_ABSENT_PART if item.scores else RESULT_ABSENT_ALL
    if indicator:
        # No overall score, no certificate, and no score per paper: the board gives none with these results.
        item.scores = {}
        item.overall, item.grade, item.cefr_level, item.certificate = None, indicator, "", False
        return
    session = item.entry.session
    graded = scale_result(exam_code=session.exam.code, on=session.date, scores=item.scores)
    item.overall = graded.overall
    item.grade = graded.result
    item.cefr_level = graded.cefr_level or ""
    item.certificate = graded.certificate


def _snapshot(*, overall: int | None, grade: str, cefr_level: str, scores: dict[str, int]) -> dict[str, Any]:
    return {
        "overall_score": overall,
        "grade": grade,
        "cefr_level": cefr_level,
        "components": dict(sorted(scores.items())),
    }


@transaction.atomic
def _write(
    *, graded: list[_Graded], actor: User | None, reason: str, now: dt.datetime, tracker: Progress
) -> ResultsImportSummary:
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

    created: list[_Graded] = []
    updated: list[Result] = []
    amendments: list[ResultAmendment] = []
    rescored: list[_Graded] = []
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
    scores = [
        _score_row(
            result_id=item.result_id,
            component_id=component_ids[(item.entry.session.exam_id, code)],
            score=score,
            unit=item.units.get(code),
        )
        for item in rescored
        for code, score in item.scores.items()
        if not item.unitised or code in item.units
    ]
    _scores_create(rows=scores, tracker=tracker)
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


def _results_create(*, items: list[_Graded], now: dt.datetime) -> None:
    """Write a new result for each item, ready ``now``, and note its id on the item."""
    if not items:
        return
    blank = Result()  # the model's defaults for what an import does not set: status, version, hold reason…
    rows = []
    for item in items:
        instants = release_instants(session=item.entry.session, ready_at=now)
        rows.append(
            _ResultRow(
                id=None,
                public_id=uuid.uuid4(),  # as the field's default does, one per row
                entry_id=item.entry.pk,
                status=blank.status,
                overall_score=item.overall,
                grade=item.grade,
                cefr_level=item.cefr_level,
                certificate=item.certificate,
                ready_at=now,
                released_at=instants.candidate,
                centre_released_at=instants.centre,
                version=blank.version,
                amended_at=blank.amended_at,
                hold_reason=blank.hold_reason,
                qualification=blank.qualification,
            )
        )
    if _postgresql():
        # COPY cannot hand back the ids it gives, so they are taken from the table's sequence beforehand.
        ids = _ids_reserve(Result, count=len(rows))
        with_ids = [row._replace(id=result_id) for row, result_id in zip(rows, ids, strict=True)]
        _copy(table=Result._meta.db_table, columns=_columns(Result, _ResultRow._fields), rows=with_ids)
    else:
        results = Result.objects.bulk_create([Result(**row._asdict()) for row in rows], batch_size=WRITE_BATCH_SIZE)
        ids = [result.pk for result in results]
    for item, result_id in zip(items, ids, strict=True):
        item.result_id = result_id


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


def _score_row(*, result_id: int, component_id: int, score: int, unit: _UnitScore | None) -> _ScoreRow:
    if unit is None:  # a skill of a scale-score exam: the model's defaults
        return _ScoreRow(result_id, component_id, score, None, "", None, 0, False, False)
    return _ScoreRow(
        result_id, component_id, score, unit.ums, unit.grade, unit.tariff, unit.marks, unit.absent, unit.not_sat
    )


def _scores_create(*, rows: list[_ScoreRow], tracker: Progress) -> None:
    if not rows:
        return
    if _postgresql():
        # One COPY, with progress told once it is done: it takes a fraction of a second, and the connection
        # can run nothing else (a progress callback's query, say) while it is open.
        _copy(table=ComponentScore._meta.db_table, columns=_columns(ComponentScore, _ScoreRow._fields), rows=rows)
        tracker.advance(len(rows))
        return
    for batch in chunks(rows, WRITE_BATCH_SIZE):
        ComponentScore.objects.bulk_create([ComponentScore(**row._asdict()) for row in batch])
        tracker.advance(len(batch))


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


def _copy(*, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Write ``rows`` (the values of ``columns``, in order) into ``table`` with COPY FROM STDIN.

    The values are written as they are, not through the fields' ``get_db_prep_save``: they are plain numbers,
    text, booleans, decimals, UUIDs, aware datetimes and None, which psycopg writes as Django would.
    """
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _columns(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    """Return the columns of the model's ``fields``, named as attributes (``entry_id``, not ``entry``)."""
    by_attname = {f.attname: f.column for f in model._meta.concrete_fields if f.column}
    return [by_attname[name] for name in fields]


def _apply(result: Result, item: _Graded) -> None:
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
