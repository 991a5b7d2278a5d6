"""The one presentation of a result: how every output names, scores and labels it.

Pages, PDFs, the QR page, the verification form and API, credentials and centre files all show a result through
``result_view`` (a plain dataclass built from a result read through ``results.selectors.results_visible``) or, on
the lean hot paths that read columns rather than models, through the same small functions it is made of
(``component_label``, ``component_display``, ``overall_display``, ``grade_display``). So a missing score reads
``MISSING`` everywhere, a unit reads "85 of 100 UMS" everywhere, a skill reads "below 160" everywhere, and a
unitised qualification result still incomplete reads "Q — incomplete: …" everywhere (files: ``grade_as_awarded``).
A unitised student and series are named through ``unitised_identifiers`` in every centre output (results files,
reports): centre number, candidate number, UCI, Candidate ID, and the series by its date.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from centres.models import Entry
from exams.models import Exam, ExamSession
from grading.legacy import legacy_format
from grading.scale import (
    INDICATOR_RESULTS,
    READING,
    READING_AND_WRITING,
    RESULT_ABSENT_ALL,
    RESULT_ABSENT_PART,
    RESULT_PENDING,
    RESULT_WITHHELD,
    USE_OF_ENGLISH,
    Certification,
    ScaleExam,
    scale_exam,
)
from grading.standardised import BORDERLINE, EXCEPTIONAL, GOOD, WEAK

from .charts import result_name, score_display
from .models import Result

LISTENING, SPEAKING, WRITING = "listening", "speaking", "writing"
# A result pending or currently unavailable (docs/domain.md §4.1), and a unitised result without a certification
# entry, as files write them.
PENDING = "Q"
UNIT_RESULTS_ONLY = "Unit results only"
# Unitised result indicators as files write them (docs/domain.md §4.3): no result (a wrong combination of units),
# and partial absence (after the grade: an absent unit counted 0 UMS).
NO_RESULT = "X"
PARTIAL_ABSENCE = "#"
# A scale-score result without a grade, as the board prints it, and what it means (docs/domain.md §4.2).
INDICATOR_MEANINGS: dict[str, Promise] = {
    RESULT_ABSENT_PART: gettext_lazy("absent from part of the exam"),
    RESULT_ABSENT_ALL: gettext_lazy("absent from all of the exam"),
    RESULT_PENDING: gettext_lazy("result to follow"),
    RESULT_WITHHELD: gettext_lazy("result withheld: your centre can tell you why"),
}
# What a page shows where there is no value (an overall score below the range of a non-scale exam, a unit not
# yet converted to UMS…).
MISSING = "—"

SKILL_NAMES: dict[str, Promise] = {
    READING: gettext_lazy("Reading"),
    READING_AND_WRITING: gettext_lazy("Reading and Writing"),
    USE_OF_ENGLISH: gettext_lazy("Use of English"),
    WRITING: gettext_lazy("Writing"),
    LISTENING: gettext_lazy("Listening"),
    SPEAKING: gettext_lazy("Speaking"),
}


# A legacy paper's profile position (docs/domain.md §7.1), as grading.standardised names it, in the reader's language.
PROFILE_NAMES: dict[str, Promise] = {
    EXCEPTIONAL: pgettext_lazy("paper profile", "Exceptional"),
    GOOD: pgettext_lazy("paper profile", "Good"),
    BORDERLINE: pgettext_lazy("paper profile", "Borderline"),
    WEAK: pgettext_lazy("paper profile", "Weak"),
}


def profile_display(position: str) -> str:
    """Return a paper's profile position as shown (e.g. 'Good'), or ``MISSING`` for a format without a profile."""
    name = PROFILE_NAMES.get(position)
    return str(name) if name is not None else MISSING


def scale_of(exam_code: str, *, on: dt.date) -> ScaleExam | None:
    """Return the Cambridge English Scale format of an exam in force for a sitting on ``on``, or None for other
    exams and for sittings graded from raw paper marks (``grading.legacy``: First before 2015): every output reads
    an exam's papers, ranges and band names through this (docs/domain.md §5.9, §6.4)."""
    if legacy_format(exam_code=exam_code, session_date=on) is not None:
        return None
    try:
        return scale_exam(exam_code, on=on)
    except ValueError:
        return None


