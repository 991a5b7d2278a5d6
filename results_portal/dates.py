"""Calendar arithmetic the rules share: the same date some months (or years) later.

Every rule that runs "until the same day N months or years on" uses ``months_later``: the duplicate-certificate
windows (docs/domain.md §9.6), the two years of an amended certificate (§9.3) and "Copy to next year" (§3.7).
"""

import calendar
import datetime as dt


def months_later(day: dt.date, months: int) -> dt.date:
    """Return the same day ``months`` later, or that month's last day if the month is shorter.

    A year is twelve months: ``months_later(day, 12 * years)``. 31 August + 6 months is 28 February (29 in a leap
    year); 29 February + 12 months is 28 February.
    """
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
