"""Reading CSV files people make in spreadsheets, and reporting their bad lines (docs/domain.md §14.2).

Shared by every CSV importer (centres, entries, results, bulk verification): a file is refused at once when it
is larger than its limits (bytes, lines, values on a line, ``CsvLimits``), is not UTF-8 text, or holds a control
character such as NUL; otherwise every line is checked, and either everything is written in one transaction or
``ImportRejected`` lists the problems as ``line N, column X: what is wrong``, with line numbers as a spreadsheet
shows them (the header is line 1). A rejected file lists its first ``CSV_MAX_PROBLEMS`` problems (``Problems``
keeps those, in line order, and counts the others) and says how many more there were.
"""

import csv
import datetime as dt
import gc
import heapq
import io
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

T = TypeVar("T")

PROGRESS_EVERY = 500
ISO_DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The C0 control characters but tab, line feed and carriage return: no text file of a spreadsheet has them.
NOT_TEXT_PATTERN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A value from the file quoted in a message is cut to this many characters, so a page of problems stays small.
ECHO_MAX_CHARS = 200

# Error texts (tests reuse them). Each is formatted with ``%`` and a dict of named values.
FILE_EMPTY = _("the file is empty")
FILE_NO_ROWS = _("the file has no rows below the header")
FILE_UNREADABLE = _("this line cannot be read as CSV (%(problem)s)")
FILE_TOO_LARGE = _("the file is larger than %(size)s: split it into smaller files")
FILE_TOO_MANY_LINES = _("the file has more than %(max)d lines below the header: split it into smaller files")
FILE_TOO_MANY_COLUMNS = _("this line has more than %(max)d values: a file has at most %(max)d columns")
FILE_NOT_UTF8 = _("the file is not UTF-8 text from this line on: from a spreadsheet, save it as 'CSV UTF-8'")
FILE_NOT_TEXT = _(
    "this line holds the control character %(char)s, so the file is not CSV text (a spreadsheet's .xlsx file, "
    "for example): from a spreadsheet, save it as 'CSV UTF-8'"
)
COLUMN_MISSING = _("this column is missing from the header")
COLUMN_UNKNOWN = _("unknown column (the columns are %(columns)s)")
COLUMN_UNNAMED = _("a column in the header has no name (the columns are %(columns)s)")
COLUMN_REPEATED = _("this column appears more than once in the header")
ROW_LENGTH = _("the line has %(values)d values but the header has %(columns)d columns")
REQUIRED = _("this value must not be empty")
TOO_LONG = _("this value is longer than %(max)d characters")
DATE_MALFORMED = _("'%(value)s' is not a date in the form YYYY-MM-DD")
DATE_IMPOSSIBLE = _("%(value)s is not a real date")


@dataclass(frozen=True)
class CsvLimits:
    """The most a CSV file may hold: bytes, lines below the header, and values on one line."""

    max_bytes: int
    max_lines: int
    max_columns: int


def upload_limits() -> CsvLimits:
    """Return the limits of every CSV file people upload or import (``CSV_MAX_BYTES``, ``…_LINES``, ``…_COLUMNS``)."""
    return CsvLimits(
        max_bytes=int(settings.CSV_MAX_BYTES),
        max_lines=int(settings.CSV_MAX_LINES),
        max_columns=int(settings.CSV_MAX_COLUMNS),
    )


def results_limits() -> CsvLimits:
    """Return the limits of the board's results file: larger (``RESULTS_CSV_MAX_BYTES``, ``…_LINES``)."""
    return CsvLimits(
        max_bytes=int(settings.RESULTS_CSV_MAX_BYTES),
        max_lines=int(settings.RESULTS_CSV_MAX_LINES),
        max_columns=int(settings.CSV_MAX_COLUMNS),
    )


def max_problems() -> int:
    """Return how many problems of a rejected file are listed (``CSV_MAX_PROBLEMS``); the others are counted."""
    return int(settings.CSV_MAX_PROBLEMS)


def _echo(value: str, limit: int = ECHO_MAX_CHARS) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


@dataclass
class RowError:
    """One problem in an imported file, where a person will find it in a spreadsheet (line 0: the whole file)."""

    line: int
    column: str
    message: str

    def __post_init__(self) -> None:
        # The column may be a header name from the file: never echo a huge one.
        self.column = _echo(self.column, 40)

    def __str__(self) -> str:
        if not self.line:
            return self.message
        if not self.column:
            return f"line {self.line}: {self.message}"
        return f"line {self.line}, column {self.column}: {self.message}"


def more_problems_text(count: int) -> str:
    """Return the line that ends a capped list of problems: "…and 900 more problems"."""
    return ngettext("…and %(count)d more problem", "…and %(count)d more problems", count) % {"count": count}


