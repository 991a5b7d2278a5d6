"""Reading CSV files people make in spreadsheets, and reporting every bad line (docs/domain.md §14.2).

Shared by the centre, entry and results imports: a file is read whole, every line is checked, and either
everything is written in one transaction or ``ImportRejected`` lists each problem as
``line N, column X: what is wrong``, with line numbers as a spreadsheet shows them (the header is line 1).
"""

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

T = TypeVar("T")

PROGRESS_EVERY = 500
ISO_DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# Error texts (tests reuse them). Each is formatted with ``%`` and a dict of named values.
FILE_EMPTY = _("the file is empty")
FILE_NO_ROWS = _("the file has no rows below the header")
FILE_UNREADABLE = _("this line cannot be read as CSV (%(problem)s)")
COLUMN_MISSING = _("this column is missing from the header")
COLUMN_UNKNOWN = _("unknown column (the columns are %(columns)s)")
COLUMN_UNNAMED = _("a column in the header has no name (the columns are %(columns)s)")
COLUMN_REPEATED = _("this column appears more than once in the header")
ROW_LENGTH = _("the line has %(values)d values but the header has %(columns)d columns")
REQUIRED = _("this value must not be empty")
TOO_LONG = _("this value is longer than %(max)d characters")
DATE_MALFORMED = _("'%(value)s' is not a date in the form YYYY-MM-DD")
DATE_IMPOSSIBLE = _("%(value)s is not a real date")


@dataclass
class RowError:
    """One problem in an imported file, where a person will find it in a spreadsheet."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.column:
            return f"line {self.line}: {self.message}"
        return f"line {self.line}, column {self.column}: {self.message}"


class ImportRejected(Exception):
    """A file with at least one bad line: nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        count = len(errors)
        super().__init__(
            ngettext(
                "%(count)d problem found; nothing was written.",
                "%(count)d problems found; nothing was written.",
                count,
            )
            % {"count": count}
        )


@dataclass
class Record:
    """One data line of a file: its spreadsheet line number and its values by column name."""

    line: int
    values: dict[str, str]


class Progress:
    """Call a progress callback every ``PROGRESS_EVERY`` steps and at the end of each phase."""

    def __init__(self, callback: Callable[[int, int], None] | None, total: int) -> None:
        self.callback = callback
        self.total = total
        self.done = 0
        self._last_reported = 0

    def advance(self, steps: int = 1, *, force: bool = False) -> None:
        self.done += steps
        if self.callback is not None and (force or self.done - self._last_reported >= PROGRESS_EVERY):
            self._last_reported = self.done
            self.callback(self.done, self.total)


def error_text(text: object, **params: object) -> str:
    return str(text) % params if params else str(text)


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def read_records(*, text: str, columns: Sequence[str], optional: Sequence[str] = ()) -> list[Record]:
    """Return the data lines of a CSV text whose header names ``columns`` (in any order) and may add ``optional``.

    Optional columns missing from the header read as empty values.

    Accept a byte-order mark (Excel's "CSV UTF-8"), strip whitespace around values and header names, match
    header names case-insensitively, skip blank lines and ignore empty cells after the last column.
    """
    errors: list[RowError] = []
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    lines: list[list[str]] = []
    try:
        lines.extend([value.strip() for value in row] for row in reader)
    except csv.Error as exc:
        raise ImportRejected([RowError(len(lines) + 1, "", error_text(FILE_UNREADABLE, problem=exc))]) from exc
    if not lines or not any(lines[0]):
        raise ImportRejected([RowError(1, "", error_text(FILE_EMPTY))])

    header = [name.lower() for name in without_trailing_empties(lines[0])]
    allowed = [*columns, *optional]
    expected = ", ".join(allowed)
    seen: set[str] = set()
    for name in header:
        if not name:
            errors.append(RowError(1, "", error_text(COLUMN_UNNAMED, columns=expected)))
        elif name not in allowed:
            errors.append(RowError(1, name, error_text(COLUMN_UNKNOWN, columns=expected)))
        elif name in seen:
            errors.append(RowError(1, name, error_text(COLUMN_REPEATED)))
        seen.add(name)
    errors.extend(RowError(1, name, error_text(COLUMN_MISSING)) for name in columns if name not in header)
    if errors:
        raise ImportRejected(errors)

    records: list[Record] = []
    for line, row in enumerate(lines[1:], start=2):
        if not any(row):
            continue
        values = row if len(row) <= len(header) else without_trailing_empties(row, keep=len(header))
        if len(values) != len(header):
            errors.append(RowError(line, "", error_text(ROW_LENGTH, values=len(values), columns=len(header))))
            continue
        records.append(Record(line, {**dict.fromkeys(optional, ""), **dict(zip(header, values, strict=True))}))
    if errors:
        raise ImportRejected(errors)
    if not records:
        raise ImportRejected([RowError(2, "", error_text(FILE_NO_ROWS))])
    return records


def without_trailing_empties(row: list[str], *, keep: int = 0) -> list[str]:
    """Return ``row`` without the empty cells at its end (keeping at least ``keep`` cells)."""
    end = len(row)
    while end > keep and not row[end - 1]:
        end -= 1
    return row[:end]


def check_text(*, record: Record, column: str, required: bool, max_length: int, errors: list[RowError]) -> str | None:
    """Return the column's value, or ``None`` after recording why it is not acceptable."""
    value = record.values[column]
    if not value:
        if required:
            errors.append(RowError(record.line, column, error_text(REQUIRED)))
            return None
        return ""
    if len(value) > max_length:
        errors.append(RowError(record.line, column, error_text(TOO_LONG, max=max_length)))
        return None
    return value


def check_date(*, record: Record, column: str, errors: list[RowError]) -> dt.date | None:
    value = check_text(record=record, column=column, required=True, max_length=100, errors=errors)
    if value is None:
        return None
    if not ISO_DATE_PATTERN.fullmatch(value):
        errors.append(RowError(record.line, column, error_text(DATE_MALFORMED, value=value)))
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.append(RowError(record.line, column, error_text(DATE_IMPOSSIBLE, value=value)))
        return None
