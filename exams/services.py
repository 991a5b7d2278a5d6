"""Writes and rules for exams and sessions."""

import datetime as dt

from django.utils import timezone

# DESIGN.md §2 "Release windows and embargo": a window is usually about two weeks long and starts about
# 4–5 weeks after a paper-based exam and about 2 weeks after a computer-based one. Reference page 001
# ("5–7 weeks after the exam for paper-based") agrees with a 5-week start and a 2-week window.
PAPER_WINDOW_OPENS_AFTER = dt.timedelta(weeks=5)
COMPUTER_WINDOW_OPENS_AFTER = dt.timedelta(weeks=2)
WINDOW_LENGTH_DAYS = 14


def release_window_default(*, exam_date: dt.date, mode: str) -> tuple[dt.datetime, dt.datetime]:
    """Return the default (opens, closes) of a session's results release window.

    The window opens at 00:00 UK time on its first day and closes at 23:59:59 on its 14th day, whose date
    is the "final date by which results will be available" on the Confirmation of Entry.
    """
    offset = PAPER_WINDOW_OPENS_AFTER if mode == "paper" else COMPUTER_WINDOW_OPENS_AFTER
    first_day = exam_date + offset
    last_day = first_day + dt.timedelta(days=WINDOW_LENGTH_DAYS - 1)
    tz = timezone.get_default_timezone()
    opens = dt.datetime.combine(first_day, dt.time.min, tzinfo=tz)
    closes = dt.datetime.combine(last_day, dt.time(23, 59, 59), tzinfo=tz)
    return opens, closes
