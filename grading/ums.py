"""Unitised qualifications: raw marks to the uniform mark scale (UMS), unit and qualification grades.

Rules: docs/domain.md §8 'Unitised qualifications (UMS)' (Cambridge Advanced Nationals: units
graded pass / merit / distinction, qualifications Pass / Merit / Distinction / Distinction*, qualification
grade from the sum of unit UMS against fixed boundaries, NEA raw mark = number of assessment criteria
achieved). The raw and UMS boundaries are per specification and series, so they are always passed in.
Rounding, capping and tie-break choices: docs/decisions/0002-grading-rules.md.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from grading._validation import whole_number
from grading.rounding import round_half_up

GRADE_U = "U"
UNIT_GRADES: tuple[str, ...] = ("pass", "merit", "distinction")
QUALIFICATION_GRADES: tuple[str, ...] = ("Pass", "Merit", "Distinction", "Distinction*")
INCOMPLETE = "incomplete"


def _boundaries(*, field: str, values: Sequence[int], strictly: bool) -> tuple[int, ...]:
    checked = tuple(values)
    for value in checked:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{field} must be whole numbers, got {value!r}")
    if not checked:
        raise ValueError(f"{field} must list at least one boundary")
    if checked[0] <= 0:
        raise ValueError(f"{field} must be above 0, got {checked[0]}")
    for lower, upper in zip(checked, checked[1:], strict=False):
        if upper < lower or (strictly and upper == lower):
            order = "strictly increasing" if strictly else "in increasing order"
            raise ValueError(f"{field} must be {order}, got {', '.join(map(str, checked))}")
    return checked


@dataclass(frozen=True)
class _Knot:
    raw: int
    arrive: int  # UMS the segment ending here heads for (the lowest boundary at this raw mark)
    depart: int  # UMS awarded at this raw mark and where the next segment starts (the highest)
    is_boundary: bool


def _knots(*, raw_boundaries: Sequence[int], raw_max: int, ums_boundaries: Sequence[int], ums_max: int) -> list[_Knot]:
    knots = [_Knot(raw=0, arrive=0, depart=0, is_boundary=False)]
    for raw, ums in zip(raw_boundaries, ums_boundaries, strict=True):
        if knots[-1].raw == raw:
            knots[-1] = _Knot(raw=raw, arrive=knots[-1].arrive, depart=ums, is_boundary=True)
        else:
            knots.append(_Knot(raw=raw, arrive=ums, depart=ums, is_boundary=True))
    if knots[-1].raw == raw_max:
        # Full raw marks always earn full uniform marks, even when the top boundary sits on the maximum.
        knots[-1] = _Knot(raw=raw_max, arrive=knots[-1].arrive, depart=ums_max, is_boundary=True)
    else:
        knots.append(_Knot(raw=raw_max, arrive=ums_max, depart=ums_max, is_boundary=False))
    return knots


CAP_RULES: dict[str, int] = {"as": 2, "a2": 1}


def ums_cap(*, rule: str, raw_boundaries: Sequence[int], raw_max: int) -> int | None:
    """Return the raw mark from which a unit earns full UMS under a legacy cap rule, or None without one.

    Rule: docs/domain.md §8.3. The two top raw boundaries give the cap: ``top + 2 × (top − next)`` for the "as"
    rule (AS units: A + 2 × (A − B)), ``top + (top − next)`` for "a2" (A2 units: A* + (A* − A)); never above the
    raw maximum. An empty rule means no cap (full UMS only at full raw marks), as does a cap that would not be
    above the top boundary.
    """
    if not rule:
        return None
    if rule not in CAP_RULES:
        raise ValueError(f"unknown UMS cap rule {rule!r}: expected one of {', '.join(CAP_RULES)}")
    raws = _boundaries(field="raw boundaries", values=raw_boundaries, strictly=False)
    if len(raws) < 2:
        raise ValueError("a UMS cap needs at least two raw boundaries")
    top, below = raws[-1], raws[-2]
    cap = min(top + CAP_RULES[rule] * (top - below), whole_number(field="raw maximum", value=raw_max))
    return cap if cap > top else None  # top boundary on the maximum, or the two top boundaries equal: no cap


def raw_to_ums(
    *,
    raw: int,
    raw_boundaries: Sequence[int],
    raw_max: int,
    ums_boundaries: Sequence[int],
    ums_max: int,
    cap: int | None = None,
) -> int:
    """Return the uniform mark for a raw mark: piecewise linear between the grade boundaries.

    Rule: docs/domain.md §8.2: the series' raw boundaries map onto the fixed UMS boundaries,
    linearly through (0, 0), each (raw boundary, UMS boundary) and (raw maximum, UMS maximum), rounded half
    up. A raw mark on a boundary gets exactly that boundary's UMS; a raw mark below a boundary gets at most
    one less than its UMS, so rounding never promotes a grade. Where raw boundaries are equal the higher
    UMS is awarded on reaching them; full raw marks always earn full UMS. Boundaries are ascending
    (pass, merit, distinction, ...), the same number of each; raw ones may repeat, UMS ones may not.

    With a ``cap`` (§8.3, see ``ums_cap``), the last segment runs from the top boundary to (cap, UMS maximum)
    instead of to the raw maximum, and every raw mark from the cap up earns full UMS.
    """
    raw_max = whole_number(field="raw maximum", value=raw_max)
    ums_max = whole_number(field="UMS maximum", value=ums_max)
    raw = whole_number(field="raw mark", value=raw)
    raws = _boundaries(field="raw boundaries", values=raw_boundaries, strictly=False)
    umss = _boundaries(field="UMS boundaries", values=ums_boundaries, strictly=True)
    if len(raws) != len(umss):
        raise ValueError(f"raw boundaries ({len(raws)}) and UMS boundaries ({len(umss)}) must have the same length")
    if raws[-1] > raw_max:
        raise ValueError(f"top raw boundary {raws[-1]} is above the raw maximum {raw_max}")
    if umss[-1] > ums_max:
        raise ValueError(f"top UMS boundary {umss[-1]} is above the UMS maximum {ums_max}")
    if not 0 <= raw <= raw_max:
        raise ValueError(f"raw mark {raw} must be between 0 and the raw maximum {raw_max}")

    if cap is not None:
        cap = whole_number(field="UMS cap", value=cap)
        if not raws[-1] < cap <= raw_max:
            raise ValueError(f"UMS cap {cap} must be above the top raw boundary {raws[-1]} and at most {raw_max}")
        if raw >= cap:
            return ums_max
        raw_max = cap
    knots = _knots(raw_boundaries=raws, raw_max=raw_max, ums_boundaries=umss, ums_max=ums_max)
    for start, end in zip(knots, knots[1:], strict=False):
        if raw == start.raw:
            return start.depart
        if raw < end.raw:
            slope = Fraction(end.arrive - start.depart, end.raw - start.raw)
            ums = round_half_up(start.depart + (raw - start.raw) * slope)
            return min(ums, end.arrive - 1) if end.is_boundary else ums
    return knots[-1].depart


def _grade_boundaries(*, boundaries: Sequence[int], grades: tuple[str, ...], field: str) -> tuple[int, ...]:
    if len(boundaries) != len(grades):
        raise ValueError(f"{field} must list {len(grades)} boundaries ({', '.join(grades)}), got {len(boundaries)}")
    return _boundaries(field=field, values=boundaries, strictly=True)


def _grade(*, value: int, boundaries: Sequence[int], grades: tuple[str, ...], field: str) -> str:
    checked = _grade_boundaries(boundaries=boundaries, grades=grades, field=field)
    result = GRADE_U
    for grade, boundary in zip(grades, checked, strict=True):
        if value >= boundary:
            result = grade
    return result


def unit_grade(*, ums: int, ums_boundaries: Sequence[int]) -> str:
    """Return a unit's grade ("U", "pass", "merit" or "distinction") from its UMS.

    Rule: docs/domain.md §8.5 ("Units are graded as pass, merit and distinction"); ``ums_boundaries`` are the
    specification's fixed UMS boundaries for pass, merit and distinction, ascending.
    """
    ums = whole_number(field="UMS", value=ums)
    if ums < 0:
        raise ValueError(f"UMS must not be negative, got {ums}")
    return _grade(value=ums, boundaries=ums_boundaries, grades=UNIT_GRADES, field="unit UMS boundaries")


def qualification_grade(*, total_ums: int, boundaries: Sequence[int]) -> str:
    """Return the qualification grade ("U", "Pass", "Merit", "Distinction" or "Distinction*") from total UMS.

    Rule: docs/domain.md §8.5 (overall grade from the total UMS against the standard qualification boundaries,
    which do not change); ``boundaries`` are those for Pass, Merit, Distinction and Distinction*, ascending.
    """
    total_ums = whole_number(field="total UMS", value=total_ums)
    if total_ums < 0:
        raise ValueError(f"total UMS must not be negative, got {total_ums}")
    return _grade(
        value=total_ums, boundaries=boundaries, grades=QUALIFICATION_GRADES, field="qualification boundaries"
    )


@dataclass(frozen=True)
class UnitResult:
    """One unit result in one series: ``series`` is its label ("June 2026"), ``series_date`` orders series."""

    unit_code: str
    series: str
    series_date: datetime.date
    ums: int


def best_unit_results(results: Iterable[UnitResult]) -> dict[str, UnitResult]:
    """Return the best result per unit code across series: the highest UMS, the earlier series on a tie.

    Rule: docs/domain.md §8.6 (best result per unit across series). On equal UMS the result that was already on
    record (the earlier series) keeps counting, so a resit that matches it changes nothing
    (docs/decisions/0002-grading-rules.md). Two results for one unit in one series are a data error.
    """
    best: dict[str, UnitResult] = {}
    seen: set[tuple[str, datetime.date]] = set()
    for result in results:
        ums = whole_number(field=f"UMS for unit {result.unit_code}", value=result.ums)
        if ums < 0:
            raise ValueError(f"UMS for unit {result.unit_code} must not be negative, got {ums}")
        key = (result.unit_code, result.series_date)
        if key in seen:
            raise ValueError(f"unit {result.unit_code} has two results in series {result.series}")
        seen.add(key)
        current = best.get(result.unit_code)
        if (
            current is None
            or result.ums > current.ums
            or (result.ums == current.ums and result.series_date < current.series_date)
        ):
            best[result.unit_code] = result
    return best


@dataclass(frozen=True)
class QualificationResult:
    """A qualification outcome with the unit results behind it.

    ``counted`` holds the result that counted for each required unit (in ``required_units`` order),
    ``not_counted`` every other result from every series. When a required unit has no result the outcome is
    incomplete: ``grade`` and ``total_ums`` are None and ``missing_units`` names the units.
    """

    grade: str | None
    total_ums: int | None
    ums_max_total: int
    counted: tuple[UnitResult, ...]
    not_counted: tuple[UnitResult, ...]
    missing_units: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Return whether every required unit has a result, so that a grade was awarded."""
        return not self.missing_units

    @property
    def outcome(self) -> str:
        """Return the grade, or ``incomplete`` when a required unit has no result."""
        return self.grade if self.grade is not None else INCOMPLETE


