"""Legacy formats: raw-mark papers weighted and added into an aggregate, a standardised score and a paper profile.

Rules and sources: docs/domain.md §6 'Papers weighted to 40 and aggregates' and §7 'Standardised scores and the
score converter'. The exams graded this way are ICFE and ILEC (both discontinued), Delta Module One, and sittings
of First and First for Schools from March 2011 until the Cambridge English Scale replaced the format in January
2015. Only figures with a public source are written here; the aggregate thresholds and profile cut-offs change
per session and were never published, so the board enters them (``exams.models.GradeBoundaryTable``), and a
paper maximum that is not public is entered by the board on the exam's papers.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from grading.aggregate import PAPER_WEIGHT, aggregate_grade, weighted_mark
from grading.rounding import round_half_up
from grading.scale import RESULT_FAIL
from grading.standardised import STANDARDISED_MAX, ProfileThresholds, profile_band


@dataclass(frozen=True)
class LegacyPaper:
    """A paper of a legacy format: its code in results files, its name, and its raw maximum where public."""

    code: str
    name: str
    maximum: int | None = None


@dataclass(frozen=True)
class LegacyGrade:
    """A result of a legacy format: the CEFR level it certifies (if any), and its set standardised score."""

    label: str
    cefr: str
    certificate: bool
    standardised_from: int | None = None


@dataclass(frozen=True)
class LegacyFormat:
    """An exam's format in force for sessions from ``since`` (inclusive) until ``until`` (exclusive)."""

    exam_codes: tuple[str, ...]
    name: str
    papers: tuple[LegacyPaper, ...]
    grades: tuple[LegacyGrade, ...]
    weight: int
    profile: bool
    source: str
    since: dt.date | None = None
    until: dt.date | None = None

    @property
    def standardised(self) -> bool:
        """Return whether results of this format carry a standardised score out of 100."""
        return any(grade.standardised_from is not None for grade in self.grades)

    def grade(self, label: str) -> LegacyGrade | None:
        """Return the grade called ``label``, or None."""
        return next((grade for grade in self.grades if grade.label == label), None)


# docs/domain.md §6.4 (First before 2015): five papers of equal weight; the grades and the CEFR levels they
# certify (extended certification, from March 2011); the standardised scores set for each grade (§7.2).
FIRST_2011 = LegacyFormat(
    exam_codes=("FCE", "FCES"),
    name="First (five papers), March 2011 – December 2014",
    papers=(
        LegacyPaper("paper1", "Paper 1 Reading"),
        LegacyPaper("paper2", "Paper 2 Writing"),
        LegacyPaper("paper3", "Paper 3 Use of English"),
        LegacyPaper("paper4", "Paper 4 Listening"),
        LegacyPaper("paper5", "Paper 5 Speaking"),
    ),
    grades=(
        LegacyGrade("Grade A", "C1", True, 80),
        LegacyGrade("Grade B", "B2", True, 75),
        LegacyGrade("Grade C", "B2", True, 60),
        LegacyGrade("Level B1", "B1", True, 45),
    ),
    weight=PAPER_WEIGHT,
    profile=True,
    source="docs/domain.md §6.4 (five papers of 20 % each; extended certification from March 2011; grade values §7.2)",
    since=dt.date(2011, 3, 1),
    until=dt.date(2015, 1, 1),
)
# docs/domain.md §6.4 (ICFE): four papers, weighted to 40 as every paper (§6.1); three passing results.
FINANCIAL = LegacyFormat(
    exam_codes=("ICFE",),
    name="International Certificate in Financial English",
    papers=(
        LegacyPaper("reading", "Reading"),
        LegacyPaper("writing", "Writing"),
        LegacyPaper("listening", "Listening"),
        LegacyPaper("speaking", "Speaking"),
    ),
    grades=(
        LegacyGrade("C1 Pass with Merit", "C1", True),
        LegacyGrade("C1 Pass", "C1", True),
        LegacyGrade("B2 Pass", "B2", True),
    ),
    weight=PAPER_WEIGHT,
    profile=False,
    source="docs/domain.md §6.4 (ICFE papers and results)",
)
# docs/domain.md §6.4 (ILEC): four papers of 50 marks each (a total out of 200); three passing results and two
# failing ones.
LEGAL = LegacyFormat(
    exam_codes=("ILEC",),
    name="International Legal English Certificate",
    papers=FINANCIAL.papers,
    grades=(
        LegacyGrade("C1 Pass with Merit", "C1", True),
        LegacyGrade("C1 Pass", "C1", True),
        LegacyGrade("B2 Pass", "B2", True),
        LegacyGrade("Narrow Fail", "", False),
    ),
    weight=50,
    profile=False,
    source="docs/domain.md §6.4 (ILEC: four papers of 50 marks, results C1 Pass with Merit to Fail)",
)
# docs/domain.md §6.4 (Delta Module One): two papers of 100 marks, the result from the total of 200.
DELTA_MODULE_ONE = LegacyFormat(
    exam_codes=("DELTA1",),
    name="Delta Module One",
    papers=(LegacyPaper("paper1", "Paper 1", 100), LegacyPaper("paper2", "Paper 2", 100)),
    grades=(
        LegacyGrade("Pass with Distinction", "", True),
        LegacyGrade("Pass with Merit", "", True),
        LegacyGrade("Pass", "", True),
    ),
    weight=100,
    profile=False,
    source="docs/domain.md §6.4 (Delta Module One: two papers of 100 marks; Pass with Distinction, Merit, Pass, Fail)",
)

LEGACY_FORMATS: tuple[LegacyFormat, ...] = (FIRST_2011, FINANCIAL, LEGAL, DELTA_MODULE_ONE)


