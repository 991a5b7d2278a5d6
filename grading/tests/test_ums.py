"""Uniform mark scale, unit and qualification grades (docs/domain.md §8)."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.ums import (
    INCOMPLETE,
    UnitResult,
    best_unit_results,
    nea_raw_mark,
    qualification_grade,
    qualification_result,
    raw_to_ums,
    ums_cap,
    unit_grade,
)

SETTINGS = settings(max_examples=200, deadline=None, database=None)


@dataclass(frozen=True)
class Scheme:
    """A unit's raw and UMS boundaries (pass, merit, distinction) and maximums."""

    raw_boundaries: tuple[int, ...]
    raw_max: int
    ums_boundaries: tuple[int, ...]
    ums_max: int

    def ums(self, raw: int) -> int:
        return raw_to_ums(
            raw=raw,
            raw_boundaries=self.raw_boundaries,
            raw_max=self.raw_max,
            ums_boundaries=self.ums_boundaries,
            ums_max=self.ums_max,
        )


# Illustrative boundaries (the real ones are per specification and series): raw 20/30/40 of 60 → UMS 40/56/72 of 90.
UNIT = Scheme(raw_boundaries=(20, 30, 40), raw_max=60, ums_boundaries=(40, 56, 72), ums_max=90)
QUALIFICATION_BOUNDARIES = (120, 168, 216, 252)

JUNE_2025 = datetime.date(2025, 6, 1)
NOVEMBER_2025 = datetime.date(2025, 11, 1)
JUNE_2026 = datetime.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("raw", "ums"),
    [
        (0, 0),
        (10, 20),
        (19, 38),
        (20, 40),  # pass boundary exactly
        (25, 48),
        (29, 54),  # 54.4
        (30, 56),  # merit boundary exactly
        (39, 70),  # 70.4
        (40, 72),  # distinction boundary exactly
        (47, 78),  # 78.3
        (59, 89),  # 89.1
        (60, 90),
    ],
)
def test_raw_to_ums_is_linear_between_boundaries(raw: int, ums: int) -> None:
    assert UNIT.ums(raw) == ums


@pytest.mark.parametrize(("raw", "ums"), [(1, 2), (3, 5), (5, 8), (13, 20)])
def test_raw_to_ums_rounds_half_up(raw: int, ums: int) -> None:
    # Slope 1.5 everywhere: raw 1 → 1.5 → 2, raw 3 → 4.5 → 5, raw 5 → 7.5 → 8, raw 13 → 19.5 → 20.
    assert Scheme(raw_boundaries=(4, 8, 12), raw_max=16, ums_boundaries=(6, 12, 18), ums_max=24).ums(raw) == ums


def test_rounding_never_promotes_a_grade() -> None:
    # (0, 0) → (20, 2): raw 19 is 1.9, which would round to the pass boundary 2; it is capped at 1.
    scheme = Scheme(raw_boundaries=(20, 25, 30), raw_max=40, ums_boundaries=(2, 50, 60), ums_max=100)
    assert scheme.ums(19) == 1
    assert scheme.ums(20) == 2
    assert unit_grade(ums=scheme.ums(19), ums_boundaries=scheme.ums_boundaries) == "U"


def test_equal_raw_boundaries_award_the_higher_grade_on_reaching_them() -> None:
    scheme = replace(UNIT, raw_boundaries=(20, 30, 30))
    assert scheme.ums(30) == 72
    assert scheme.ums(29) == 54  # heads for the merit boundary 56, stays below it
    assert unit_grade(ums=scheme.ums(29), ums_boundaries=scheme.ums_boundaries) == "pass"
    assert unit_grade(ums=scheme.ums(30), ums_boundaries=scheme.ums_boundaries) == "distinction"
    assert scheme.ums(45) == 81  # 72 + 15 × 18 / 30


