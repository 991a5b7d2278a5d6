"""What a centre sees of a unitised series: unit and qualification results and reports.

Rules: docs/domain.md §8 and §13 'Centre results files and reports'. Every result read here comes from
``results.selectors.results_visible`` with ``Audience.centre`` (embargo by the member's role + ownership); the
only other read of ``Result`` is the reason a result is held, which the centre is told with its 'Q' grade.
A unit entry without a visible result after the centre's release instant is 'Q': pending or unavailable.

The pages (``web.centre.views.unitised``), the results files (``results.centre_files``) and the PDF reports all
build on ``series_results``, so they always agree with one another.
"""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format

from centres.models import Centre, CertificationEntry, Entry, UnitEntry
from centres.selectors import entries_with_details
from exams.models import Component, Exam, ExamSession
from exams.selectors import series_label, unit_boundaries
from grading.ums import QUALIFICATION_GRADES, UNIT_GRADES

from .models import ComponentScore, Result
from .presentation import UNITISED_IDENTIFIER_COLUMNS, UnitisedIdentifiers, series_code, unitised_identifiers
from .release import centre_opening
from .selectors import Audience, results_visible

PENDING_GRADE = "Q"
CUMULATIVE_TEMPLATE = "centres/unitised/cumulative_pdf.html"


# --- Series and students ------------------------------------------------------------------------------
def unitised_series_for(*, centre: Centre) -> QuerySet[ExamSession]:
    """Return the unitised series in which the centre has entries, newest first."""
    has_entries = Entry.objects.filter(session=OuterRef("pk"), centre=centre)
    return (
        ExamSession.objects.filter(Exists(has_entries), exam__family=Exam.Family.UNITISED)
        .select_related("exam")
        .order_by("-date", "exam__code")
    )


def unitised_entries(*, centre: Centre, series: ExamSession) -> QuerySet[Entry]:
    """Return the centre's students registered for a unitised series, by name, with their certification entry."""
    return (
        entries_with_details()
        .select_related("certification")
        .filter(centre=centre, session=series, status=Entry.Status.ENTERED)
        .order_by("person__last_name", "person__first_name", "candidate_id")
    )


@dataclass(frozen=True)
class CashInWindow:
    """Whether a certification entry made now is late (after results) or refused (after the closing date).

    For what the pages say only: ``centres.services.certification_entry_create`` decides.
    """

    late: bool
    closed: bool
    closing_date: dt.date | None


def cash_in_window(*, series: ExamSession, now: dt.datetime) -> CashInWindow:
    """Return what a certification entry made at ``now`` would be in this series."""
    closing = series.certification_closing_date
    return CashInWindow(
        late=now >= centre_opening(series, restricted=True),
        closed=closing is not None and timezone.localtime(now).date() > closing,
        closing_date=closing,
    )


@dataclass(frozen=True)
class UnitLine:
    """One unit of a student in a series: its visible result, or why there is none ('Q')."""

    unit: Component
    entered: bool
    score: ComponentScore | None
    pending_reason: str = ""


@dataclass(frozen=True)
class StudentSeries:
    """A student's unit results and qualification result in one series, as the centre may see them now."""

    entry: Entry
    released: bool
    units: list[UnitLine]
    certification: CertificationEntry | None
    result: Result | None
    hold_reason: str = ""

    @property
    def identifiers(self) -> UnitisedIdentifiers:
        """Return how files and reports name the student and the series (centre number, candidate number, UCI)."""
        return unitised_identifiers(self.entry)

    @property
    def unit_results(self) -> list[tuple[Component, ComponentScore]]:
        """Return each unit with a visible result, with that result."""
        return [(line.unit, line.score) for line in self.units if line.score is not None]

    @property
    def qualification_grade(self) -> str:
        """Return the qualification grade, or '' when there is none to show (no cash-in, pending, incomplete)."""
        if self.certification is None or self.result is None:
            return ""
        return self.result.grade

    @property
    def total_ums(self) -> int | None:
        """Return the total UMS of the qualification result, or None without a grade."""
        return self.result.overall_score if self.qualification_grade and self.result is not None else None

    @property
    def missing_units(self) -> list[str]:
        """Return the units whose missing result stops a qualification grade (from the stored outcome)."""
        detail = (self.result.qualification if self.result is not None else None) or {}
        return list(detail.get("missing", []))

    @property
    def needs_cash_in(self) -> bool:
        """Return whether the student has unit results but no certification entry (so no qualification grade)."""
        return self.certification is None and bool(self.unit_results)


def _hold_reasons(*, centre: Centre, entry_ids: Sequence[int]) -> dict[int, str]:
    # Only why a result is held, never the result: the centre is told the reason with the 'Q' grade
    # (Result.hold_reason). The selector rightly hides held results, so it cannot give this.
    rows = Result.objects.filter(entry_id__in=list(entry_ids), entry__centre=centre, status=Result.Status.HELD)
    return {entry_id: reason for entry_id, reason in rows.values_list("entry_id", "hold_reason")}


