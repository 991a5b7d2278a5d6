"""Imports of centres and entries from CSV files (docs/domain.md §14 'Files, commands and interface').

Both imports read the file line by line (``results_portal.csvimport``, with its limits), check every line and
either write everything in one transaction or raise ``ImportRejected`` listing the bad lines as
``line N, column X: what is wrong`` (the first ``CSV_MAX_PROBLEMS``, and how many more). Line numbers are
the ones a spreadsheet shows: the header is line 1. Lookups are set-based (a few queries per file, not
per row) and rows are written with ``bulk_create`` in batches, so files of 10 000+ rows are fine.
"""

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from exams.availability import MODES, session_refusal
from exams.models import Exam, ExamSession
from exams.selectors import session_results_by
from results_portal.csvimport import (
    ImportRejected,
    Problems,
    Progress,
    Record,
    RowError,
    check_date,
    check_text,
    chunks,
    error_text,
    read_records,
)
from results_portal.downloads import csv_text

from .models import Candidate, Centre, Entry, search_name
from .services import candidate_id_generate, secret_number_generate, secret_number_hash

T = TypeVar("T")

CENTRE_COLUMNS = ("centre_number", "name", "country", "email")
ENTRY_COLUMNS = (
    "centre_number",
    "candidate_id",
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "exam_code",
    "session_date",
    "mode",
)
ISSUED_COLUMNS = (
    "candidate_id",
    "secret_number",
    "first_name",
    "last_name",
    "exam_code",
    "session_date",
    "mode",
    "centre_number",
    "results_by",
)
# Unitised qualifications only (docs/domain.md §1.7): the centre's candidate number and the UCI.
ENTRY_OPTIONAL_COLUMNS = ("candidate_number", "uci")
_CENTRE_REQUIRED = {"centre_number", "name"}
_ENTRY_REQUIRED = {"centre_number", "first_name", "last_name", "date_of_birth", "exam_code", "session_date", "mode"}

WRITE_BATCH_SIZE = 1000
# Keeps every ``IN (...)`` list well below PostgreSQL's 65 535 bind parameters per query.
LOOKUP_CHUNK_SIZE = 5000

CANDIDATE_ID_PATTERN = re.compile(r"[A-Z]+[0-9]+")
CANDIDATE_ID_LENGTH = 9  # three letters and six digits as the board issues them, e.g. SIR094701
CENTRE_NUMBER_PATTERN = re.compile(r"[A-Z0-9]+")
# Unitised qualifications (docs/domain.md §1.7): 5-digit centre numbers, 4-digit candidate numbers (0001–9999), and
# the 13-character UCI: centre number (5 digits), awarding body digit, year (2 digits), candidate number (4 digits),
# check character (a letter).
UNITISED_CENTRE_NUMBER_PATTERN = re.compile(r"[0-9]{5}")
CANDIDATE_NUMBER_PATTERN = re.compile(r"(?!0000)[0-9]{4}")
UCI_PATTERN = re.compile(r"[0-9]{5}[0-9][0-9]{2}[0-9]{4}[A-Z]")

