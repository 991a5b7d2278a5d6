"""The one calendar rule: the same date some months or years later, or the last day of a shorter month."""

import datetime as dt

from results_portal.dates import months_later


def test_the_same_day_later_in_months_and_years() -> None:
    assert months_later(dt.date(2026, 3, 15), 6) == dt.date(2026, 9, 15)
    assert months_later(dt.date(2026, 3, 15), 12) == dt.date(2027, 3, 15)
    assert months_later(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)
    assert months_later(dt.date(2025, 6, 13), 24) == dt.date(2027, 6, 13)


def test_a_shorter_month_gives_its_last_day() -> None:
    assert months_later(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)
    assert months_later(dt.date(2027, 8, 31), 6) == dt.date(2028, 2, 29)
    assert months_later(dt.date(2026, 1, 31), 3) == dt.date(2026, 4, 30)


def test_29_february_a_year_or_years_on_is_28_february_unless_that_year_is_a_leap_year() -> None:
    assert months_later(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert months_later(dt.date(2024, 2, 29), 24) == dt.date(2026, 2, 28)
    assert months_later(dt.date(2024, 2, 29), 48) == dt.date(2028, 2, 29)
    assert months_later(dt.date(2024, 2, 29), 60) == dt.date(2029, 2, 28)