def unitised_hold_reasons(*, centre: Centre, entries: Iterable[Entry]) -> dict[int, str]:
    """Return why each of these unitised entries' results is held, for the centre's 'Q' (docs/domain.md §4.1).

    Only the reason, never the result, and only for unitised entries: the centre is told why a unitised result is
    pending. The caller shows it only once the entry is pending for the member (``entry_is_pending``).
    """
    ids = [e.pk for e in entries if e.session.exam.family == Exam.Family.UNITISED]
    return _hold_reasons(centre=centre, entry_ids=ids) if ids else {}


def series_results(
    *,
    centre: Centre,
    restricted: bool,
    series: ExamSession,
    now: dt.datetime,
    entries: Iterable[Entry] | None = None,
) -> list[StudentSeries]:
    """Return each student's results in the series as a member of the centre's staff may see them at ``now``.

    ``restricted``: the member sees the restricted release (exams officers and the head of centre); other staff
    see the series with the candidates. ``entries`` (a page of ``unitised_entries``) defaults to every student of
    the centre in the series. Before the member's release instant nothing is visible and nothing is 'Q'. A fixed
    number of queries.
    """
    students = list(entries if entries is not None else unitised_entries(centre=centre, series=series))
    ids = [entry.pk for entry in students]
    released = now >= centre_opening(series, restricted=restricted)
    entered: dict[int, set[int]] = defaultdict(set)
    for entry_id, unit_id in UnitEntry.objects.filter(entry_id__in=ids).values_list("entry_id", "unit_id"):
        entered[entry_id].add(unit_id)
    visible = {
        r.entry_id: r
        for r in results_visible(audience=Audience.centre(centre, restricted=restricted), now=now).filter(
            entry_id__in=ids
        )
    }
    held = _hold_reasons(centre=centre, entry_ids=ids) if released else {}
    units = list(series.exam.components.order_by("order", "code"))
    rows = []
    for entry in students:
        result = visible.get(entry.pk) if released else None
        scores = {s.component_id: s for s in result.component_scores.all()} if result is not None else {}
        reason = held.get(entry.pk, "")
        lines = [
            UnitLine(unit=unit, entered=unit.pk in entered[entry.pk], score=scores.get(unit.pk), pending_reason=reason)
            for unit in units
            if unit.pk in entered[entry.pk] or unit.pk in scores
        ]
        rows.append(
            StudentSeries(
                entry=entry,
                released=released,
                units=lines,
                certification=getattr(entry, "certification", None),
                result=result,
                hold_reason=reason,
            )
        )
    return rows


def earlier_unit_entries(*, students: Iterable[Entry], series: ExamSession) -> dict[int, list[str]]:
    """Return, per person, the units entered in the qualification's earlier series ('F240 (January 2026)')."""
    rows = (
        UnitEntry.objects.filter(
            entry__person_id__in=[e.person_id for e in students],
            entry__session__exam_id=series.exam_id,
            entry__session__date__lt=series.date,
        )
        .order_by("entry__session__date", "unit__order")
        .values_list("entry__person_id", "unit__code", "entry__session__date")
    )
    earlier: dict[int, list[str]] = defaultdict(list)
    for person_id, code, date in rows:
        earlier[person_id].append(f"{code} ({date_format(date, 'YEAR_MONTH_FORMAT')})")
    return earlier


# --- Results and grade boundaries report ----------------------------------------------------------------
@dataclass(frozen=True)
class UnitBoundaryRow:
    """One unit's raw boundaries in force in the series, its fixed UMS boundaries and the centre's grades."""

    unit: Component
    raw: list[int] | None
    ums: list[int]
    counts: list[tuple[str, int]]


@dataclass(frozen=True)
class BoundariesReport:
    """The results and grade boundaries report of a series for one centre."""

    series: ExamSession
    units: list[UnitBoundaryRow]
    qualification: list[tuple[str, int | None, int]] = field(default_factory=list)
    entries: int = 0
    cash_ins: int = 0


def boundaries_report(*, centre: Centre, restricted: bool, series: ExamSession, now: dt.datetime) -> BoundariesReport:
    """Return each unit's boundaries and grade counts at the centre, and the qualification's (visible results)."""
    students = series_results(centre=centre, restricted=restricted, series=series, now=now)
    raw = unit_boundaries(sessions=[series])
    unit_counts: dict[int, Counter[str]] = defaultdict(Counter)
    for student in students:
        for unit, score in student.unit_results:
            unit_counts[unit.pk][score.unit_grade or "U"] += 1
    unit_grades = ["U", *UNIT_GRADES]
    rows = [
        UnitBoundaryRow(
            unit=unit,
            raw=raw.get((series.pk, unit.pk)),
            ums=[int(b) for b in unit.ums_boundaries or []],
            counts=[(grade, unit_counts[unit.pk][grade]) for grade in reversed(unit_grades)],
        )
        for unit in series.exam.components.order_by("order", "code")
    ]
    exam = series.exam
    qualification_counts = Counter(s.qualification_grade for s in students if s.qualification_grade)
    minima: list[int | None] = [None, *(int(b) for b in exam.qualification_boundaries or [])]
    grades = ["U", *QUALIFICATION_GRADES]
    qualification = [
        (grade, minima[index] if index < len(minima) else None, qualification_counts[grade])
        for index, grade in reversed(list(enumerate(grades)))
    ]
    return BoundariesReport(
        series=series,
        units=rows,
        qualification=qualification,
        entries=len(students),
        cash_ins=sum(1 for s in students if s.certification is not None),
    )