# Error texts (tests reuse them). Each is formatted with ``%`` and a dict of named values.
EMAIL_INVALID = _("'%(value)s' is not a valid email address")
BIRTH_DATE_FUTURE = _("the date of birth %(value)s is in the future")
MODE_INVALID = _("'%(value)s' is not a mode: use %(modes)s")
CENTRE_NUMBER_INVALID = _("'%(value)s' is not a centre number (letters and digits, at most 12)")
CENTRE_REPEATED = _("centre %(number)s is also on line %(line)d")
CENTRE_UNKNOWN = _("unknown centre %(number)s")
CENTRE_NOT_YOURS = _("centre %(number)s is not your centre")
CENTRE_NUMBER_NOT_UNITISED = _(
    "centre %(number)s cannot enter %(exam)s: centres enter unitised qualifications with a 5-digit centre number"
)
CANDIDATE_NUMBER_INVALID = _("'%(value)s' is not a candidate number: four digits, 0001 to 9999")
UCI_INVALID = _(
    "'%(value)s' is not a UCI: 13 characters, the 5-digit centre number, 1 digit, the 2-digit year, "
    "the 4-digit candidate number and a check letter (e.g. 681990012058G)"
)
UNITISED_ONLY = _("%(exam)s is not a unitised qualification: leave the candidate number and UCI empty")
UCI_OTHER = _("%(name)s already has the UCI %(uci)s")
EXAM_UNKNOWN = _("unknown exam %(code)s")
SESSION_UNKNOWN = _("no %(exam)s %(mode)s session on %(date)s")
CANDIDATE_ID_INVALID = _("'%(value)s' is not a Candidate ID: nine letters and digits, letters first (e.g. SIR094701)")
CANDIDATE_ID_IN_USE = _("Candidate ID %(candidate_id)s is already in use")
CANDIDATE_ID_REPEATED = _("Candidate ID %(candidate_id)s is also on line %(line)d")
# The centre's upload: the portal issues every Candidate ID. One answer for any value, so that the upload never
# tells whether an ID exists, at this centre or at another (docs/domain.md §1.2).
CANDIDATE_ID_GIVEN = _("leave the Candidate ID empty: the portal issues a new one for every entry")
ENTRY_REPEATED = _("duplicate row: %(name)s is entered for this session on line %(line)d too")
ENTRY_EXISTS = _("%(name)s is already entered for this session (Candidate ID %(candidate_id)s)")
MONTH_TAKEN_IN_FILE = _(
    "%(name)s is entered for %(exam)s in %(month)s on line %(line)d too: the same exam cannot be taken "
    "twice in one calendar month"
)
MONTH_TAKEN_IN_DATABASE = _(
    "%(name)s is already entered for %(exam)s on %(date)s (Candidate ID %(candidate_id)s): the same exam "
    "cannot be taken twice in one calendar month"
)


@dataclass(frozen=True)
class IssuedEntry:
    """An entry made by an import, with its secret number in clear: for the issued CSV and the PDF only."""

    candidate_id: str
    secret_number: str
    first_name: str
    last_name: str
    exam_code: str
    session_date: dt.date
    mode: str
    centre_number: str
    results_by: dt.date
    exam_name: str
    mode_label: str
    centre_name: str
    public_id: uuid.UUID


@dataclass
class _EntryRow:
    """A data line of an entries file whose values are each valid on their own."""

    line: int
    centre: Centre
    candidate_id: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    email: str
    exam: Exam
    session_date: dt.date
    mode: str
    candidate_number: str = ""
    uci: str = ""
    session: ExamSession | None = None
    person: Candidate | None = field(default=None, repr=False)

    @property
    def person_key(self) -> tuple[int, str, str, dt.date]:
        return _person_key(
            centre_id=self.centre.pk,
            first_name=self.first_name,
            last_name=self.last_name,
            date_of_birth=self.date_of_birth,
        )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def _person_key(
    *, centre_id: int, first_name: str, last_name: str, date_of_birth: dt.date
) -> tuple[int, str, str, dt.date]:
    """Return what makes two rows the same person: centre, names (case-insensitive) and date of birth."""
    return (centre_id, first_name.casefold(), last_name.casefold(), date_of_birth)


def _check_email(*, record: Record, column: str, errors: Problems | list[RowError]) -> str | None:
    value = check_text(record=record, column=column, required=False, max_length=254, errors=errors)
    if value:
        try:
            validate_email(value)
        except ValidationError:
            errors.append(RowError(record.line, column, error_text(EMAIL_INVALID, value=value)))
            return None
    return value


def _centres_with_numbers(numbers: Iterable[str], *, lock: bool = False) -> dict[str, Centre]:
    """Return the centres whose number is one of ``numbers`` (upper-case), keyed by upper-case number."""
    found: dict[str, Centre] = {}
    for chunk in chunks(sorted(set(numbers)), LOOKUP_CHUNK_SIZE):
        queryset = Centre.objects.annotate(number_upper=Upper("number")).filter(number_upper__in=chunk)
        if lock:
            queryset = queryset.select_for_update().order_by("pk")
        found.update((centre.number.upper(), centre) for centre in queryset)
    return found


# --- Centres --------------------------------------------------------------------------------------------


