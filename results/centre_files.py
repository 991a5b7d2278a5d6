"""Results files for unitised series (CSV): a unit file of unit marks and grades, a qualification file of
qualification marks and grades, rows keyed by centre number, candidate number, UCI and series.

Rules: docs/domain.md §13 'Centre results files and reports': centres get two files on restricted
results day, refreshed daily until the end of the post-results period. The layout is our own (the JCQ's fixed
formats are not public), described in docs/results-files.md.
The files hold only what the centre may see at the moment they are built (``results.centre_reports.series_results``
through the one visibility selector); an entered unit or cash-in without a visible result is a 'Q' row.

Stored files need no model: each centre's files for a series live in one storage folder whose name is a
keyed hash of (centre, series) — nobody can guess it, and the portal can always find it again — with one
subfolder per day. Only the newest day is kept: the files hold personal data and are replaced daily.
"""

import contextlib
import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from centres.models import Centre, CertificationEntry, Entry, UnitEntry
from exams.models import Exam, ExamSession
from results_portal.downloads import BOM, csv_text

from .centre_reports import PENDING_GRADE, series_results
from .presentation import NO_RESULT, UNITISED_IDENTIFIER_COLUMNS, grade_as_awarded, series_code

UNIT_COLUMNS = [
    *UNITISED_IDENTIFIER_COLUMNS,
    "surname",
    "forenames",
    "date_of_birth",
    "qualification_code",
    "series",
    "unit_code",
    "raw_mark",
    "ums",
    "ums_max",
    "unit_grade",
    "status",
]
QUALIFICATION_COLUMNS = [
    *UNITISED_IDENTIFIER_COLUMNS,
    "surname",
    "forenames",
    "date_of_birth",
    "qualification_code",
    "series",
    "total_ums",
    "ums_max_total",
    "grade",
    "status",
]
STATUS_RESULT = "R"
STATUS_PENDING = "Q"
STATUS_NO_RESULT = "X"  # no result: the units entered are not a valid combination (docs/domain.md §4.3)
UNIT_ABSENT = "absent"  # the unit grade of a unit the student was absent from (0 UMS, counted: '#')
UNIT_FILE = "unit"
QUALIFICATION_FILE = "qualification"
FILE_KINDS = (UNIT_FILE, QUALIFICATION_FILE)
# Both unchanged since the files were called "EDI files": they name the folders already stored.
STORAGE_ROOT = "edi"
_FOLDER_SALT = "centres.edi.folder"


def results_files_build(*, centre: Centre, series: ExamSession, now: dt.datetime) -> tuple[str, str]:
    """Return the unit file and the qualification file of a centre's series as the centre may see them at ``now``.

    Before the centre's release instant both files hold the header line only. The files are what the exams
    officer sees (the restricted release); the download page gives them to other staff only from the
    candidates' release instant, when everyone at the centre sees the same (docs/domain.md §13).
    """
    exam = series.exam
    code = series_code(series)
    unit_rows: list[list[object]] = []
    qualification_rows: list[list[object]] = []
    for student in series_results(centre=centre, restricted=True, series=series, now=now):
        if not student.released:
            continue
        person = student.entry.person
        who: list[object] = [
            *student.identifiers.cells,
            person.last_name,
            person.first_name,
            person.date_of_birth.isoformat(),
        ]
        for line in student.units:
            score = line.score
            ums_max = line.unit.ums_max or ""
            if score is None:
                marks: list[object] = ["", "", ums_max, PENDING_GRADE, STATUS_PENDING]
            else:
                ums = "" if score.ums is None else score.ums
                grade = UNIT_ABSENT if score.absent else score.unit_grade
                marks = [score.score, ums, ums_max, grade, STATUS_RESULT]
            unit_rows.append([*who, exam.code, code, line.unit.code, *marks])
        if student.certification is not None:
            result = student.result
            awarded = grade_as_awarded(
                family=exam.family,
                grade=result.grade if result is not None else "",
                qualification=(result.qualification if result is not None else None) or {},
            )
            if student.qualification_grade:
                total = "" if student.total_ums is None else student.total_ums
                outcome: list[object] = [total, exam.ums_max_total or "", awarded, STATUS_RESULT]
            elif awarded == NO_RESULT:
                outcome = ["", exam.ums_max_total or "", NO_RESULT, STATUS_NO_RESULT]
            else:
                outcome = ["", exam.ums_max_total or "", PENDING_GRADE, STATUS_PENDING]
            qualification_rows.append([*who, exam.code, code, *outcome])
    return (
        csv_text(header=UNIT_COLUMNS, rows=unit_rows),
        csv_text(header=QUALIFICATION_COLUMNS, rows=qualification_rows),
    )