# --- Cumulative specification results report ---------------------------------------------------------------
@dataclass(frozen=True)
class CumulativeLine:
    """One unit result from one series, and whether it counted towards the qualification grade."""

    series: ExamSession
    score: ComponentScore
    counted: bool

    @property
    def series_code(self) -> str:
        """Return the series as the results files name it ('2026-06-10')."""
        return series_code(self.series)


@dataclass(frozen=True)
class CumulativeReport:
    """A student's qualification result with every unit result from every series (cash-in students only)."""

    student: StudentSeries
    lines: list[CumulativeLine]
    series: list[ExamSession]
    ums_max_total: int | None
    generated_at: dt.datetime

    @property
    def series_codes(self) -> list[str]:
        """Return the series with unit results as the results files name them ('2026-01-10', '2026-06-10')."""
        return [series_code(sitting) for sitting in self.series]


def _is_series(counted: dict[str, Any], sitting: ExamSession) -> bool:
    """Return whether a unit result that counted (``Result.qualification['counted'][unit]``) is from ``sitting``.

    By the series itself, not its month: two sittings in one month must not both be marked as counted. Outcomes
    worked out before the series was recorded name the month only.
    """
    if "series_id" in counted:
        return bool(counted["series_id"] == str(sitting.public_id))
    return bool(counted.get("series") == series_label(sitting))


def cumulative_report(*, centre: Centre, restricted: bool, entry: Entry, now: dt.datetime) -> CumulativeReport | None:
    """Return the cumulative specification results report of a cash-in, or None before the centre release.

    Every series of the qualification the student sat at this centre is listed, with each unit result the
    centre may see; a result counted towards the grade is the one named in the outcome's ``counted``.
    """
    series = entry.session
    student = series_results(centre=centre, restricted=restricted, series=series, now=now, entries=[entry])[0]
    if not student.released or student.certification is None:
        return None
    counted: dict[str, Any] = ((student.result.qualification if student.result else None) or {}).get("counted", {})
    results = (
        results_visible(audience=Audience.centre(centre, restricted=restricted), now=now)
        .filter(entry__person_id=entry.person_id, entry__session__exam_id=series.exam_id)
        .order_by("entry__session__date")
    )
    lines = []
    sittings: list[ExamSession] = []
    for result in results:
        sitting = result.entry.session
        scores = [s for s in result.component_scores.all() if s.ums is not None]
        if scores:
            sittings.append(sitting)
        for score in scores:
            used = counted.get(score.component.code, {})
            lines.append(
                CumulativeLine(
                    series=sitting,
                    score=score,
                    counted=bool(student.qualification_grade) and _is_series(used, sitting),
                )
            )
    return CumulativeReport(
        student=student,
        lines=lines,
        series=sittings,
        ums_max_total=series.exam.ums_max_total,
        generated_at=now,
    )


def cumulative_report_pdf(*, report: CumulativeReport) -> bytes:
    """Return the cumulative specification results report as a PDF (A4, in the active language)."""
    html = render_to_string(CUMULATIVE_TEMPLATE, {"report": report, "student": report.student})
    # Imported here, as in centres.pdf: loading WeasyPrint is slow and only PDF downloads need it.
    import weasyprint

    pdf = weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    assert pdf is not None  # noqa: S101 - write_pdf() without a target always returns the bytes
    return pdf


# --- Special consideration report ------------------------------------------------------------------------
SPECIAL_CONSIDERATION_COLUMNS = [
    *UNITISED_IDENTIFIER_COLUMNS,
    "surname",
    "forenames",
    "qualification_code",
    "series",
    "unit_code",
    "raw_mark",
    "ums",
    "tariff_percent",
    "marks_awarded",
    "calculated_for_absence",
]


def special_consideration_rows(
    *, centre: Centre, restricted: bool, series: ExamSession, now: dt.datetime
) -> list[list[object]]:
    """Return one row per visible unit result where special consideration was applied or absence calculated.

    Students and the series are named as in the results files (``StudentSeries.identifiers``). Marks are numbers
    (``csv_text`` writes them as numbers, never prefixed as text).
    """
    rows: list[list[object]] = []
    for student in series_results(centre=centre, restricted=restricted, series=series, now=now):
        person, identifiers = student.entry.person, student.identifiers
        for unit, score in student.unit_results:
            if (
                score.consideration_tariff is None
                and not score.consideration_marks
                and not score.calculated_for_absence
            ):
                continue
            rows.append(
                [
                    *identifiers.cells,
                    person.last_name,
                    person.first_name,
                    series.exam.code,
                    identifiers.series,
                    unit.code,
                    score.score,
                    "" if score.ums is None else score.ums,
                    "" if score.consideration_tariff is None else score.consideration_tariff,
                    score.consideration_marks,
                    "yes" if score.calculated_for_absence else "no",
                ]
            )
    return rows