def counts_a_paper_twice(*, scale: ScaleExam | None, codes: Sequence[str]) -> bool:
    """Return whether a result's overall score counts one of its papers more than once (A2 Key's Reading and
    Writing, docs/domain.md §5.9), so its statement says so.

    Decided on the papers the result holds (``codes``), not on the format alone: a result stored with Reading and
    Writing apart, before the import took the Key format of its sitting, was awarded on the plain average of
    those four scores and is explained as it was awarded.
    """
    return scale is not None and any(code in scale.skills and scale.weight(code) != 1 for code in codes)


def component_label(*, family: str, code: str, name: str) -> str:
    """Return a component's name as shown: the skill in the reader's language, or a unit's code and name."""
    if family == Exam.Family.UNITISED:
        return f"{code} {name}"
    return str(SKILL_NAMES.get(code, name))


def ums_text(*, ums: int | None, ums_max: int | None) -> str:
    """Return a uniform mark as shown: '85 of 100 UMS', or ``MISSING``."""
    if ums is None:
        return MISSING
    return _("%(ums)s of %(max)s UMS") % {"ums": ums, "max": ums_max}


def component_display(
    *,
    family: str,
    scale: ScaleExam | None,
    score: int,
    ums: int | None = None,
    ums_max: int | None = None,
    absent: bool = False,
) -> str:
    """Return a component's score as shown: a scale score (capped, or 'below N'), a unit's UMS ('0 of 60 UMS —
    absent' for a unit the student was absent from, docs/domain.md §4.3), or a raw mark."""
    if scale is not None:
        return score_display(exam=scale, score=score)
    if family == Exam.Family.UNITISED:
        text = ums_text(ums=ums, ums_max=ums_max)
        return f"{text} — {absent_text()}" if absent else text
    return str(score)


def overall_display(
    *, family: str, scale: ScaleExam | None, overall: int | None, ums_max_total: int | None, grade: str = ""
) -> str:
    """Return the overall score as shown: a scale score or 'below N', a total UMS, a number or ``MISSING`` (also
    for a result without a grade: absent, pending or withheld)."""
    if grade in INDICATOR_RESULTS and family != Exam.Family.UNITISED:
        return MISSING
    if scale is not None:
        return score_display(exam=scale, score=overall)
    if family == Exam.Family.UNITISED:
        return ums_text(ums=overall, ums_max=ums_max_total)
    return MISSING if overall is None else str(overall)


def _qualification_list(qualification: Mapping[str, Any] | None, key: str) -> str:
    return ", ".join(str(unit) for unit in (qualification or {}).get(key) or [])


def grade_display(*, family: str, grade: str, qualification: Mapping[str, Any] | None = None) -> str:
    """Return the result as printed, in the reader's language.

    A scale-score result without a grade prints the board's indicator and what it means: 'X — absent from part of
    the exam', 'Z …', 'Pending …', 'Withheld …' (docs/domain.md §4.2). A unitised qualification result may carry
    '#' (an absent unit counted 0 UMS) after its grade, or be 'X' (the units entered do not make a valid
    combination); without a grade it is one of two things, told apart by ``qualification`` (the stored outcome
    of a certification entry, ``Result.qualification``): without a certification entry, unit results only; with
    one, a qualification result not complete yet, shown as 'Q' with the units it waits for (docs/domain.md §4.1,
    §4.3, §8.6), as the centre's unitised pages show it. Never a blank.
    """
    if family != Exam.Family.UNITISED and grade in INDICATOR_MEANINGS:
        return f"{grade} — {INDICATOR_MEANINGS[grade]}"
    absent = _qualification_list(qualification, "absent_units")
    if grade and family == Exam.Family.UNITISED and absent:
        return f"{result_name(grade)} {PARTIAL_ABSENCE} — " + _("partial absence: %(units)s counted 0 UMS") % {
            "units": absent
        }
    if grade:
        return result_name(grade)
    if family == Exam.Family.UNITISED:
        not_entered = _qualification_list(qualification, "not_entered")
        if qualification is not None and not_entered:
            return f"{NO_RESULT} — " + _(
                "no result: the units entered are not a valid combination (%(units)s not entered)"
            ) % {"units": not_entered}
        if qualification is not None:
            missing = _qualification_list(qualification, "missing")
            if missing:
                return f"{PENDING} — " + _("incomplete: no result yet for %(units)s") % {"units": missing}
            return f"{PENDING} — " + _("Result pending or currently unavailable")
        return _("Unit results only (no certification entry)")
    return MISSING