class Problems:
    """The problems of one file: the first ``CSV_MAX_PROBLEMS`` by line are kept, the others only counted.

    Collect them in any order (an importer checks its lines in several passes): the kept ones are those of the
    lowest lines, in the order they were found within a line. Memory stays the same for 10 or 10 million problems.
    """

    def __init__(self, errors: Iterable[RowError] = (), *, cap: int | None = None) -> None:
        self.cap = max_problems() if cap is None else cap
        self.total = 0
        # A max-heap (negated keys) of the kept problems: its top is the one to drop first.
        self._kept: list[tuple[int, int, RowError]] = []
        self.extend(errors)

    def append(self, error: RowError) -> None:
        self.total += 1
        key = (-error.line, -self.total, error)
        if len(self._kept) < self.cap:
            heapq.heappush(self._kept, key)
        elif self._kept and key[:2] > self._kept[0][:2]:
            heapq.heapreplace(self._kept, key)

    def extend(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.append(error)

    def __len__(self) -> int:
        return self.total

    def __bool__(self) -> bool:
        return self.total > 0

    def kept(self) -> list[RowError]:
        """Return the kept problems, by line."""
        return [error for _line, _order, error in sorted(self._kept, key=lambda key: (-key[0], -key[1]))]

    @property
    def more(self) -> int:
        """How many problems were found beyond the kept ones."""
        return self.total - len(self._kept)


class ImportRejected(Exception):
    """A file with at least one bad line: nothing was written.

    ``errors`` are the listed problems (at most ``CSV_MAX_PROBLEMS``, by line), ``total`` how many were found and
    ``more`` how many are not listed; ``messages()`` is what a page or a command shows.
    """

    def __init__(self, errors: Problems | Iterable[RowError]) -> None:
        problems = errors if isinstance(errors, Problems) else Problems(errors)
        self.errors = problems.kept()
        self.total = problems.total
        self.more = problems.more
        super().__init__(
            ngettext(
                "%(count)d problem found; nothing was written.",
                "%(count)d problems found; nothing was written.",
                self.total,
            )
            % {"count": self.total}
        )

    def messages(self) -> list[str]:
        """Return each listed problem as text, then "…and N more problems" when some are not listed."""
        lines = [str(error) for error in self.errors]
        if self.more:
            lines.append(more_problems_text(self.more))
        return lines


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


def _rejected(line: int, text: object, **params: object) -> ImportRejected:
    return ImportRejected([RowError(line, "", error_text(text, **params))])


def text_check(text: str) -> None:
    """Raise ``ImportRejected`` naming the line of the first control character (NUL, …) in ``text``."""
    found = NOT_TEXT_PATTERN.search(text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        raise _rejected(line, FILE_NOT_TEXT, char=f"U+{ord(found.group()):04X}")


def text_decode(data: bytes, *, limits: CsvLimits) -> str:
    """Return the text of a CSV file's bytes, without a byte-order mark.

    Raise ``ImportRejected`` when the file is larger than ``limits.max_bytes``, is not UTF-8 (naming the first
    line that is not) or holds a control character such as NUL (naming its line): nothing reads such a file.
    """
    if len(data) > limits.max_bytes:
        raise _rejected(0, FILE_TOO_LARGE, size=filesizeformat(limits.max_bytes))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _rejected(data.count(b"\n", 0, exc.start) + 1, FILE_NOT_UTF8) from exc
    text_check(text)
    return text.removeprefix("\ufeff")


def stream_read(stream: IO[bytes], *, limits: CsvLimits, size: int | None = None) -> str:
    """Return the text of an uploaded or opened CSV file (``text_decode``), reading no more than its limit.

    ``size`` (an upload's declared size, a file's size on disk) refuses a file too large before reading it.
    """
    if size is not None and size > limits.max_bytes:
        raise _rejected(0, FILE_TOO_LARGE, size=filesizeformat(limits.max_bytes))
    return text_decode(stream.read(limits.max_bytes + 1), limits=limits)


def path_read(path: Path, *, limits: CsvLimits) -> str:
    """Return the text of the CSV file at ``path`` (``stream_read``); ``OSError`` when it cannot be opened."""
    with path.open("rb") as handle:
        return stream_read(handle, limits=limits, size=path.stat().st_size)


# --- Management commands: one way to read a file and report its problems
def command_text_read(command: BaseCommand, path: Path, *, limits: CsvLimits | None = None) -> str:
    """Return the text of a UTF-8 CSV file (with or without a byte-order mark), or raise CommandError.

    A file over ``limits`` (``upload_limits()`` unless given), not UTF-8 or holding a control character such as
    NUL is refused with the line where that is (``csvimport.path_read``), before anything is written.
    """
    try:
        return path_read(path, limits=limits or upload_limits())
    except FileNotFoundError as exc:
        raise CommandError(f"{path}: no such file.") from exc
    except OSError as exc:
        raise CommandError(f"{path}: cannot be read ({exc.strerror}).") from exc
    except ImportRejected as rejected:
        raise command_problems(command, rejected) from None


def command_problems(command: BaseCommand, rejected: ImportRejected) -> CommandError:
    """Write the problems of a rejected file to stderr ("…and N more problems" past the first ones) and return
    the error that ends the command."""
    for message in rejected.messages():
        command.stderr.write(message)
    return CommandError(str(rejected))


def error_text(text: object, **params: object) -> str:
    """Return an error text with its values; a value from the file longer than ``ECHO_MAX_CHARS`` is cut."""
    if not params:
        return str(text)
    return str(text) % {name: _echo(value) if isinstance(value, str) else value for name, value in params.items()}


_collector_lock = threading.Lock()
_collector_pauses = 0  # how many ``cycle_collector_paused`` blocks are running, in any thread
_collector_was_enabled = False


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while an import reads, checks and writes a large file.

    An import builds hundreds of thousands of small objects (a record per line, a result per candidate, a row
    per score) that live until it ends. Every few hundred of them the collector walks the young objects, and now
    and then every object of the process: a quarter to a third of the import's own time, for nothing, since
    these objects form no reference cycles (reference counting frees them; any cycle made meanwhile waits for the
    collector's next run). The collector runs again when the last paused block ends (blocks in several threads
    end in any order), unless it was off before the first began.
    """
    global _collector_pauses, _collector_was_enabled
    with _collector_lock:
        if _collector_pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _collector_pauses += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_pauses -= 1
            if _collector_pauses == 0 and _collector_was_enabled:
                gc.enable()


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def read_records(
    *, text: str, columns: Sequence[str], optional: Sequence[str] = (), limits: CsvLimits | None = None
) -> list[Record]:
    """Return the data lines of a CSV text whose header names ``columns`` (in any order) and may add ``optional``.

    Optional columns missing from the header read as empty values.

    Accept a byte-order mark (Excel's "CSV UTF-8"), strip whitespace around values and header names, match
    header names case-insensitively, skip blank lines and ignore empty cells after the last column.

    The text is read line by line: a file over ``limits`` (``upload_limits()`` unless given) is refused at the
    first line past them, a control character such as NUL at once, and at most ``CSV_MAX_PROBLEMS`` problems are
    kept (``Problems``).
    """
    limits = limits or upload_limits()
    if len(text) > limits.max_bytes:  # a text given directly (its bytes were checked when it was a file)
        raise _rejected(0, FILE_TOO_LARGE, size=filesizeformat(limits.max_bytes))
    text_check(text)
    lines = _lines(text=text.removeprefix("\ufeff"), limits=limits)
    first = next(lines, None)
    if first is None or not any(first[1]):
        raise _rejected(1, FILE_EMPTY)

    errors = Problems()
    header = [name.lower() for name in without_trailing_empties(first[1])]
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

    # Each record's values: the header's columns, then the optional columns the header leaves out, empty.
    names = [*header, *(name for name in optional if name not in header)]
    empties = [""] * (len(names) - len(header))
    width = len(header)
    records: list[Record] = []
    for line, row in lines:
        if not any(row):
            continue
        values = row if len(row) <= width else without_trailing_empties(row, keep=width)
        if len(values) != width:
            errors.append(RowError(line, "", error_text(ROW_LENGTH, values=len(values), columns=width)))
            continue
        if not errors:  # once a line is bad the file is rejected: keep only counting
            records.append(Record(line, dict(zip(names, values + empties))))  # noqa: B905 - same length
    if errors:
        raise ImportRejected(errors)
    if not records:
        raise _rejected(2, FILE_NO_ROWS)
    return records


def _lines(*, text: str, limits: CsvLimits) -> Iterator[tuple[int, list[str]]]:
    """Yield each line of a CSV text (its number, its stripped values); refuse one past ``limits``."""
    reader = csv.reader(io.StringIO(text))
    last_line, max_columns, strip = limits.max_lines + 1, limits.max_columns, str.strip
    line = 0
    try:
        for row in reader:
            line += 1
            if line > last_line:
                raise _rejected(line, FILE_TOO_MANY_LINES, max=limits.max_lines)
            if len(row) > max_columns:
                raise _rejected(line, FILE_TOO_MANY_COLUMNS, max=max_columns)
            yield line, list(map(strip, row))
    except csv.Error as exc:  # raised by the reader only: the line it could not read is the one after ``line``
        raise _rejected(line + 1, FILE_UNREADABLE, problem=str(exc)) from exc


def without_trailing_empties(row: list[str], *, keep: int = 0) -> list[str]:
    """Return ``row`` without the empty cells at its end (keeping at least ``keep`` cells)."""
    end = len(row)
    while end > keep and not row[end - 1]:
        end -= 1
    return row[:end]


def check_text(
    *, record: Record, column: str, required: bool, max_length: int, errors: Problems | list[RowError]
) -> str | None:
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


def check_date(*, record: Record, column: str, errors: Problems | list[RowError]) -> dt.date | None:
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