def test_top_boundary_on_the_raw_maximum_gives_full_ums() -> None:
    scheme = replace(UNIT, raw_boundaries=(20, 30, 60))
    assert scheme.ums(60) == 90
    assert scheme.ums(59) == 71  # 71.47, and never the distinction boundary 72
    assert scheme.ums(45) == 64


def test_top_ums_boundary_on_the_ums_maximum() -> None:
    scheme = replace(UNIT, ums_boundaries=(40, 56, 90))
    assert scheme.ums(40) == 90
    assert scheme.ums(50) == 90
    assert scheme.ums(39) == 87  # 56 + 9 × 34 / 10 = 86.6


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"raw_boundaries": (20, 30)}, "raw boundaries \\(2\\) and UMS boundaries \\(3\\) must have the same length"),
        ({"raw_boundaries": (30, 20, 40)}, "raw boundaries must be in increasing order"),
        ({"raw_boundaries": (0, 30, 40)}, "raw boundaries must be above 0"),
        ({"raw_boundaries": ()}, "raw boundaries must list at least one boundary"),
        ({"raw_boundaries": (20, 30, 61)}, "top raw boundary 61 is above the raw maximum 60"),
        ({"ums_boundaries": (40, 40, 72)}, "UMS boundaries must be strictly increasing"),
        ({"ums_boundaries": (40, 56, 91)}, "top UMS boundary 91 is above the UMS maximum 90"),
        ({"ums_boundaries": (40, 56.5, 72)}, "UMS boundaries must be whole numbers, got 56.5"),
        ({"raw_max": 60.0}, "raw maximum must be a whole number"),
        ({"ums_max": True}, "UMS maximum must be a whole number"),
    ],
)
def test_raw_to_ums_rejects_bad_boundaries(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(UNIT, **overrides).ums(30)


@pytest.mark.parametrize(
    ("raw", "message"),
    [(61, "raw mark 61 must be between 0 and the raw maximum 60"), (-1, "raw mark -1"), (2.5, "raw mark must be")],
)
def test_raw_to_ums_rejects_bad_raw_marks(raw: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        UNIT.ums(raw)


@pytest.mark.parametrize(
    ("ums", "grade"),
    [
        (0, "U"),
        (39, "U"),
        (40, "pass"),
        (55, "pass"),
        (56, "merit"),
        (71, "merit"),
        (72, "distinction"),
        (90, "distinction"),
    ],
)
def test_unit_grade(ums: int, grade: str) -> None:
    assert unit_grade(ums=ums, ums_boundaries=(40, 56, 72)) == grade


@pytest.mark.parametrize(
    ("ums", "boundaries", "message"),
    [
        (50, (40, 56), "unit UMS boundaries must list 3 boundaries \\(pass, merit, distinction\\), got 2"),
        (50, (40, 72, 56), "strictly increasing"),
        (-1, (40, 56, 72), "UMS must not be negative"),
    ],
)
def test_unit_grade_rejects_bad_input(ums: int, boundaries: Sequence[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        unit_grade(ums=ums, ums_boundaries=boundaries)


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        (0, "U"),
        (119, "U"),
        (120, "Pass"),
        (167, "Pass"),
        (168, "Merit"),
        (215, "Merit"),
        (216, "Distinction"),
        (251, "Distinction"),
        (252, "Distinction*"),
        (300, "Distinction*"),
    ],
)
def test_qualification_grade(total: int, grade: str) -> None:
    assert qualification_grade(total_ums=total, boundaries=QUALIFICATION_BOUNDARIES) == grade


def test_qualification_grade_needs_four_boundaries() -> None:
    with pytest.raises(ValueError, match="must list 4 boundaries \\(Pass, Merit, Distinction, Distinction\\*\\)"):
        qualification_grade(total_ums=150, boundaries=(120, 168, 216))
    with pytest.raises(ValueError, match="total UMS must not be negative"):
        qualification_grade(total_ums=-5, boundaries=QUALIFICATION_BOUNDARIES)


def test_best_unit_result_is_the_highest_ums() -> None:
    first = UnitResult("F001", "June 2025", JUNE_2025, 50)
    resit = UnitResult("F001", "June 2026", JUNE_2026, 66)
    other = UnitResult("F002", "June 2025", JUNE_2025, 80)
    assert best_unit_results([first, resit, other]) == {"F001": resit, "F002": other}
    assert best_unit_results([resit, first, other]) == {"F001": resit, "F002": other}


def test_best_unit_result_tie_keeps_the_earlier_series() -> None:
    first = UnitResult("F001", "June 2025", JUNE_2025, 60)
    resit = UnitResult("F001", "November 2025", NOVEMBER_2025, 60)
    assert best_unit_results([first, resit])["F001"] is first
    assert best_unit_results([resit, first])["F001"] is first


def test_two_results_for_one_unit_in_one_series_are_an_error() -> None:
    with pytest.raises(ValueError, match="unit F001 has two results in series June 2025"):
        best_unit_results(
            [UnitResult("F001", "June 2025", JUNE_2025, 60), UnitResult("F001", "June 2025", JUNE_2025, 61)]
        )


def test_negative_unit_ums_is_an_error() -> None:
    with pytest.raises(ValueError, match="UMS for unit F001 must not be negative"):
        best_unit_results([UnitResult("F001", "June 2025", JUNE_2025, -1)])


def test_qualification_result_sums_the_best_result_per_unit() -> None:
    f1_old = UnitResult("F001", "June 2025", JUNE_2025, 50)
    f1_resit = UnitResult("F001", "June 2026", JUNE_2026, 70)
    f2 = UnitResult("F002", "June 2025", JUNE_2025, 80)
    f3 = UnitResult("F003", "June 2026", JUNE_2026, 75)
    optional = UnitResult("F009", "June 2026", JUNE_2026, 90)
    outcome = qualification_result(
        unit_results=[f1_old, f2, f1_resit, f3, optional],
        required_units=("F001", "F002", "F003"),
        boundaries=QUALIFICATION_BOUNDARIES,
        ums_max_total=270,
    )
    assert (outcome.total_ums, outcome.grade, outcome.outcome, outcome.complete) == (
        225,
        "Distinction",
        "Distinction",
        True,
    )
    assert outcome.counted == (f1_resit, f2, f3)
    assert [(result.unit_code, result.series) for result in outcome.counted] == [
        ("F001", "June 2026"),
        ("F002", "June 2025"),
        ("F003", "June 2026"),
    ]
    assert outcome.not_counted == (f1_old, optional)
    assert outcome.missing_units == ()


def test_qualification_result_without_a_required_unit_is_incomplete() -> None:
    f1 = UnitResult("F001", "June 2025", JUNE_2025, 90)
    outcome = qualification_result(
        unit_results=[f1],
        required_units=("F001", "F002", "F003"),
        boundaries=QUALIFICATION_BOUNDARIES,
        ums_max_total=270,
    )
    assert (outcome.grade, outcome.total_ums, outcome.outcome, outcome.complete) == (None, None, INCOMPLETE, False)
    assert outcome.missing_units == ("F002", "F003")
    assert outcome.counted == (f1,)


def test_qualification_result_u_is_a_grade_not_incomplete() -> None:
    results = [UnitResult(code, "June 2026", JUNE_2026, 10) for code in ("F001", "F002", "F003")]
    outcome = qualification_result(
        unit_results=results,
        required_units=("F001", "F002", "F003"),
        boundaries=QUALIFICATION_BOUNDARIES,
        ums_max_total=270,
    )
    assert (outcome.grade, outcome.total_ums, outcome.complete) == ("U", 30, True)


@pytest.mark.parametrize(
    ("required", "boundaries", "ums_max_total", "message"),
    [
        ((), QUALIFICATION_BOUNDARIES, 270, "required units must list at least one unit"),
        (("F001", "F001"), QUALIFICATION_BOUNDARIES, 270, "required units must not repeat"),
        (("F001",), (120, 168, 216), 270, "must list 4 boundaries"),
        (
            ("F001",),
            QUALIFICATION_BOUNDARIES,
            250,
            "top qualification boundary 252 is above the UMS maximum total 250",
        ),
        (("F001",), (10, 20, 30, 40), 60, "total UMS 90 is above the UMS maximum total 60"),
    ],
)
def test_qualification_result_rejects_bad_input(
    required: tuple[str, ...], boundaries: tuple[int, ...], ums_max_total: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        qualification_result(
            unit_results=[UnitResult("F001", "June 2025", JUNE_2025, 90)],
            required_units=required,
            boundaries=boundaries,
            ums_max_total=ums_max_total,
        )


@pytest.mark.parametrize(
    ("criteria", "mark"),
    [([], 0), ([False, False], 0), ([True, False, True, True], 3), ([True] * 24, 24)],
)
def test_nea_raw_mark_counts_criteria_achieved(criteria: list[bool], mark: int) -> None:
    assert nea_raw_mark(criteria) == mark
    assert nea_raw_mark(iter(criteria)) == mark


def test_nea_raw_mark_needs_true_or_false() -> None:
    with pytest.raises(ValueError, match="criterion 2 must be True or False, got 1"):
        nea_raw_mark([True, 1])  # type: ignore[list-item]


@st.composite
def unit_schemes(draw: st.DrawFn) -> Scheme:
    raw_max = draw(st.integers(1, 120))
    ums_max = draw(st.integers(3, 200))
    return Scheme(
        raw_boundaries=tuple(sorted(draw(st.lists(st.integers(1, raw_max), min_size=3, max_size=3)))),
        raw_max=raw_max,
        ums_boundaries=tuple(sorted(draw(st.lists(st.integers(1, ums_max), min_size=3, max_size=3, unique=True)))),
        ums_max=ums_max,
    )


def raw_grade(raw: int, raw_boundaries: Sequence[int]) -> str:
    """Return the grade the raw mark reaches on the raw boundaries themselves."""
    grade = "U"
    for name, boundary in zip(("pass", "merit", "distinction"), raw_boundaries, strict=True):
        if raw >= boundary:
            grade = name
    return grade


@SETTINGS
@given(unit_schemes())
def test_ums_is_monotone_and_within_0_and_the_maximum(scheme: Scheme) -> None:
    values = [scheme.ums(raw) for raw in range(scheme.raw_max + 1)]
    assert values[0] == 0
    assert values[-1] == scheme.ums_max
    assert all(0 <= value <= scheme.ums_max for value in values)
    assert values == sorted(values)


@SETTINGS
@given(unit_schemes())
def test_ums_hits_every_boundary_and_never_promotes(scheme: Scheme) -> None:
    pairs = list(zip(scheme.raw_boundaries, scheme.ums_boundaries, strict=True))
    for raw_boundary, ums_boundary in pairs:
        highest_here = max(ums for raw, ums in pairs if raw == raw_boundary)
        expected = scheme.ums_max if raw_boundary == scheme.raw_max else highest_here
        assert scheme.ums(raw_boundary) == expected
        assert expected >= ums_boundary
    for raw in range(scheme.raw_max + 1):
        ums = scheme.ums(raw)
        assert unit_grade(ums=ums, ums_boundaries=scheme.ums_boundaries) == raw_grade(raw, scheme.raw_boundaries)


@SETTINGS
@given(unit_schemes())
def test_distinct_boundaries_are_hit_exactly(scheme: Scheme) -> None:
    pairs = zip(scheme.raw_boundaries, scheme.ums_boundaries, strict=True)
    distinct = [(raw, ums) for raw, ums in pairs if scheme.raw_boundaries.count(raw) == 1 and raw < scheme.raw_max]
    for raw, ums in distinct:
        assert scheme.ums(raw) == ums


# AQA's Guide to UMS, worked example: an AS unit of 62 raw marks, 100 UMS, A boundary 39 (80 UMS), B 33 (70 UMS).
# The cap is A + 2 × (A − B) = 39 + 12 = 51; raw 45 is half-way from A to the cap: 80 + 20 × 6 / 12 = 90 UMS.
AQA_RAW = [15, 21, 27, 33, 39]  # E, D, C, B, A: 6 marks apart, as in the guide's example
AQA_UMS = [40, 50, 60, 70, 80]


@pytest.mark.parametrize(("raw", "ums"), [(39, 80), (42, 85), (45, 90), (50, 98), (51, 100), (55, 100), (62, 100)])
def test_aqa_worked_example_with_the_as_cap(raw: int, ums: int) -> None:
    cap = ums_cap(rule="as", raw_boundaries=AQA_RAW, raw_max=62)

    assert cap == 51
    assert raw_to_ums(raw=raw, raw_boundaries=AQA_RAW, raw_max=62, ums_boundaries=AQA_UMS, ums_max=100, cap=cap) == ums


def test_without_a_cap_full_ums_only_at_full_raw_marks() -> None:
    # (39, 80) to (62, 100): 45 → 80 + 20 × 6 / 23 = 85.2 → 85; 61 → 99.1 → 99.
    assert raw_to_ums(raw=45, raw_boundaries=AQA_RAW, raw_max=62, ums_boundaries=AQA_UMS, ums_max=100) == 85
    assert raw_to_ums(raw=61, raw_boundaries=AQA_RAW, raw_max=62, ums_boundaries=AQA_UMS, ums_max=100) == 99
    assert ums_cap(rule="", raw_boundaries=AQA_RAW, raw_max=62) is None


def test_a2_cap_and_the_raw_maximum_limit() -> None:
    # A2 rule: A* + (A* − A); here the top two boundaries are 39 and 33 → 45, and never above the raw maximum.
    assert ums_cap(rule="a2", raw_boundaries=AQA_RAW, raw_max=62) == 45
    assert ums_cap(rule="as", raw_boundaries=[20, 30], raw_max=40) == 40
    assert ums_cap(rule="as", raw_boundaries=[20, 40], raw_max=40) is None  # top boundary on the maximum
    assert ums_cap(rule="a2", raw_boundaries=[30, 30], raw_max=40) is None  # two top boundaries equal


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rule": "gcse", "raw_boundaries": AQA_RAW, "raw_max": 62}, "unknown UMS cap rule 'gcse'"),
        ({"rule": "as", "raw_boundaries": [39], "raw_max": 62}, "needs at least two raw boundaries"),
    ],
)
def test_bad_cap_rules_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ums_cap(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("cap", [39, 63])
def test_a_cap_outside_the_top_boundary_and_the_maximum_is_refused(cap: int) -> None:
    with pytest.raises(ValueError, match=f"UMS cap {cap} must be above the top raw boundary 39 and at most 62"):
        raw_to_ums(raw=40, raw_boundaries=AQA_RAW, raw_max=62, ums_boundaries=AQA_UMS, ums_max=100, cap=cap)


@SETTINGS
@given(st.integers(min_value=0, max_value=62), st.sampled_from(["as", "a2"]))
def test_a_cap_changes_nothing_below_the_top_boundary_and_never_lowers_a_mark(raw: int, rule: str) -> None:
    cap = ums_cap(rule=rule, raw_boundaries=AQA_RAW, raw_max=62)
    scheme = {"raw_boundaries": AQA_RAW, "raw_max": 62, "ums_boundaries": AQA_UMS, "ums_max": 100}
    capped, plain = raw_to_ums(raw=raw, cap=cap, **scheme), raw_to_ums(raw=raw, **scheme)  # type: ignore[arg-type]

    assert capped == plain if raw <= AQA_RAW[-1] else plain <= capped <= 100
    if raw < 62:
        assert capped <= raw_to_ums(raw=raw + 1, cap=cap, **scheme)  # type: ignore[arg-type]
