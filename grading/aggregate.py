"""Raw-mark papers weighted to 40 and added into an aggregate that decides the grade.

Rule: docs/domain.md §6 'Papers weighted to 40 and aggregates' (the Cambridge English results FAQ): each
paper's mark is weighted to a mark out of 40 as ``mark × 40 ÷ maximum``,
the weighted marks are added into an aggregate and the grade comes from the aggregate alone (compensatory:
there is no pass or fail per paper, docs/domain.md §6.1).
The aggregate thresholds change from session to session (docs/domain.md §6.2: "pass marks ... may vary from
session to session") and are not public, so they are always passed in.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from grading._validation import whole_number

# Source: docs/domain.md §6.1, "the mark you are awarded is weighted to a mark out of 40".
PAPER_WEIGHT = 40


@dataclass(frozen=True)
class PaperMark:
    """A candidate's raw mark on one paper and the paper's maximum raw mark."""

    mark: int
    maximum: int


def weighted_mark(*, mark: int, maximum: int, weight: int = PAPER_WEIGHT) -> Fraction:
    """Return the paper's mark weighted to 40: ``mark × 40 ÷ maximum``, exactly.

    Rule: docs/domain.md §6.1 ("Your score × 40 ÷ maximum number of possible marks"). Needs ``maximum > 0`` and
    ``0 <= mark <= maximum``. ``weight`` is 40 unless an exam's format says otherwise (docs/domain.md §6.4).
    """
    mark = whole_number(field="mark", value=mark)
    maximum = whole_number(field="maximum", value=maximum)
    if maximum <= 0:
        raise ValueError(f"maximum must be above 0, got {maximum}")
    if not 0 <= mark <= maximum:
        raise ValueError(f"mark {mark} must be between 0 and the paper's maximum {maximum}")
    weight = whole_number(field="weight", value=weight)
    if weight <= 0:
        raise ValueError(f"weight must be above 0, got {weight}")
    return Fraction(mark * weight, maximum)


def aggregate(papers: Iterable[PaperMark | tuple[int, int]]) -> Fraction:
    """Return the aggregate: the sum of every paper's mark weighted to 40 (docs/domain.md §6.1).

    ``papers`` holds ``PaperMark`` values or ``(mark, maximum)`` pairs; at least one paper is needed.
    """
    total = Fraction(0)
    count = 0
    for paper in papers:
        pair = (paper.mark, paper.maximum) if isinstance(paper, PaperMark) else tuple(paper)
        if len(pair) != 2:
            raise ValueError(f"each paper must be a (mark, maximum) pair, got {paper!r}")
        mark, maximum = pair
        total += weighted_mark(mark=mark, maximum=maximum)
        count += 1
    if count == 0:
        raise ValueError("at least one paper is needed to work out an aggregate")
    return total


def _exact_number(*, field: str, value: object) -> Fraction:
    # Floats are refused: a binary float cannot state a threshold such as 0.1 exactly.
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        raise ValueError(f"{field} must be a whole number or a Fraction, got {value!r}")
    return Fraction(value)


def aggregate_grade(*, aggregate: Fraction | int, thresholds: Sequence[tuple[str, Fraction | int]]) -> str | None:
    """Return the grade whose minimum aggregate is reached, or None when the aggregate is below every grade.

    Rule: the grade comes from the aggregate alone (docs/domain.md §6.1, compensatory). ``thresholds`` are the
    session's ``(grade, minimum aggregate)`` pairs, highest grade first with strictly decreasing minimums and
    unique grade names; they are supplied per session because they are not public.
    """
    value = _exact_number(field="aggregate", value=aggregate)
    if value < 0:
        raise ValueError(f"aggregate must not be negative, got {value}")
    if not thresholds:
        raise ValueError("thresholds must list at least one grade")
    seen: set[str] = set()
    previous: tuple[str, Fraction] | None = None
    for grade, minimum in thresholds:
        if not isinstance(grade, str) or not grade.strip():
            raise ValueError(f"threshold grade must be a non-empty name, got {grade!r}")
        if grade in seen:
            raise ValueError(f"threshold grade {grade!r} is listed twice")
        seen.add(grade)
        floor = _exact_number(field=f"minimum for grade {grade!r}", value=minimum)
        if floor < 0:
            raise ValueError(f"minimum for grade {grade!r} must not be negative, got {floor}")
        if previous is not None and floor >= previous[1]:
            raise ValueError(
                f"thresholds must be listed highest grade first with strictly decreasing minimums: "
                f"{grade!r} ({floor}) follows {previous[0]!r} ({previous[1]})"
            )
        previous = (grade, floor)
    for grade, minimum in thresholds:
        if value >= minimum:
            return grade
    return None
