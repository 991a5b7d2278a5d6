"""What an old-style Statement of Results shows besides the one presentation of a result (docs/domain.md §7.1).

A result graded from raw paper marks (``grading.legacy``) is printed as the board printed it before the Cambridge
English Scale: the result, a standardised score out of 100 where the format had one, and a profile of each paper
on the scale Weak – Borderline – Good – Exceptional (a bar to its position, with the position in words, so the
graphic never carries information on its own). The page and the PDF both read it from here.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from grading.legacy import LegacyFormat, legacy_format
from grading.scale import RESULT_FAIL
from grading.standardised import BORDERLINE, EXCEPTIONAL, GOOD, STANDARDISED_MAX, WEAK

from .charts import result_name
from .presentation import PROFILE_NAMES, ResultView

# The profile scale from its lowest position up: the bar of a paper reaches its position.
PROFILE_SCALE = (WEAK, BORDERLINE, GOOD, EXCEPTIONAL)


@dataclass(frozen=True)
class ProfileRow:
    """One paper of the profile: its name, its position in words and how far its bar reaches (1 to 4)."""

    label: str
    position: str
    rank: int

    @property
    def cells(self) -> tuple[bool, ...]:
        """Return, from Weak up to Exceptional, whether the paper's bar covers each position."""
        return tuple(index < self.rank for index in range(len(PROFILE_SCALE)))


@dataclass(frozen=True)
class GradeRow:
    """One result of the format with the standardised scores set for it, marking the candidate's."""

    label: str
    scores: str
    level: str
    yours: bool


@dataclass(frozen=True)
class OldStyleStatement:
    """The old-style parts of a statement: the format's name and what it had, the profile and the grades."""

    format_name: str
    standardised: bool
    profile: tuple[ProfileRow, ...]
    grades: tuple[GradeRow, ...]
    weight: int
    papers: int

    @property
    def levels(self) -> bool:
        """Return whether the format's results certify CEFR levels (Delta Module One's do not)."""
        return any(row.level and row.label != result_name(RESULT_FAIL) for row in self.grades)


def _grade_rows(*, fmt: LegacyFormat, grade: str) -> tuple[GradeRow, ...]:
    rows = []
    top = STANDARDISED_MAX
    for item in fmt.grades:
        low = item.standardised_from
        scores = f"{low}–{top}" if low is not None else ""
        rows.append(GradeRow(result_name(item.label), scores, item.cefr, item.label == grade))
        if low is not None:
            top = low - 1
    fail_scores = f"0–{top}" if fmt.standardised else ""
    rows.append(GradeRow(result_name(RESULT_FAIL), fail_scores, _("no certificate"), grade == RESULT_FAIL))
    return tuple(rows)


def old_style_statement(*, view: ResultView) -> OldStyleStatement | None:
    """Return the old-style parts of the statement of ``view``, or None for a result on the scale or in UMS."""
    fmt = legacy_format(exam_code=view.exam_code, session_date=view.exam_date) if view.legacy else None
    if fmt is None:
        return None
    profile = tuple(
        ProfileRow(line.label, str(PROFILE_NAMES[line.profile]), PROFILE_SCALE.index(line.profile) + 1)
        for line in view.components
        if line.profile in PROFILE_SCALE
    )
    return OldStyleStatement(
        format_name=fmt.name,
        standardised=fmt.standardised,
        profile=profile,
        grades=_grade_rows(fmt=fmt, grade=view.grade),
        weight=fmt.weight,
        papers=len(fmt.papers),
    )
