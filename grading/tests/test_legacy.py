"""Legacy formats: papers weighted into an aggregate, standardised scores, profiles (docs/domain.md §6, §7)."""

import datetime as dt
from fractions import Fraction

import pytest

from grading.aggregate import weighted_mark
from grading.legacy import (
    DELTA_MODULE_ONE,
    FIRST_2011,
    LEGAL,
    legacy_format,
    legacy_result,
    paper_percentage,
    standardised_score,
)
from grading.standardised import ProfileThresholds

# Illustrative board entries: the real thresholds change per session and were never published.
FIRST_THRESHOLDS = [
    ("Grade A", Fraction(160)),
    ("Grade B", Fraction(150)),
    ("Grade C", Fraction(120)),
    ("Level B1", Fraction(90)),
]
PROFILE = ProfileThresholds(exceptional=80, good=60, borderline=45)
FIRST_MAXIMA = {"paper1": 40, "paper2": 40, "paper3": 42, "paper4": 30, "paper5": 20}


def _first(marks: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {code: (mark, FIRST_MAXIMA[code]) for code, mark in marks.items()}


@pytest.mark.parametrize(
    ("mark", "maximum", "weighted"),
    # The results FAQ's rule, "your score × 40 ÷ maximum number of possible marks".
    [(35, 42, Fraction(100, 3)), (24, 30, Fraction(32)), (42, 42, Fraction(40)), (0, 42, Fraction(0))],
)
def test_a_paper_is_weighted_to_40(mark: int, maximum: int, weighted: Fraction) -> None:
    assert weighted_mark(mark=mark, maximum=maximum) == weighted


def test_a_format_may_weight_its_papers_otherwise() -> None:
    # ILEC: four papers of 50 marks each (a total out of 200).
    assert weighted_mark(mark=30, maximum=60, weight=LEGAL.weight) == 25


@pytest.mark.parametrize(
    ("code", "day", "expected"),
    [
        ("FCE", dt.date(2014, 12, 31), FIRST_2011),
        ("FCES", dt.date(2013, 6, 12), FIRST_2011),
        ("FCE", dt.date(2015, 1, 1), None),  # the Cambridge English Scale from January 2015
        ("FCE", dt.date(2011, 2, 28), None),  # before extended certification: not modelled
        ("DELTA1", dt.date(2026, 6, 3), DELTA_MODULE_ONE),
        ("CAE", dt.date(2013, 6, 12), None),  # no sourced papers: not a legacy format here
    ],
)
def test_the_format_in_force_on_the_session_date(code: str, day: dt.date, expected: object) -> None:
    assert legacy_format(exam_code=code, session_date=day) is expected


def test_the_aggregate_decides_the_grade_and_the_standardised_score_passes_through_each_grade() -> None:
    result = legacy_result(
        fmt=FIRST_2011,
        marks=_first({"paper1": 19, "paper2": 31, "paper3": 35, "paper4": 24, "paper5": 8}),
        thresholds=FIRST_THRESHOLDS,
        profile=PROFILE,
    )

    # 19 + 31 + 33⅓ + 32 + 16 = 131⅓ of 200.
    assert (result.aggregate, result.aggregate_max) == (Fraction(394, 3), 200)
    assert (result.grade, result.cefr_level, result.certificate) == ("Grade C", "B2", True)
    # 60 + (131⅓ − 120) × 15 / 30 = 65⅔ → 66.
    assert result.standardised == 66
    assert [p.profile for p in result.papers] == ["Borderline", "Good", "Exceptional", "Exceptional", "Weak"]


@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [(160, 80), (150, 75), (120, 60), (90, 45), (0, 0), (200, 100), (155, 78), (Fraction(299, 2), 75)],
)
def test_a_grades_minimum_gets_exactly_its_set_standardised_score(aggregate: Fraction, expected: int) -> None:
    points = [(Fraction(minimum), value) for minimum, value in ((160, 80), (150, 75), (120, 60), (90, 45))]

    assert standardised_score(aggregate=Fraction(aggregate), aggregate_max=200, points=points) == expected


def test_below_every_threshold_is_a_fail_without_certificate() -> None:
    result = legacy_result(
        fmt=DELTA_MODULE_ONE,
        marks={"paper1": (50, 100), "paper2": (49, 100)},
        thresholds=[
            ("Pass with Distinction", Fraction(150)),
            ("Pass with Merit", Fraction(130)),
            ("Pass", Fraction(100)),
        ],
        profile=None,
    )

    assert (result.aggregate, result.grade, result.certificate, result.standardised) == (99, "Fail", False, None)


def test_a_threshold_must_name_a_result_of_the_format() -> None:
    with pytest.raises(ValueError, match="'Grade A' is not a result of Delta Module One"):
        legacy_result(
            fmt=DELTA_MODULE_ONE,
            marks={"paper1": (1, 100), "paper2": (1, 100)},
            thresholds=[("Grade A", Fraction(1))],
            profile=None,
        )


def test_every_paper_is_needed_and_a_profiled_format_needs_its_thresholds() -> None:
    with pytest.raises(ValueError, match="needs a mark for each of paper1, paper2"):
        legacy_result(
            fmt=DELTA_MODULE_ONE, marks={"paper1": (1, 100)}, thresholds=[("Pass", Fraction(1))], profile=None
        )
    with pytest.raises(ValueError, match="profile thresholds are needed"):
        legacy_result(
            fmt=FIRST_2011,
            marks=_first({"paper1": 1, "paper2": 1, "paper3": 1, "paper4": 1, "paper5": 1}),
            thresholds=FIRST_THRESHOLDS,
            profile=None,
        )


@pytest.mark.parametrize(("mark", "maximum", "percentage"), [(19, 40, 48), (35, 42, 83), (1, 3, 33), (2, 3, 67)])
def test_a_papers_profile_is_read_on_its_percentage_halves_up(mark: int, maximum: int, percentage: int) -> None:
    assert paper_percentage(mark=mark, maximum=maximum) == percentage