@transaction.atomic
def centres_import(*, text: str) -> int:
    """Create the centres of a CSV file, or update the name, country and email of existing centre numbers.

    Columns: ``centre_number,name,country,email``. Return the number of centres created or updated.
    Raise ``ImportRejected`` listing every bad line if any line is bad; nothing is written then.
    """
    records = read_records(text=text, columns=CENTRE_COLUMNS)
    errors = Problems()
    rows: dict[str, tuple[str, str, str]] = {}
    first_line: dict[str, int] = {}
    for record in records:
        number = check_text(record=record, column="centre_number", required=True, max_length=12, errors=errors)
        if number is not None:
            number = number.upper()
            if not CENTRE_NUMBER_PATTERN.fullmatch(number):
                errors.append(RowError(record.line, "centre_number", error_text(CENTRE_NUMBER_INVALID, value=number)))
                number = None
            elif number in first_line:
                message = error_text(CENTRE_REPEATED, number=number, line=first_line[number])
                errors.append(RowError(record.line, "centre_number", message))
                number = None
            else:
                first_line[number] = record.line
        name = check_text(record=record, column="name", required=True, max_length=200, errors=errors)
        country = check_text(record=record, column="country", required=False, max_length=100, errors=errors)
        email = _check_email(record=record, column="email", errors=errors)
        if number is not None and name is not None and country is not None and email is not None:
            rows[number] = (name, country, email)
    if errors:
        raise ImportRejected(errors)

    existing = _centres_with_numbers(rows)
    for number, centre in existing.items():
        centre.name, centre.country, centre.email = rows[number]
    Centre.objects.bulk_update(existing.values(), ["name", "country", "email"], batch_size=WRITE_BATCH_SIZE)
    new = [
        Centre(number=number, name=name, country=country, email=email)
        for number, (name, country, email) in rows.items()
        if number not in existing
    ]
    Centre.objects.bulk_create(new, batch_size=WRITE_BATCH_SIZE)
    return len(rows)


# --- Entries --------------------------------------------------------------------------------------------