def legacy_format(*, exam_code: str, session_date: dt.date) -> LegacyFormat | None:
    """Return the legacy format in force for ``exam_code`` on ``session_date``, or None (not a legacy sitting)."""
    code = exam_code.strip().upper()
    for candidate in LEGACY_FORMATS:
        if code not in candidate.exam_codes:
            continue
        if candidate.since is not None and session_date < candidate.since:
            continue
        if candidate.until is not None and session_date >= candidate.until:
            continue
        return candidate
    return None


def legacy_standardised(exam_code: str) -> bool:
    """Return whether some legacy format of ``exam_code`` reported a standardised score out of 100."""
    code = exam_code.strip().upper()
    return any(candidate.standardised for candidate in LEGACY_FORMATS if code in candidate.exam_codes)


@dataclass(frozen=True)
class PaperResult:
    """One paper on an old-style Statement of Results: the raw mark, its weighted mark and its profile."""

    code: str
    mark: int
    maximum: int
    weighted: Fraction
    percentage: int
    profile: str | None


@dataclass(frozen=True)
class LegacyResult:
    """A legacy result: the papers, the aggregate, the grade, its CEFR level and the standardised score."""

    papers: tuple[PaperResult, ...]
    aggregate: Fraction
    aggregate_max: int
    grade: str
    cefr_level: str
    certificate: bool
    standardised: int | None


def paper_percentage(*, mark: int, maximum: int) -> int:
    """Return a paper's mark as a whole percentage of its maximum, halves up (where its profile is read)."""
    return round_half_up(weighted_mark(mark=mark, maximum=maximum, weight=STANDARDISED_MAX))


def standardised_score(*, aggregate: Fraction, aggregate_max: int, points: Sequence[tuple[Fraction, int]]) -> int:
    """Return the standardised score out of 100 for an aggregate, halves up.

    ``points`` pair each grade's minimum aggregate in the session with the standardised score set for that grade
    (docs/domain.md §7.4): the score is piecewise linear through (0, 0), each pair and (aggregate maximum, 100),
    so a candidate on a grade's minimum gets exactly that grade's set score in every session.
    """
    knots = sorted((Fraction(minimum), value) for minimum, value in points)
    knots = [(Fraction(0), 0), *knots, (Fraction(aggregate_max), STANDARDISED_MAX)]
    for (low, low_value), (high, high_value) in zip(knots, knots[1:], strict=False):
        if not (low < high and low_value < high_value):
            raise ValueError("grade minimums and their standardised scores must both increase, below the maximum")
    if not 0 <= aggregate <= aggregate_max:
        raise ValueError(f"aggregate {aggregate} must be between 0 and {aggregate_max}")
    for (low, low_value), (high, high_value) in zip(knots, knots[1:], strict=False):
        if aggregate <= high:
            exact = low_value + (aggregate - low) * (high_value - low_value) / (high - low)
            return round_half_up(exact)
    return STANDARDISED_MAX  # not reached: the last knot is the maximum


def legacy_result(
    *,
    fmt: LegacyFormat,
    marks: Mapping[str, tuple[int, int]],
    thresholds: Sequence[tuple[str, Fraction]],
    profile: ProfileThresholds | None,
) -> LegacyResult:
    """Return the legacy result for raw ``marks`` (paper code → (mark, maximum)) of one candidate.

    Rules (docs/domain.md §6, §7): each paper is weighted (``mark × weight ÷ maximum``, weight 40 unless the
    format says otherwise), the weighted marks are added into the aggregate, the grade is the highest of the
    session's ``thresholds`` reached (else Fail); the standardised score (formats that had one) goes through the
    set score of each grade; each paper's profile position is read from its percentage against ``profile``.
    """
    expected = [paper.code for paper in fmt.papers]
    if sorted(marks) != sorted(expected):
        raise ValueError(f"{fmt.name} needs a mark for each of {', '.join(expected)}")
    for label, _minimum in thresholds:
        if fmt.grade(label) is None:
            known = ", ".join(grade.label for grade in fmt.grades)
            raise ValueError(f"{label!r} is not a result of {fmt.name} (its results are {known})")
    if fmt.profile and profile is None:
        raise ValueError(f"{fmt.name} shows a profile per paper: its profile thresholds are needed")
    papers = []
    for code in expected:
        mark, maximum = marks[code]
        percentage = paper_percentage(mark=mark, maximum=maximum)
        papers.append(
            PaperResult(
                code=code,
                mark=mark,
                maximum=maximum,
                weighted=weighted_mark(mark=mark, maximum=maximum, weight=fmt.weight),
                percentage=percentage,
                profile=profile_band(score=percentage, thresholds=profile) if fmt.profile and profile else None,
            )
        )
    total = sum((paper.weighted for paper in papers), Fraction(0))
    aggregate_max = fmt.weight * len(papers)
    label = aggregate_grade(aggregate=total, thresholds=thresholds) or RESULT_FAIL
    grade = fmt.grade(label)
    standardised = None
    if fmt.standardised:
        points = []
        for name, minimum in thresholds:
            value = getattr(fmt.grade(name), "standardised_from", None)
            if value is not None:
                points.append((Fraction(minimum), value))
        standardised = standardised_score(aggregate=total, aggregate_max=aggregate_max, points=points)
    return LegacyResult(
        papers=tuple(papers),
        aggregate=total,
        aggregate_max=aggregate_max,
        grade=label,
        cefr_level=grade.cefr if grade is not None else "",
        certificate=grade.certificate if grade is not None else False,
        standardised=standardised,
    )
