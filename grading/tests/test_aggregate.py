"""Papers weighted to 40 and the aggregate grade (docs/domain.md §6)."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.aggregate import PAPER_WEIGHT, PaperMark, aggregate, aggregate_grade, weighted_mark

SETTINGS = settings(max_examples=150, deadline=None, database=None)

# Illustrative session thresholds: the real ones change every session and are not public (docs/domain.md §6.2).
THRESHOLDS = (("A", 160), ("B", 150), ("C", 120))


def test_every_paper_is_weighted_to_40() -> None:
    assert PAPER_WEIGHT == 40


@pytest.mark.parametrize(
    ("mark", "maximum", "weighted"),
    [
        (40, 40, Fraction(40)),  # a paper out of 40 is unchanged
        (0, 40, Fraction(0)),
        (30, 60, Fraction(20)),
        (35, 35, Fraction(40)),  # full marks are always 40, whatever the paper's maximum
        (45, 50, Fraction(36)),
        (17, 25, Fraction(136, 5)),  # 27.2
        (10, 30, Fraction(40, 3)),  # 13⅓ kept exact, never 13.333…
        (1, 7, Fraction(40, 7)),
    ],
)
def test_weighted_mark_is_mark_times_40_over_maximum(mark: int, maximum: int, weighted: Fraction) -> None:
    assert weighted_mark(mark=mark, maximum=maximum) == weighted


def test_aggregate_adds_the_weighted_marks() -> None:
    papers: list[PaperMark | tuple[int, int]] = [
        (45, 50),
        (30, 60),
        PaperMark(mark=35, maximum=35),
        (17, 25),
        (40, 40),
    ]
    assert aggregate(papers) == 36 + 20 + 40 + Fraction(136, 5) + 40


def test_all_papers_matter_equally() -> None:
    # The same share of marks on a long or a short paper adds the same to the aggregate.
    assert aggregate([(90, 120), (10, 40)]) == aggregate([(30, 40), (30, 120)])


def test_full_marks_on_five_papers_give_200() -> None:
    assert aggregate([(60, 60), (40, 40), (45, 45), (30, 30), (20, 20)]) == 200


@pytest.mark.parametrize(
    ("mark", "maximum", "message"),
    [
        (41, 40, "mark 41 must be between 0 and the paper's maximum 40"),
        (-1, 40, "mark -1 must be between 0"),
        (0, 0, "maximum must be above 0"),
        (1.5, 40, "mark must be a whole number"),
        (True, 40, "mark must be a whole number"),
        (10, 40.0, "maximum must be a whole number"),
    ],
)
def test_weighted_mark_rejects_bad_marks(mark: int, maximum: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        weighted_mark(mark=mark, maximum=maximum)


def test_aggregate_needs_a_paper() -> None:
    with pytest.raises(ValueError, match="at least one paper"):
        aggregate([])


def test_aggregate_needs_mark_and_maximum_pairs() -> None:
    with pytest.raises(ValueError, match="each paper must be a \\(mark, maximum\\) pair, got \\(30, 40, 50\\)"):
        aggregate([(30, 40, 50)])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        (200, "A"),
        (160, "A"),
        (Fraction(1599, 10), "B"),
        (150, "B"),
        (149, "C"),
        (120, "C"),
        (Fraction(359, 3), None),  # 119⅔: below every grade, not rounded up
        (0, None),
    ],
)
def test_aggregate_grade(value: Fraction | int, grade: str | None) -> None:
    assert aggregate_grade(aggregate=value, thresholds=THRESHOLDS) == grade


def test_aggregate_grade_is_compensatory() -> None:
    # A weak paper is made up for by strong ones: there is no pass or fail per paper (docs/domain.md §6.1).
    papers = [(5, 40), (40, 40), (40, 40), (40, 40), (40, 40)]
    assert aggregate_grade(aggregate=aggregate(papers), thresholds=THRESHOLDS) == "A"


def test_fraction_thresholds() -> None:
    assert aggregate_grade(aggregate=Fraction(241, 2), thresholds=[("Pass", Fraction(241, 2))]) == "Pass"


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ([], "at least one grade"),
        ([("C", 120), ("B", 150)], "highest grade first with strictly decreasing minimums: 'B' \\(150\\) follows"),
        ([("A", 150), ("B", 150)], "strictly decreasing"),
        ([("A", 160), ("A", 150)], "'A' is listed twice"),
        ([("", 160)], "non-empty name"),
        ([("A", -1)], "must not be negative"),
        ([("A", 160.5)], "minimum for grade 'A' must be a whole number or a Fraction"),
    ],
)
def test_aggregate_grade_rejects_bad_thresholds(thresholds: list[tuple[str, int]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        aggregate_grade(aggregate=100, thresholds=thresholds)


@pytest.mark.parametrize(("value", "message"), [(-1, "must not be negative"), (12.5, "whole number or a Fraction")])
def test_aggregate_grade_rejects_bad_aggregates(value: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        aggregate_grade(aggregate=value, thresholds=THRESHOLDS)


@SETTINGS
@given(st.integers(1, 500), st.data())
def test_weighted_mark_is_monotone_and_between_0_and_40(maximum: int, data: st.DataObject) -> None:
    low = data.draw(st.integers(0, maximum))
    high = data.draw(st.integers(low, maximum))
    assert 0 <= weighted_mark(mark=low, maximum=maximum) <= weighted_mark(mark=high, maximum=maximum) <= 40


@SETTINGS
@given(st.lists(st.integers(1, 200).flatmap(lambda m: st.tuples(st.integers(0, m), st.just(m))), min_size=1))
def test_aggregate_is_the_sum_and_at_most_40_per_paper(papers: list[tuple[int, int]]) -> None:
    total = aggregate(papers)
    assert total == sum(Fraction(mark * 40, maximum) for mark, maximum in papers)
    assert 0 <= total <= 40 * len(papers)


@SETTINGS
@given(st.fractions(min_value=0, max_value=200), st.fractions(min_value=0, max_value=200))
def test_higher_aggregate_never_gives_a_lower_grade(first: Fraction, second: Fraction) -> None:
    order = [None, "C", "B", "A"]
    low, high = sorted((first, second))
    assert order.index(aggregate_grade(aggregate=high, thresholds=THRESHOLDS)) >= order.index(
        aggregate_grade(aggregate=low, thresholds=THRESHOLDS)
    )
