"""Import of legacy results (``import_legacy_results FILE.csv``): raw paper marks graded through ``grading.legacy``.

The file has the columns of every results file, ``candidate_id,exam_code,session_date,component,score``: one line
per paper, ``component`` a paper code of the exam's legacy format in force on the session date (docs/domain.md
§6.4: ``paper1``…``paper5`` for First before 2015, ``reading``/``writing``/``listening``/``speaking`` for ICFE and
ILEC, ``paper1``/``paper2`` for Delta Module One) and ``score`` its raw mark. Every paper is needed. The papers are
weighted and added into the aggregate, graded with the session's aggregate thresholds and, where the format had
them, given a standardised score and a profile position per paper (docs/domain.md §6, §7). The thresholds and any
paper maximum that is not public are the board's (admin); a line that needs one the board has not entered is an
error naming it. Like every import: read through ``results_portal.csvimport``, every bad line reported as
``line N, column X``, nothing written unless every line is good; written, replaced or amended exactly as
``import_results`` writes (``results.importing``), so release, amendments and emails are the same.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from exams.formats import sitting_refusal
from exams.models import Component, Exam, ExamSession, GradeBoundaryTable
from grading.legacy import LegacyFormat, legacy_format, legacy_result
from grading.standardised import ProfileThresholds
from results_portal.csvimport import (
    ImportRejected,
    Problems,
    Progress,
    Record,
    RowError,
    check_date,
    check_text,
    cycle_collector_paused,
    error_text,
    read_records,
    results_limits,
)

from .importing import (
    AMENDED_BY_IMPORT,
    GradedResult,
    ImportEntry,
    ResultsImportSummary,
    UnitScore,
    entries_by_candidate_id,
    entry_problem,
    graded_results_write,
)
from .imports import (
    CANDIDATE_UNKNOWN,
    COMPONENT_REPEATED,
    COMPONENT_UNKNOWN,
    EXAM_UNKNOWN,
    RESULT_COLUMNS,
    SCORE_NOT_WHOLE,
)

NOT_LEGACY = _("%(exam)s on %(date)s is not graded from raw paper marks: import its scores with import_results")
NO_MAXIMUM = _(
    "the board has not entered the maximum mark of %(paper)s of %(exam)s: enter it on the exam's page in the admin"
)
MARK_OUT_OF_RANGE = _("mark %(value)d is out of range for %(paper)s (0–%(maximum)d)")
PAPERS_MISSING = _("Candidate ID %(candidate_id)s has no mark for %(missing)s: every paper of %(exam)s is needed")
NO_AGGREGATE_THRESHOLDS = _(
    "the board has not entered the aggregate grade thresholds of %(session)s: enter them in the admin "
    "(grade boundaries, aggregate)"
)
NO_PROFILE_THRESHOLDS = _(
    "the board has not entered the profile thresholds of %(session)s: enter them in the admin "
    "(grade boundaries, profile)"
)
NOT_GRADABLE = _("Candidate ID %(candidate_id)s cannot be graded: %(problem)s")


@dataclass
class _Marks:
    entry: ImportEntry
    fmt: LegacyFormat
    first_line: int
    marks: dict[str, tuple[int, int]] = field(default_factory=dict)


def legacy_results_import(
    *,
    text: str,
    actor: User | None = None,
    reason: str = AMENDED_BY_IMPORT,
    progress: Callable[[int, int], None] | None = None,
    now: dt.datetime | None = None,
) -> ResultsImportSummary:
    """Check a legacy results file line by line, grade it through ``grading.legacy`` and write it in one transaction.

    Raise ``ImportRejected`` listing every bad line and write nothing if anything is wrong.
    """
    moment = now or timezone.now()
    with cycle_collector_paused():
        records = read_records(text=text, columns=RESULT_COLUMNS, limits=results_limits())
        tracker = Progress(progress, total=2 * len(records))
        graded = _graded(records=records, tracker=tracker)
        summary = graded_results_write(graded=graded, actor=actor, reason=reason, now=moment, tracker=tracker)
    tracker.advance(0, force=True)
    return summary


def _graded(*, records: list[Record], tracker: Progress) -> list[GradedResult]:
    errors = Problems()
    entries = entries_by_candidate_id({r.values["candidate_id"].strip().upper() for r in records})
    exams = {exam.code: exam for exam in Exam.objects.all()}
    papers = {(c.exam_id, c.code): c for c in Component.objects.filter(kind=Component.Kind.PAPER)}
    by_entry: dict[int, _Marks] = {}
    seen: dict[tuple[int, str], int] = {}
    for record in records:
        tracker.advance()
        values = {
            name: check_text(record=record, column=name, required=True, max_length=40, errors=errors)
            for name in ("candidate_id", "exam_code", "component", "score")
        }
        session_date = check_date(record=record, column="session_date", errors=errors)
        if None in values.values() or session_date is None:
            continue
        candidate_id, code = str(values["candidate_id"]).upper(), str(values["exam_code"]).upper()
        exam = exams.get(code)
        if exam is None:
            errors.append(RowError(record.line, "exam_code", error_text(EXAM_UNKNOWN, code=code)))
            continue
        fmt = legacy_format(exam_code=exam.code, session_date=session_date)
        if fmt is None:
            # A sitting before the Cambridge English Scale with no legacy format: no import takes it (§6.4).
            message = sitting_refusal(exam=exam, on=session_date) or error_text(
                NOT_LEGACY, exam=exam.name, date=session_date.isoformat()
            )
            errors.append(RowError(record.line, "session_date", message))
            continue
        entry = entries.get(candidate_id)
        if entry is None:
            errors.append(
                RowError(record.line, "candidate_id", error_text(CANDIDATE_UNKNOWN, candidate_id=candidate_id))
            )
            continue
        problem = entry_problem(entry=entry, exam=exam, session_date=session_date, candidate_id=candidate_id)
        if problem is not None:
            errors.append(RowError(record.line, *problem))
            continue
        paper_code = str(values["component"]).lower()
        paper = papers.get((exam.pk, paper_code))
        if paper is None or paper_code not in {p.code for p in fmt.papers}:
            listed = ", ".join(p.code for p in fmt.papers)
            message = error_text(COMPONENT_UNKNOWN, value=paper_code, exam=exam.name, components=listed)
            errors.append(RowError(record.line, "component", message))
            continue
        if paper.max_mark is None:
            errors.append(RowError(record.line, "component", error_text(NO_MAXIMUM, paper=paper.name, exam=exam.name)))
            continue
        mark = _mark(record=record, raw=str(values["score"]), paper=paper, errors=errors)
        if mark is None:
            continue
        if (entry.pk, paper_code) in seen:
            message = error_text(
                COMPONENT_REPEATED, component=paper_code, candidate_id=candidate_id, line=seen[(entry.pk, paper_code)]
            )
            errors.append(RowError(record.line, "component", message))
            continue
        seen[(entry.pk, paper_code)] = record.line
        item = by_entry.setdefault(entry.pk, _Marks(entry=entry, fmt=fmt, first_line=record.line))
        item.marks[paper_code] = (mark, int(paper.max_mark))
    graded = _grade(items=by_entry.values(), errors=errors)
    if errors:
        raise ImportRejected(errors)
    return graded


def _mark(*, record: Record, raw: str, paper: Component, errors: Problems) -> int | None:
    try:
        value = int(raw)
    except ValueError:
        errors.append(RowError(record.line, "score", error_text(SCORE_NOT_WHOLE, value=raw)))
        return None
    maximum = int(paper.max_mark or 0)
    if not 0 <= value <= maximum:
        message = error_text(MARK_OUT_OF_RANGE, value=value, paper=paper.name, maximum=maximum)
        errors.append(RowError(record.line, "score", message))
        return None
    return value


def _thresholds(sessions: set[ExamSession]) -> dict[tuple[int, str], list[list[str]]]:
    """Return the session-wide boundary table in force (the newest version) per (session id, kind)."""
    tables = GradeBoundaryTable.objects.filter(
        session__in=list(sessions),
        component__isnull=True,
        kind__in=[GradeBoundaryTable.Kind.AGGREGATE, GradeBoundaryTable.Kind.PROFILE],
    ).order_by("session_id", "kind", "-version")
    found: dict[tuple[int, str], list[list[str]]] = {}
    for table in tables:
        found.setdefault((table.session_id, table.kind), table.boundaries)
    return found


def _grade(*, items: Iterable[_Marks], errors: Problems) -> list[GradedResult]:
    items = list(items)
    tables = _thresholds({item.entry.session for item in items})
    graded = []
    for item in items:
        session, exam = item.entry.session, item.entry.session.exam
        missing = [p.code for p in item.fmt.papers if p.code not in item.marks]
        if missing:
            message = error_text(
                PAPERS_MISSING, candidate_id=item.entry.candidate_id, missing=", ".join(missing), exam=exam.name
            )
            errors.append(RowError(item.first_line, "component", message))
            continue
        aggregate_table = tables.get((session.pk, GradeBoundaryTable.Kind.AGGREGATE))
        if aggregate_table is None:
            errors.append(
                RowError(item.first_line, "session_date", error_text(NO_AGGREGATE_THRESHOLDS, session=str(session)))
            )
            continue
        profile_table = tables.get((session.pk, GradeBoundaryTable.Kind.PROFILE))
        if item.fmt.profile and profile_table is None:
            errors.append(
                RowError(item.first_line, "session_date", error_text(NO_PROFILE_THRESHOLDS, session=str(session)))
            )
            continue
        try:
            profile = None
            if item.fmt.profile and profile_table is not None:
                minima = {str(label).lower(): int(minimum) for label, minimum in profile_table}
                profile = ProfileThresholds(
                    exceptional=minima["exceptional"], good=minima["good"], borderline=minima["borderline"]
                )
            result = legacy_result(
                fmt=item.fmt,
                marks=item.marks,
                thresholds=[(str(label), Fraction(str(minimum))) for label, minimum in aggregate_table],
                profile=profile,
            )
        except (ValueError, KeyError, ArithmeticError) as error:
            message = error_text(NOT_GRADABLE, candidate_id=item.entry.candidate_id, problem=str(error))
            errors.append(RowError(item.first_line, "session_date", message))
            continue
        graded.append(
            GradedResult(
                entry=item.entry,
                first_line=item.first_line,
                unitised=False,
                scores={paper.code: paper.mark for paper in result.papers},
                # A paper's profile position is written where a unit's grade is (ComponentScore.unit_grade).
                units={
                    paper.code: UnitScore(ums=None, grade=paper.profile, tariff=None, marks=0, absent=False)
                    for paper in result.papers
                    if paper.profile is not None
                },
                overall=result.standardised,
                grade=result.grade,
                cefr_level=result.cefr_level,
                certificate=result.certificate,
            )
        )
    return graded