def qualification_result(
    *,
    unit_results: Iterable[UnitResult],
    required_units: Sequence[str],
    boundaries: Sequence[int],
    ums_max_total: int,
) -> QualificationResult:
    """Return the qualification grade and total UMS from the best result of each required unit.

    Rule: docs/domain.md §8.5 and §8.6 (qualification grade from the sum of the unit UMS, the best result per
    unit across series, against fixed boundaries). A required unit without a result gives an incomplete outcome,
    never a grade; results for units outside ``required_units`` are listed as not counted.
    """
    ums_max_total = whole_number(field="UMS maximum total", value=ums_max_total)
    if not required_units:
        raise ValueError("required units must list at least one unit")
    if len(set(required_units)) != len(required_units):
        raise ValueError(f"required units must not repeat, got {', '.join(required_units)}")
    checked = _grade_boundaries(boundaries=boundaries, grades=QUALIFICATION_GRADES, field="qualification boundaries")
    if checked[-1] > ums_max_total:
        raise ValueError(f"top qualification boundary {checked[-1]} is above the UMS maximum total {ums_max_total}")

    every_result = tuple(unit_results)
    best = best_unit_results(every_result)
    counted = tuple(best[unit] for unit in required_units if unit in best)
    not_counted = tuple(result for result in every_result if result not in counted)
    missing = tuple(unit for unit in required_units if unit not in best)
    if missing:
        return QualificationResult(None, None, ums_max_total, counted, not_counted, missing)
    total = sum(result.ums for result in counted)
    if total > ums_max_total:
        raise ValueError(f"total UMS {total} is above the UMS maximum total {ums_max_total}")
    grade = qualification_grade(total_ums=total, boundaries=checked)
    return QualificationResult(grade, total, ums_max_total, counted, not_counted)


def nea_raw_mark(criteria_achieved: Iterable[bool]) -> int:
    """Return an NEA unit's raw mark: the number of assessment criteria achieved.

    Rule: docs/domain.md §8.4 ("For NEA units, the total number of assessment criteria achieved is known as the
    'raw mark'"). Each item says whether one criterion was achieved and must be a bool.
    """
    achieved = 0
    for position, criterion in enumerate(criteria_achieved, start=1):
        if not isinstance(criterion, bool):
            raise ValueError(f"criterion {position} must be True or False, got {criterion!r}")
        achieved += criterion
    return achieved
