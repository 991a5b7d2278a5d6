"""What the public grade statistics publish (docs/domain.md §15.3): no small cell named, none computable."""

import pytest

from results.selectors import GradeCount
from results.statistics import StatisticsRow, StatisticsTable, statistics_csv_rows, statistics_tables


def counts(*cells: tuple[str, int]) -> list[GradeCount]:
    return [GradeCount("FCE", "B2 First", 2026, grade, "B2", n) for grade, n in cells]


def test_an_exam_and_year_with_fewer_than_ten_results_shows_no_breakdown() -> None:
    (table,) = statistics_tables(counts(("Grade A", 1)))

    assert table == StatisticsTable("FCE", "B2 First", 2026, (), None)
    assert table.suppressed
    assert statistics_csv_rows([table]) == [["FCE", "B2 First", 2026, "Total", "", "<10"]]


def test_nine_results_over_several_grades_show_nothing_either() -> None:
    (table,) = statistics_tables(counts(("Grade B", 5), ("Grade C", 4)))

    assert table.rows == () and table.total is None


def test_a_single_small_result_is_merged_with_the_next_smallest() -> None:
    # Grade A alone in "Other results" could be worked out as the total minus the others: Grade C joins it.
    (table,) = statistics_tables(counts(("Grade B", 30), ("Grade C", 12), ("Grade A", 3)))

    assert table.rows == (StatisticsRow("Grade B", "B2", 30), StatisticsRow("", "", 15, other=True))
    assert table.total == 45


def test_two_small_results_with_ten_or_more_between_them_are_merged_alone() -> None:
    (table,) = statistics_tables(counts(("Grade B", 30), ("Grade C", 12), ("Grade A", 6), ("Level B1", 5)))

    assert table.rows == (
        StatisticsRow("Grade B", "B2", 30),
        StatisticsRow("Grade C", "B2", 12),
        StatisticsRow("", "", 11, other=True),
    )
    assert table.total == 53


def test_small_results_under_ten_between_them_take_the_next_smallest_too() -> None:
    (table,) = statistics_tables(counts(("Grade B", 30), ("Grade C", 12), ("Grade A", 3), ("Level B1", 2)))

    assert table.rows == (StatisticsRow("Grade B", "B2", 30), StatisticsRow("", "", 17, other=True))


def test_every_result_small_but_ten_in_all_is_one_other_row() -> None:
    (table,) = statistics_tables(counts(("Grade B", 6), ("Grade C", 4)))

    assert table.rows == (StatisticsRow("", "", 10, other=True),)
    assert table.total == 10


def test_no_small_result_is_published_as_it_is() -> None:
    (table,) = statistics_tables(counts(("Grade B", 12), ("Grade C", 10)))

    assert table.rows == (StatisticsRow("Grade B", "B2", 12), StatisticsRow("Grade C", "B2", 10))
    assert statistics_csv_rows([table]) == [
        ["FCE", "B2 First", 2026, "Grade B", "B2", 12],
        ["FCE", "B2 First", 2026, "Grade C", "B2", 10],
        ["FCE", "B2 First", 2026, "Total", "", 22],
    ]


@pytest.mark.parametrize("small", [1, 5, 9])
def test_no_published_row_is_under_ten(small: int) -> None:
    for table in statistics_tables(counts(("Grade B", 40), ("Grade C", 11), ("Grade A", small), ("Level B1", 1))):
        assert all(row.count >= 10 for row in table.rows)
        assert "Grade A" not in [row.grade for row in table.rows]