# --- Reading the files back -------------------------------------------------------------------------------
class ResultsFileFormatError(ValueError):
    """A file does not follow docs/results-files.md; the message names the file, line and column."""


@dataclass(frozen=True)
class UnitFileRow:
    centre_number: str
    candidate_number: str
    uci: str
    candidate_id: str
    surname: str
    forenames: str
    date_of_birth: dt.date
    qualification_code: str
    series: str
    unit_code: str
    raw_mark: int | None
    ums: int | None
    ums_max: int | None
    unit_grade: str
    status: str


@dataclass(frozen=True)
class QualificationFileRow:
    centre_number: str
    candidate_number: str
    uci: str
    candidate_id: str
    surname: str
    forenames: str
    date_of_birth: dt.date
    qualification_code: str
    series: str
    total_ums: int | None
    ums_max_total: int | None
    grade: str
    status: str


@dataclass(frozen=True)
class ResultsFiles:
    units: list[UnitFileRow]
    qualifications: list[QualificationFileRow]


_NUMBERS = {"raw_mark", "ums", "ums_max", "total_ums", "ums_max_total"}


def _records(*, name: str, text: str, columns: list[str]) -> list[dict[str, Any]]:
    reader = csv.reader(io.StringIO(text.removeprefix(BOM), newline=""))
    header = next(reader, None)
    if header != columns:
        raise ResultsFileFormatError(f"{name} file, line 1: the header must be {','.join(columns)}")
    records: list[dict[str, Any]] = []
    for number, row in enumerate(reader, start=2):
        if len(row) != len(columns):
            raise ResultsFileFormatError(f"{name} file, line {number}: {len(row)} values, {len(columns)} expected")
        record: dict[str, Any] = dict(zip(columns, row, strict=True))
        for column, value in zip(columns, row, strict=True):
            try:
                if column in _NUMBERS:
                    record[column] = int(value) if value != "" else None
                elif column == "date_of_birth":
                    record[column] = dt.date.fromisoformat(value)
            except ValueError as error:
                raise ResultsFileFormatError(
                    f"{name} file, line {number}, column {column}: {value!r} is not valid"
                ) from error
        if record["status"] not in {STATUS_RESULT, STATUS_PENDING, STATUS_NO_RESULT}:
            raise ResultsFileFormatError(
                f"{name} file, line {number}, column status: {record['status']!r} is not R, Q or X"
            )
        records.append(record)
    return records


def results_files_parse(unit_text: str, qualification_text: str) -> ResultsFiles:
    """Read a unit file and a qualification file back into typed rows; raise ResultsFileFormatError if malformed."""
    return ResultsFiles(
        units=[UnitFileRow(**r) for r in _records(name=UNIT_FILE, text=unit_text, columns=UNIT_COLUMNS)],
        qualifications=[
            QualificationFileRow(**r)
            for r in _records(name=QUALIFICATION_FILE, text=qualification_text, columns=QUALIFICATION_COLUMNS)
        ],
    )


# --- Storing the daily files --------------------------------------------------------------------------------
@dataclass(frozen=True)
class StoredResultsFile:
    kind: str
    day: dt.date
    path: str