def grade_as_awarded(*, family: str, grade: str, qualification: Mapping[str, Any] | None = None) -> str:
    """Return the result as files write it, in no reader's language: the grade or the board's indicator (X, Z,
    Pending, Withheld), a unitised grade with '#' after it for a partial absence, 'X' for a unitised qualification
    with a wrong combination of units, 'Q' for one not complete yet, 'Unit results only' without a certification
    entry (``grade_display`` in words)."""
    if family != Exam.Family.UNITISED:
        return grade
    if grade:
        return f"{grade} {PARTIAL_ABSENCE}" if _qualification_list(qualification, "absent_units") else grade
    if qualification is not None and _qualification_list(qualification, "not_entered"):
        return NO_RESULT
    return PENDING if qualification is not None else UNIT_RESULTS_ONLY


# --- Unitised students and series in centre outputs (docs/domain.md §1.7, §13; docs/results-files.md) ---------
# The columns that name a unitised student in every centre file, in this order (``UnitisedIdentifiers.cells``).
UNITISED_IDENTIFIER_COLUMNS = ["centre_number", "candidate_number", "uci", "candidate_id"]


def series_code(series: ExamSession) -> str:
    """Return a unitised series as every centre output names it: its date, '2026-06-10'.

    Never its month ('June 2026'): two sittings in one month are two series.
    """
    return series.date.isoformat()


@dataclass(frozen=True)
class UnitisedIdentifiers:
    """How the centre's files and reports name a unitised student and the series of the entry.

    ``candidate_number`` and ``uci`` are '' when the entry gave none: files leave the cell empty, pages show
    ``MISSING``.
    """

    centre_number: str
    candidate_number: str
    uci: str
    candidate_id: str
    series: str

    @property
    def cells(self) -> list[str]:
        """Return the values of ``UNITISED_IDENTIFIER_COLUMNS``, in that order."""
        return [self.centre_number, self.candidate_number, self.uci, self.candidate_id]


def unitised_identifiers(entry: Entry) -> UnitisedIdentifiers:
    """Return the identifiers of a unitised entry: no query when its centre, person and session are loaded
    (``centres.selectors.entries_with_details``)."""
    return UnitisedIdentifiers(
        centre_number=entry.centre.number,
        candidate_number=entry.candidate_number or "",
        uci=entry.person.uci or "",
        candidate_id=entry.candidate_id,
        series=series_code(entry.session),
    )


def indicator_explanation(grade: str) -> str | None:
    """Return what a scale-score result without a grade means for the candidate (X, Z, Pending, Withheld), or
    None for a graded result (docs/domain.md §4.2)."""
    texts = {
        RESULT_ABSENT_PART: _(
            "No certificate: you were absent from part of the exam, so no result can be given and no scores are "
            "reported."
        ),
        RESULT_ABSENT_ALL: _("No certificate: you were absent from all of the exam."),
        RESULT_PENDING: _("Your result is to follow. This statement will show it as soon as it is ready."),
        RESULT_WITHHELD: _("Your result is withheld. Please speak to your exam centre, which can tell you why."),
    }
    return texts.get(grade)


def absent_text() -> str:
    """Return what a paper the candidate was absent from shows instead of a score."""
    return _("absent")


def certification_of(*, scale: ScaleExam | None, grade: str, overall: int | None) -> str:
    """Return the extended-certification band of a scale-score result ('above', 'at', 'below'), or 'n/a'."""
    if scale is None:
        return "n/a"
    score = overall if overall is not None else -1
    band = next((b for b in scale.bands if b.low <= score <= b.high and b.result == grade), None)
    return band.certification.value if band is not None else ""