@transaction.atomic
def entries_import(
    *,
    text: str,
    only_centre: Centre | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[IssuedEntry]:
    """Enter the candidates of a CSV file for their exam sessions and return the entries with their secrets.

    Columns: ``centre_number,candidate_id,first_name,last_name,date_of_birth,email,exam_code,session_date,
    mode``. An empty ``candidate_id`` gets a new one; a given one must be letters then digits and unused.
    A row whose centre, first name, last name and date of birth match an existing candidate
    (case-insensitively) reuses that ``Candidate``. The entry rule "not the same exam twice in the same
    calendar month" is checked within the file and against the database, and an exam and its 'for
    Schools' variant (``Exam.certificate_exam``) count as the same exam for it. Withdrawn entries do not
    count for the monthly rule, but they still hold their session.

    ``only_centre`` (the centre web page) makes every row for another centre an error, and every given
    ``candidate_id`` too, with one answer whatever the value (the portal issues them). ``progress(done,
    total)`` is called every few hundred rows: ``total`` is twice the number of rows (checking, then writing).

    Raise ``ImportRejected`` listing every bad line if any line is bad; nothing is written then. The
    centres of the file are locked for the transaction, so two imports for one centre run one after the
    other and cannot break the monthly rule between them. Secret numbers are stored only as hashes: the
    returned ``IssuedEntry`` list is the only place they exist in clear.
    """
    records = read_records(text=text, columns=ENTRY_COLUMNS, optional=ENTRY_OPTIONAL_COLUMNS)
    tracker = Progress(progress, 2 * len(records))
    errors = Problems()

    rows = _entry_rows_parse(records=records, only_centre=only_centre, errors=errors, tracker=tracker)
    _entry_sessions_attach(rows=rows, errors=errors)
    rows = [row for row in rows if row.session is not None]
    _entry_candidate_ids_check(rows=rows, errors=errors)
    _entry_rules_check(rows=rows, errors=errors)
    tracker.advance(0, force=True)
    if errors:
        raise ImportRejected(errors)
    return _entries_write(rows=rows, tracker=tracker)


def _entry_rows_parse(
    *, records: list[Record], only_centre: Centre | None, errors: Problems, tracker: Progress
) -> list[_EntryRow]:
    """Return the rows whose values are each valid on their own; record the problems of the others."""
    if only_centre is not None:
        centres = _centres_with_numbers([only_centre.number.upper()], lock=True)
    else:
        centres = _centres_with_numbers((r.values["centre_number"].upper() for r in records), lock=True)
    # Each exam with its modes (one query): the availability rule reads them for every line (docs/domain.md §16).
    exams = {exam.code.upper(): exam for exam in Exam.objects.prefetch_related(MODES)}
    today = timezone.localdate()

    rows: list[_EntryRow] = []
    for record in records:
        line = record.line
        row_errors: list[RowError] = []

        centre: Centre | None = None
        number = check_text(record=record, column="centre_number", required=True, max_length=12, errors=row_errors)
        if number:
            number = number.upper()
            if only_centre is not None and number != only_centre.number.upper():
                row_errors.append(RowError(line, "centre_number", error_text(CENTRE_NOT_YOURS, number=number)))
            elif number not in centres:
                row_errors.append(RowError(line, "centre_number", error_text(CENTRE_UNKNOWN, number=number)))
            else:
                centre = centres[number]

        candidate_id = record.values["candidate_id"].upper()
        if only_centre is not None and record.values["candidate_id"]:
            # Checked before anything else about the value, and never looked up.
            row_errors.append(RowError(line, "candidate_id", error_text(CANDIDATE_ID_GIVEN)))
        elif candidate_id and not candidate_id_well_formed(candidate_id):
            message = error_text(CANDIDATE_ID_INVALID, value=record.values["candidate_id"])
            row_errors.append(RowError(line, "candidate_id", message))

        first_name = check_text(record=record, column="first_name", required=True, max_length=100, errors=row_errors)
        last_name = check_text(record=record, column="last_name", required=True, max_length=100, errors=row_errors)
        date_of_birth = check_date(record=record, column="date_of_birth", errors=row_errors)
        if date_of_birth is not None and date_of_birth > today:
            message = error_text(BIRTH_DATE_FUTURE, value=date_of_birth.isoformat())
            row_errors.append(RowError(line, "date_of_birth", message))
        email = _check_email(record=record, column="email", errors=row_errors)

        exam: Exam | None = None
        code = check_text(record=record, column="exam_code", required=True, max_length=12, errors=row_errors)
        if code:
            exam = exams.get(code.upper())
            if exam is None:
                row_errors.append(RowError(line, "exam_code", error_text(EXAM_UNKNOWN, code=code.upper())))
        candidate_number, uci = _unitised_identifiers(record=record, centre=centre, exam=exam, errors=row_errors)
        session_date = check_date(record=record, column="session_date", errors=row_errors)
        mode = check_text(record=record, column="mode", required=True, max_length=8, errors=row_errors)
        if mode:
            mode = mode.lower()
            if mode not in ExamSession.Mode.values:
                modes = ", ".join(ExamSession.Mode.values)
                message = error_text(MODE_INVALID, value=record.values["mode"], modes=modes)
                row_errors.append(RowError(line, "mode", message))

        tracker.advance()
        if row_errors:
            errors.extend(row_errors)
            continue
        # Every value was checked above; the asserts only tell the type checker so.
        assert centre is not None and exam is not None and first_name and last_name and mode  # noqa: S101
        assert date_of_birth is not None and session_date is not None and email is not None  # noqa: S101
        rows.append(
            _EntryRow(
                line=line,
                centre=centre,
                candidate_id=candidate_id,
                first_name=" ".join(first_name.split()),
                last_name=" ".join(last_name.split()),
                date_of_birth=date_of_birth,
                email=email,
                exam=exam,
                session_date=session_date,
                mode=mode,
                candidate_number=candidate_number,
                uci=uci,
            )
        )
    return rows


def _unitised_identifiers(
    *, record: Record, centre: Centre | None, exam: Exam | None, errors: list[RowError]
) -> tuple[str, str]:
    """Return the line's candidate number and UCI (empty unless given), after recording what is wrong with them.

    Rules (docs/domain.md §1.7): a unitised entry needs a 5-digit centre number; a candidate number has four digits
    and a UCI thirteen characters; a scale-score exam takes neither. The UCI's check letter is not verified: its
    published table was not available to us.
    """
    line = record.line
    candidate_number = record.values["candidate_number"].strip()
    uci = record.values["uci"].strip().upper()
    if exam is None:
        return candidate_number, uci
    if exam.family != Exam.Family.UNITISED:
        if candidate_number or uci:
            column = "candidate_number" if candidate_number else "uci"
            errors.append(RowError(line, column, error_text(UNITISED_ONLY, exam=exam.name)))
        return "", ""
    if centre is not None and not UNITISED_CENTRE_NUMBER_PATTERN.fullmatch(centre.number):
        message = error_text(CENTRE_NUMBER_NOT_UNITISED, number=centre.number, exam=exam.name)
        errors.append(RowError(line, "centre_number", message))
    if candidate_number and not CANDIDATE_NUMBER_PATTERN.fullmatch(candidate_number):
        errors.append(RowError(line, "candidate_number", error_text(CANDIDATE_NUMBER_INVALID, value=candidate_number)))
    if uci and not UCI_PATTERN.fullmatch(uci):
        errors.append(RowError(line, "uci", error_text(UCI_INVALID, value=record.values["uci"].strip())))
    return candidate_number, uci


def _entry_sessions_attach(*, rows: list[_EntryRow], errors: Problems) -> None:
    """Set each row's exam session; record an error for a row whose session does not exist."""
    exam_ids = {row.exam.pk for row in rows}
    dates = sorted({row.session_date for row in rows})
    sessions: dict[tuple[int, dt.date, str], ExamSession] = {}
    for chunk in chunks(dates, LOOKUP_CHUNK_SIZE):
        for session in ExamSession.objects.filter(exam_id__in=exam_ids, date__in=chunk):
            sessions[(session.exam_id, session.date, session.mode)] = session
    for row in rows:
        found = sessions.get((row.exam.pk, row.session_date, row.mode))
        if found is None:
            mode_label = str(ExamSession.Mode(row.mode).label).lower()
            message = error_text(
                SESSION_UNKNOWN, exam=row.exam.name, mode=mode_label, date=row.session_date.isoformat()
            )
            errors.append(RowError(row.line, "session_date", message))
            continue
        refusal = session_refusal(exam=row.exam, day=row.session_date, mode=row.mode)
        if refusal is not None:  # docs/domain.md §16: no entry for an exam no longer offered
            errors.append(RowError(row.line, "session_date", refusal))
            continue
        found.exam = row.exam
        row.session = found


def _entry_candidate_ids_check(*, rows: list[_EntryRow], errors: Problems) -> None:
    """Record an error for each given Candidate ID that is in use or given twice in the file."""
    first_line: dict[str, int] = {}
    for row in rows:
        if not row.candidate_id:
            continue
        if row.candidate_id in first_line:
            message = error_text(
                CANDIDATE_ID_REPEATED, candidate_id=row.candidate_id, line=first_line[row.candidate_id]
            )
            errors.append(RowError(row.line, "candidate_id", message))
        else:
            first_line[row.candidate_id] = row.line
    in_use = _candidate_ids_in_use(first_line)
    for candidate_id in sorted(in_use):
        message = error_text(CANDIDATE_ID_IN_USE, candidate_id=candidate_id)
        errors.append(RowError(first_line[candidate_id], "candidate_id", message))


def candidate_id_well_formed(candidate_id: str) -> bool:
    """Return whether ``candidate_id`` (upper case) has the board's shape: nine letters and digits, letters first.

    Rule: docs/domain.md §1.2; every file that names a Candidate ID (entries, results) is checked with this.
    """
    return len(candidate_id) == CANDIDATE_ID_LENGTH and CANDIDATE_ID_PATTERN.fullmatch(candidate_id) is not None


def _candidate_ids_in_use(candidate_ids: Iterable[str]) -> set[str]:
    """Return those of ``candidate_ids`` that an entry in the database already has."""
    in_use: set[str] = set()
    for chunk in chunks(sorted(set(candidate_ids)), LOOKUP_CHUNK_SIZE):
        in_use.update(Entry.objects.filter(candidate_id__in=chunk).values_list("candidate_id", flat=True))
    return in_use


def _exam_family(exam_id: int, certificate_exam_id: int | None) -> int:
    """Return the exam that counts for the monthly rule: a 'for Schools' variant counts as its main exam."""
    return certificate_exam_id if certificate_exam_id is not None else exam_id


def _entry_rules_check(*, rows: list[_EntryRow], errors: Problems) -> None:
    """Find each row's existing candidate, and record rows that break the entry rules.

    A row breaks them when its candidate has the same session on an earlier line or in the database, or
    the same exam (a 'for Schools' variant counting as its main exam) in the same calendar month.
    """
    existing = _existing_candidates(rows=rows)
    person_ids = [candidate.pk for candidate in existing.values()]
    held_sessions: dict[tuple[int, int], str] = {}
    held_months: dict[tuple[int, int, int, int], tuple[str, dt.date, str]] = {}
    for chunk in chunks(person_ids, LOOKUP_CHUNK_SIZE):
        entries = Entry.objects.filter(person_id__in=chunk).values_list(
            "person_id",
            "session_id",
            "candidate_id",
            "status",
            "session__date",
            "session__exam_id",
            "session__exam__certificate_exam_id",
            "session__exam__name",
        )
        for person_id, session_id, candidate_id, status, date, exam_id, certificate_exam_id, exam_name in entries:
            held_sessions[(person_id, session_id)] = candidate_id
            if status != Entry.Status.WITHDRAWN:
                month_key = (person_id, _exam_family(exam_id, certificate_exam_id), date.year, date.month)
                held_months.setdefault(month_key, (exam_name, date, candidate_id))

    lines_by_session: dict[tuple[tuple[int, str, str, dt.date], int], int] = {}
    lines_by_month: dict[tuple[tuple[int, str, str, dt.date], int, int, int], int] = {}
    for row in rows:
        assert row.session is not None  # noqa: S101 - rows without a session were removed
        key = row.person_key
        row.person = existing.get(key)
        if row.uci and row.person is not None and row.person.uci and row.person.uci != row.uci:
            errors.append(RowError(row.line, "uci", error_text(UCI_OTHER, name=row.full_name, uci=row.person.uci)))
            continue
        family = _exam_family(row.exam.pk, row.exam.certificate_exam_id)
        month = (key, family, row.session_date.year, row.session_date.month)
        if (key, row.session.pk) in lines_by_session:
            message = error_text(ENTRY_REPEATED, name=row.full_name, line=lines_by_session[(key, row.session.pk)])
            errors.append(RowError(row.line, "exam_code", message))
            continue
        lines_by_session[(key, row.session.pk)] = row.line
        if month in lines_by_month:
            message = error_text(
                MONTH_TAKEN_IN_FILE,
                name=row.full_name,
                exam=row.exam.name,
                month=date_format(row.session_date, "YEAR_MONTH_FORMAT"),
                line=lines_by_month[month],
            )
            errors.append(RowError(row.line, "session_date", message))
            continue
        lines_by_month[month] = row.line
        if row.person is None:
            continue
        held = held_sessions.get((row.person.pk, row.session.pk))
        if held is not None:
            errors.append(
                RowError(row.line, "exam_code", error_text(ENTRY_EXISTS, name=row.full_name, candidate_id=held))
            )
            continue
        taken = held_months.get((row.person.pk, family, row.session_date.year, row.session_date.month))
        if taken is not None:
            exam_name, date, candidate_id = taken
            message = error_text(
                MONTH_TAKEN_IN_DATABASE,
                name=row.full_name,
                exam=exam_name,
                date=date.isoformat(),
                candidate_id=candidate_id,
            )
            errors.append(RowError(row.line, "session_date", message))


def _existing_candidates(*, rows: list[_EntryRow]) -> dict[tuple[int, str, str, dt.date], Candidate]:
    """Return the existing candidates that rows refer to, keyed by person (the oldest if there are several)."""
    wanted = {row.person_key for row in rows}
    centre_ids = {row.centre.pk for row in rows}
    found: dict[tuple[int, str, str, dt.date], Candidate] = {}
    for chunk in chunks(sorted({row.date_of_birth for row in rows}), LOOKUP_CHUNK_SIZE):
        queryset = Candidate.objects.filter(centre_id__in=centre_ids, date_of_birth__in=chunk).order_by("pk")
        for candidate in queryset:
            key = _person_key(
                centre_id=candidate.centre_id,
                first_name=candidate.first_name,
                last_name=candidate.last_name,
                date_of_birth=candidate.date_of_birth,
            )
            if key in wanted:
                found.setdefault(key, candidate)
    return found


def _candidate_ids_new(*, count: int, reserved: set[str]) -> list[str]:
    """Return ``count`` new Candidate IDs, distinct from each other, from ``reserved`` and from the database."""
    issued: list[str] = []
    while len(issued) < count:
        fresh: dict[str, None] = {}
        while len(fresh) < count - len(issued):
            candidate_id = candidate_id_generate()
            if candidate_id not in reserved:
                fresh[candidate_id] = None
        reserved.update(fresh)
        in_use = _candidate_ids_in_use(fresh)
        issued.extend(candidate_id for candidate_id in fresh if candidate_id not in in_use)
    return issued


def _entries_write(*, rows: list[_EntryRow], tracker: Progress) -> list[IssuedEntry]:
    """Create the new candidates and the entries of checked rows; return them with their secret numbers."""
    new_people: dict[tuple[int, str, str, dt.date], Candidate] = {}
    for row in rows:
        if row.person is None:
            row.person = new_people.setdefault(
                row.person_key,
                Candidate(
                    centre=row.centre,
                    first_name=row.first_name,
                    last_name=row.last_name,
                    search_name=search_name(first_name=row.first_name, last_name=row.last_name),
                    date_of_birth=row.date_of_birth,
                    email=row.email,
                    uci=row.uci,
                ),
            )
    Candidate.objects.bulk_create(list(new_people.values()), batch_size=WRITE_BATCH_SIZE)
    # A UCI stays with the student for the whole course: given for someone already entered, it is kept.
    given_uci = {
        row.person.pk: row.person for row in rows if row.uci and row.person is not None and not row.person.uci
    }
    for row in rows:
        if row.uci and row.person is not None and row.person.pk in given_uci:
            row.person.uci = row.uci
    Candidate.objects.bulk_update(list(given_uci.values()), ["uci"], batch_size=WRITE_BATCH_SIZE)

    given = {row.candidate_id for row in rows if row.candidate_id}
    generated = iter(_candidate_ids_new(count=sum(1 for row in rows if not row.candidate_id), reserved=given))
    now = timezone.now()
    results_by: dict[int, dt.date] = {}
    issued: list[IssuedEntry] = []
    entries: list[Entry] = []
    for row in rows:
        assert row.session is not None and row.person is not None  # noqa: S101 - set by the checks above
        secret_number = secret_number_generate()
        entry = Entry(
            person=row.person,
            session=row.session,
            centre=row.centre,
            candidate_id=row.candidate_id or next(generated),
            secret_hash=secret_number_hash(secret_number=secret_number),
            secret_issued_at=now,
            candidate_number=row.candidate_number,
        )
        entries.append(entry)
        if row.session.pk not in results_by:
            results_by[row.session.pk] = session_results_by(session=row.session)
        issued.append(
            IssuedEntry(
                candidate_id=entry.candidate_id,
                secret_number=secret_number,
                first_name=row.person.first_name,
                last_name=row.person.last_name,
                exam_code=row.exam.code,
                session_date=row.session_date,
                mode=row.mode,
                centre_number=row.centre.number,
                results_by=results_by[row.session.pk],
                exam_name=row.exam.name,
                mode_label=str(ExamSession.Mode(row.mode).label),
                centre_name=row.centre.name,
                public_id=entry.public_id,
            )
        )
    for batch in chunks(entries, WRITE_BATCH_SIZE):
        Entry.objects.bulk_create(batch)
        tracker.advance(len(batch), force=True)
    return issued


def issued_csv(issued: Sequence[IssuedEntry]) -> str:
    """Return the issued-entries CSV (``ISSUED_COLUMNS``): the only copy of the secret numbers in clear."""
    return csv_text(
        header=ISSUED_COLUMNS,
        rows=(
            [
                entry.candidate_id,
                entry.secret_number,
                entry.first_name,
                entry.last_name,
                entry.exam_code,
                entry.session_date.isoformat(),
                entry.mode,
                entry.centre_number,
                entry.results_by.isoformat(),
            ]
            for entry in issued
        ),
    )