def _folder(*, centre: Centre, series: ExamSession) -> str:
    digest = salted_hmac(_FOLDER_SALT, f"{centre.pk}:{series.pk}", algorithm="sha256").hexdigest()[:40]
    return f"{STORAGE_ROOT}/{digest}"


def _days(folder: str) -> list[str]:
    try:
        days, _files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    return sorted(day for day in days if _is_day(day))


def _is_day(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _write(path: str, text: str) -> None:
    if default_storage.exists(path):
        default_storage.delete(path)
    saved = default_storage.save(path, ContentFile(text.encode("utf-8")))
    if saved != path:  # another worker wrote the same file at the same moment: keep one copy
        default_storage.delete(saved)


def results_files_store(*, centre: Centre, series: ExamSession, now: dt.datetime, replace: bool = False) -> bool:
    """Store today's two files of a centre's series (built at ``now``) and drop older days; return if written.

    Today's files are written once a day; ``replace`` writes them again (after a hold or an amendment).
    """
    folder = _folder(centre=centre, series=series)
    today = timezone.localdate(now).isoformat()
    paths = {kind: f"{folder}/{today}/{kind}.csv" for kind in FILE_KINDS}
    if not replace and all(default_storage.exists(path) for path in paths.values()):
        return False
    unit_text, qualification_text = results_files_build(centre=centre, series=series, now=now)
    _write(paths[UNIT_FILE], unit_text)
    _write(paths[QUALIFICATION_FILE], qualification_text)
    for day in _days(folder):
        if day < today:
            for kind in FILE_KINDS:
                old = f"{folder}/{day}/{kind}.csv"
                if default_storage.exists(old):
                    default_storage.delete(old)
            with contextlib.suppress(OSError):  # a folder of its own only on file systems
                default_storage.delete(f"{folder}/{day}")
    return True


def results_files_latest(*, centre: Centre, series: ExamSession) -> dict[str, StoredResultsFile]:
    """Return the newest stored file of each kind for a centre's series (kinds not stored yet are absent)."""
    folder = _folder(centre=centre, series=series)
    latest: dict[str, StoredResultsFile] = {}
    for day in reversed(_days(folder)):
        for kind in FILE_KINDS:
            path = f"{folder}/{day}/{kind}.csv"
            if kind not in latest and default_storage.exists(path):
                latest[kind] = StoredResultsFile(kind=kind, day=dt.date.fromisoformat(day), path=path)
    return latest


def results_file_read(stored: StoredResultsFile) -> bytes:
    """Return the bytes of a stored file."""
    with default_storage.open(stored.path, "rb") as handle:
        content: bytes = handle.read()
    return content


def post_results_series(*, now: dt.datetime) -> list[ExamSession]:
    """Return the unitised series in their post-results period at ``now`` (centre release to window end)."""
    released = Q(centre_release_at__lte=now) | Q(centre_release_at__isnull=True, window_start__lte=now)
    return list(
        ExamSession.objects.filter(released, exam__family=Exam.Family.UNITISED, window_end__gte=now)
        .select_related("exam")
        .order_by("date", "pk")
    )


def results_files_regenerate_all(*, now: dt.datetime | None = None, replace: bool = False) -> int:
    """Store today's results files for every centre with unit or certification entries in a post-results series.

    Return how many (centre, series) pairs were written. Safe to run often: a pair already written today is
    skipped unless ``replace``. The Celery beat entry runs it daily (and may run it more often).
    """
    moment = now or timezone.now()
    written = 0
    for series in post_results_series(now=moment):
        in_files = Entry.objects.filter(
            Exists(UnitEntry.objects.filter(entry=OuterRef("pk")))
            | Exists(CertificationEntry.objects.filter(entry=OuterRef("pk"))),
            centre=OuterRef("pk"),
            session=series,
            status=Entry.Status.ENTERED,
        )
        for centre in Centre.objects.filter(Exists(in_files)).order_by("number"):
            written += results_files_store(centre=centre, series=series, now=moment, replace=replace)
    return written