@dataclass(frozen=True)
class ComponentView:
    """One component of a result as every output shows it."""

    code: str
    label: str
    score: int
    display: str
    ums: int | None = None
    ums_max: int | None = None
    unit_grade: str = ""
    profile: str = ""  # a legacy paper's profile position, as stored (Exceptional, Good, Borderline, Weak)
    absent: bool = False  # a unit the student was absent from: 0 UMS, counted ('#')


@dataclass(frozen=True)
class ResultView:
    """A result as every output shows it: who, which exam, the result, the scores. Personal data."""

    name: str
    candidate_id: str
    centre_number: str
    centre_name: str
    exam_code: str
    exam_name: str
    certificate_exam_name: str
    exam_date: dt.date
    family: str
    grade: str
    result: str
    overall_score: int | None
    overall_display: str
    cefr_level: str
    certification: str
    certificate: bool
    scale: bool
    components: tuple[ComponentView, ...]
    released_at: dt.datetime | None
    result_version: int
    amended_at: dt.datetime | None
    # Graded from raw paper marks (docs/domain.md §6.4): an old-style statement, a profile position per paper.
    legacy: bool = False
    weighted: bool = False  # a paper of the result counts more than once in its overall score (A2 Key)
    indicator_text: str = ""  # what X, Z, Pending or Withheld means for the candidate

    @property
    def graded(self) -> bool:
        """Return whether the result has a grade and scores to chart (not X, Z, Pending or Withheld)."""
        return self.grade not in INDICATOR_RESULTS

    @property
    def certification_is_below(self) -> bool:
        """Return whether the certificate is the near-miss one: 'ability at <level below>'."""
        return self.certification == Certification.BELOW.value


def result_view(*, result: Result, name: str | None = None) -> ResultView:
    """Return how every output shows ``result`` (read through ``results_visible``, with its entry and scores).

    ``name`` is the name printed, where a document has its own (an amended certificate); by default the name the
    centre recorded (corrected names are written there, see ``certificates.services``).
    """
    entry = result.entry
    exam = entry.session.exam
    legacy = legacy_format(exam_code=exam.code, session_date=entry.session.date) is not None
    scale = scale_of(exam.code, on=entry.session.date)
    components = tuple(
        ComponentView(
            code=line.component.code,
            label=component_label(family=exam.family, code=line.component.code, name=line.component.name),
            score=line.score,
            # A legacy paper shows its profile position, never its mark (docs/domain.md §7.1).
            display=profile_display(line.unit_grade)
            if legacy
            else component_display(
                family=exam.family,
                scale=scale,
                score=line.score,
                ums=line.ums,
                ums_max=line.component.ums_max,
                absent=line.absent,
            ),
            ums=line.ums,
            ums_max=line.component.ums_max,
            unit_grade="" if legacy else line.unit_grade,
            profile=line.unit_grade if legacy else "",
            absent=line.absent,
        )
        for line in result.component_scores.all()
    )
    return ResultView(
        name=name if name is not None else entry.person.full_name,
        candidate_id=entry.candidate_id,
        centre_number=entry.centre.number,
        centre_name=entry.centre.name,
        exam_code=exam.code,
        exam_name=exam.name,
        certificate_exam_name=exam.certificate_name,
        exam_date=entry.session.date,
        family=exam.family,
        grade=result.grade,
        result=grade_display(family=exam.family, grade=result.grade, qualification=result.qualification),
        overall_score=result.overall_score,
        overall_display=overall_display(
            family=exam.family,
            scale=scale,
            overall=result.overall_score,
            ums_max_total=exam.ums_max_total,
            grade=result.grade,
        ),
        cefr_level=result.cefr_level,
        certification=certification_of(scale=scale, grade=result.grade, overall=result.overall_score),
        certificate=result.certificate,
        scale=scale is not None,
        components=components,
        released_at=result.released_at,
        result_version=result.version,
        amended_at=result.amended_at,
        legacy=legacy,
        weighted=counts_a_paper_twice(scale=scale, codes=[line.code for line in components]),
        indicator_text=(indicator_explanation(result.grade) or "") if scale is not None else "",
    )
