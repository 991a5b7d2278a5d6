"""Import of results (``import_results FILE.csv``, docs/domain.md §14): validate everything, then write in bulk.

Columns ``candidate_id,exam_code,session_date,component,score``: one line per component score. For a
scale-score exam ``component`` is a paper or skill of the exam's format in force on the session date
(``grading.scale.scale_exam``) with its scale score, and every one is needed; for a unitised qualification it is a
unit code the student is entered for in that series, with its raw mark (NEA: the number of assessment criteria
achieved), converted to UMS through the series' boundaries. The optional ``status`` column (empty, ``absent``,
``pending``, ``withheld``) replaces the score of a line (docs/domain.md §4.2, §4.3). Optional columns
``consideration_tariff,consideration_marks,absent`` record special consideration for the centre's report.
A result not yet released is replaced by a re-import; a released one is amended (kept in history,
candidate told): ``results.importing`` writes, as it does for ``import_legacy_results``.

A file holds a few sittings (an exam on a session date), each on thousands of lines: what a sitting's lines may
name and how they are graded (legacy or not, the format in force, its top score) is looked up once per sitting
(``_Sitting``), and a result is graded in whole numbers with that format (``grading.scale.scale_grade``).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from centres.imports import CANDIDATE_ID_INVALID, candidate_id_well_formed
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
    scale_grade,
)
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
from .unitised import (
    NO_BOUNDARIES,
    NOT_ENTERED_FOR_UNIT,
    RAW_OUT_OF_RANGE,
    entered_units,
    unit_score_grade,
)

RESULT_COLUMNS = ("candidate_id", "exam_code", "session_date", "component", "score")
OPTIONAL_COLUMNS = ("consideration_tariff", "consideration_marks", "absent", "status")
# The ``status`` column: a line without a score (docs/domain.md §4.2, §4.3).
ABSENT, PENDING, WITHHELD = "absent", "pending", "withheld"
STATUSES = (ABSENT, PENDING, WITHHELD)

CANDIDATE_UNKNOWN = _("unknown Candidate ID %(candidate_id)s")
EXAM_UNKNOWN = _("unknown exam %(code)s")
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


class _Sitting(NamedTuple):
    """An exam on one session date, as the import reads its lines: looked up once, not once per line."""

    legacy: bool  # graded from raw paper marks: its papers are imported with import_legacy_results
    components: list[str]  # what a line's component may be: the format's skills, or the exam's unit codes
    scale: ScaleExam | None  # the format in force on the date (scale-score exams)
    refusal: str | None = None  # why its results cannot be imported at all (docs/domain.md §6.4), else None


class _Target(NamedTuple):
    """Whom and what a line is about: its Candidate ID's entry, which fits the line's exam and session date."""

    candidate_id: str
    entry: ImportEntry
    exam: Exam
    sitting: _Sitting
    unitised: bool


@dataclass
class _Known:
    """What the lines of a file are checked against, read from the database once per import.

    A file holds a few sittings and each candidate on several lines: who and what a line is about is worked out
    once per (Candidate ID, exam code, session date) as written, and a sitting once per (exam, session date).
    """

    entries: dict[str, ImportEntry]
    exams: dict[str, Exam]
    components: dict[int, list[str]]  # each exam's components but legacy papers, in order
    sittings: dict[tuple[int, dt.date], _Sitting] = field(default_factory=dict)
    # By (Candidate ID, exam code, session date) as written on a line, once those three are well formed.
    targets: dict[tuple[str, str, str], _Target | tuple[str, str]] = field(default_factory=dict)

    def target(
        self, written: tuple[str, str, str], *, candidate_text: str, code_text: str, session_date: dt.date
    ) -> _Target | tuple[str, str]:
        """Return whom and what a line is about, or (column, message) when its values do not fit; kept under
        ``written`` for the lines that follow."""
        found = self.targets[written] = self._target(candidate_text, code_text, session_date)
        return found

    def sitting(self, *, exam: Exam, on: dt.date) -> _Sitting:
        """Return how lines of ``exam`` on the session date ``on`` are read and graded."""
        found = self.sittings.get((exam.pk, on))
        if found is None:
            found = self.sittings[(exam.pk, on)] = _sitting(exam=exam, on=on, components=self.components)
        return found

    def _target(self, candidate_text: str, code_text: str, session_date: dt.date) -> _Target | tuple[str, str]:
        candidate_id, code = candidate_text.upper(), code_text.upper()
        if not candidate_id_well_formed(candidate_id):
            return "candidate_id", error_text(CANDIDATE_ID_INVALID, value=candidate_text)
        entry = self.entries.get(candidate_id)
        exam = self.exams.get(code)
        if exam is None:
            return "exam_code", error_text(EXAM_UNKNOWN, code=code)
        if entry is None:
            return "candidate_id", error_text(CANDIDATE_UNKNOWN, candidate_id=candidate_id)
        problem = entry_problem(entry=entry, exam=exam, session_date=session_date, candidate_id=candidate_id)
        if problem is not None:
            return problem
        sitting = self.sitting(exam=exam, on=session_date)
        if sitting.legacy:  # docs/domain.md §6.5
            return "session_date", error_text(LEGACY_SITTING, exam=exam.name, date=session_date.isoformat())
        if sitting.refusal is not None:  # docs/domain.md §6.4: before the scale, and no legacy format grades it
            return "session_date", sitting.refusal
        return _Target(candidate_id, entry, exam, sitting, exam.family == Exam.Family.UNITISED)


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
    with cycle_collector_paused():
        records = read_records(text=text, columns=RESULT_COLUMNS, optional=OPTIONAL_COLUMNS, limits=results_limits())
        tracker = Progress(progress, total=2 * len(records))
        graded, sittings = _parse_and_check(records=records, tracker=tracker)
        for item in graded:
            if not item.unitised:
                session = item.entry.session
                _grade(item, scale=sittings[(session.exam_id, session.date)].scale)
        summary = graded_results_write(graded=graded, actor=actor, reason=reason, now=moment, tracker=tracker)
    tracker.advance(0, force=True)
    return summary


def _parse_and_check(
    *, records: list[Record], tracker: Progress
) -> tuple[list[GradedResult], dict[tuple[int, dt.date], _Sitting]]:
    """Return each entry's result to be graded, and the sittings the file holds by (exam id, session date).

    Raise ``ImportRejected`` with every problem found when a line is wrong.
    """
    errors = Problems()
    known = _Known(
        entries=entries_by_candidate_id({r.values["candidate_id"].strip().upper() for r in records}),
        exams={e.code: e for e in Exam.objects.all()},
        components=_components_by_exam(),
    )
    units = {(c.exam_id, c.code): c for c in Component.objects.filter(exam__family=Exam.Family.UNITISED)}
    unitised_entries = [e for e in known.entries.values() if e.session.exam.family == Exam.Family.UNITISED]
    entered = entered_units(entry_ids=[e.pk for e in unitised_entries])
    boundaries = unit_boundaries(sessions={e.session for e in unitised_entries})
    by_entry: dict[int, GradedResult] = {}
    seen: dict[tuple[int, str], int] = {}
    for record in records:
        tracker.advance()
        line, values = record.line, record.values
        # Problems are reported column by column (Candidate ID, exam, component, status, score, session date), then
        # the line's first other problem.
        written = (values["candidate_id"], values["exam_code"], values["session_date"])
        target = known.targets.get(written)
        if target is not None:  # the Candidate ID, exam and session date were checked on an earlier line
            component_text = check_text(record=record, column="component", required=True, max_length=40, errors=errors)
            status = _status(record=record, errors=errors)
            score_text = _score_text(record=record, status=status, errors=errors)
        else:
            candidate_text = check_text(
                record=record, column="candidate_id", required=True, max_length=40, errors=errors
            )
            code_text = check_text(record=record, column="exam_code", required=True, max_length=40, errors=errors)
            component_text = check_text(record=record, column="component", required=True, max_length=40, errors=errors)
            status = _status(record=record, errors=errors)
            score_text = _score_text(record=record, status=status, errors=errors)
            session_date = check_date(record=record, column="session_date", errors=errors)
            if candidate_text is None or code_text is None or session_date is None:
                continue
            target = known.target(
                written, candidate_text=candidate_text, code_text=code_text, session_date=session_date
            )
        if component_text is None or score_text is None:
            continue
        if not isinstance(target, _Target):
            errors.append(RowError(line, *target))
            continue
        candidate_id, entry, exam, sitting, unitised = target
        component = component_text.upper() if unitised else component_text.lower()
        if component not in sitting.components:
            listed = ", ".join(sitting.components)
            message = error_text(COMPONENT_UNKNOWN, value=component, exam=exam.name, components=listed)
            errors.append(RowError(line, "component", message))
            continue
        if unitised and component not in entered.get(entry.pk, set()):
            message = error_text(NOT_ENTERED_FOR_UNIT, candidate_id=candidate_id, unit=component)
            errors.append(RowError(line, "component", message))
            continue
        item = by_entry.get(entry.pk)
        if item is None:
            item = by_entry[entry.pk] = GradedResult(entry=entry, first_line=line, unitised=unitised)
        item.attempted.add(component)
        unit = units.get((exam.pk, component)) if unitised else None  # only unitised exams have units
        if status == ABSENT and unit is not None:
            score: int | None = 0  # an absent unit counts 0 (docs/domain.md §4.3)
        elif status:
            score = None
        else:
            score = _score(record=record, raw=score_text, exam=exam, scale=sitting.scale, unit=unit, errors=errors)
            if score is None:
                continue
        if unit is not None and score is not None:
            unit_score = _unit_score(
                record=record, unit=unit, raw=score, session=entry.session, boundaries=boundaries, errors=errors
            )
            if unit_score is None:
                continue
            if status == ABSENT:
                unit_score = UnitScore(0, "", unit_score.tariff, unit_score.marks, unit_score.absent, not_sat=True)
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
        session = item.entry.session
        if item.unitised or {PENDING, WITHHELD} & set(item.statuses.values()):
            continue  # a result to follow or withheld needs no line per paper
        skills = known.sittings[(session.exam_id, session.date)].components
        missing = [c for c in skills if c not in item.attempted]
        if missing:
            message = error_text(
                COMPONENTS_MISSING,
                candidate_id=item.entry.candidate_id,
                missing=", ".join(missing),
                exam=session.exam.name,
            )
            errors.append(RowError(item.first_line, "component", message))
    if errors:
        raise ImportRejected(errors)
    return list(by_entry.values()), known.sittings


def _sitting(*, exam: Exam, on: dt.date, components: dict[int, list[str]]) -> _Sitting:
    """Return how lines of ``exam`` on the session date ``on`` are read and graded."""
    if legacy_format(exam_code=exam.code, session_date=on) is not None:
        return _Sitting(legacy=True, components=[], scale=None)
    if exam.family == Exam.Family.UNITISED:
        return _Sitting(legacy=False, components=components[exam.pk], scale=None)
    refusal = sitting_refusal(exam=exam, on=on)
    if refusal is not None:
        return _Sitting(legacy=False, components=[], scale=None, refusal=refusal)
    scale = scale_exam(exam.code, on=on)
    return _Sitting(legacy=False, components=list(scale.skills), scale=scale)


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


def _components_by_exam() -> dict[int, list[str]]:
    by_exam: dict[int, list[str]] = defaultdict(list)
    # Papers are the legacy format's (docs/domain.md §6.4), imported by results.legacy, never with scale scores.
    papers = Component.objects.exclude(kind=Component.Kind.PAPER)
    for exam_id, code in papers.order_by("exam_id", "order").values_list("exam_id", "code"):
        by_exam[exam_id].append(code)
    return by_exam


def _score(
    *, record: Record, raw: str, exam: Exam, scale: ScaleExam | None, unit: Component | None, errors: Problems
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
    if scale is None:
        raise ValueError(f"{exam.code} is not a scale-score exam")
    maximum = scale.reported_max
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
) -> UnitScore | None:
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
    return UnitScore(ums, grade, tariff, int(marks_text), absent_text in {"yes", "y", "true", "1"})


def _grade(item: GradedResult, *, scale: ScaleExam | None) -> None:
    """Grade a scale-score result with ``scale``, the format in force on its session date (or give its indicator)."""
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
    if scale is None:
        raise ValueError(f"{item.entry.session.exam.code} is not a scale-score exam")
    graded = scale_grade(scale, item.scores)
    item.overall = graded.overall
    item.grade = graded.result
    item.cefr_level = graded.cefr_level or ""
    item.certificate = graded.certificate
