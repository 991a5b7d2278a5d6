"""``import_centres`` and ``import_entries`` on files that are too large, not CSV text, or full of bad lines."""

import datetime as dt
import importlib
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from centres.imports import ENTRY_COLUMNS
from centres.models import Candidate, Centre, Entry
from centres.tests.factories import CentreFactory, ExamSessionFactory, csv_text, entry_row
from exams.models import Exam, ExamSession

pytestmark = pytest.mark.django_db

CENTRES_HEADER = b"centre_number,name,country,email\n"
NOT_CSV_TEXT = (
    "this line holds the control character U+0000, so the file is not CSV text (a spreadsheet's .xlsx file, "
    "for example): from a spreadsheet, save it as 'CSV UTF-8'"
)
NOT_UTF8 = "the file is not UTF-8 text from this line on: from a spreadsheet, save it as 'CSV UTF-8'"


@pytest.fixture
def session() -> ExamSession:
    CentreFactory.create(number="GB900", name="Colegio Británico")
    return ExamSessionFactory.create(exam=Exam.objects.get(code="FCE"), date=dt.date(2027, 6, 12))


def run_failing(*args: str) -> tuple[str, list[str]]:
    """Run a command that must fail; return its error and the lines it wrote to stderr."""
    stderr = io.StringIO()
    with pytest.raises(CommandError) as exc_info:
        call_command(*args, stdout=io.StringIO(), stderr=stderr)
    return str(exc_info.value), stderr.getvalue().splitlines()


def write(tmp_path: Path, data: bytes, name: str = "file.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def entries_bytes(*rows: dict[str, str]) -> bytes:
    return csv_text(list(rows), columns=list(ENTRY_COLUMNS)).encode()


# --- import_centres ---------------------------------------------------------------------------------------------
def test_import_centres_refuses_a_nul_byte_naming_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, CENTRES_HEADER + b"GB1,One,UK,\nGB2,T\x00wo,UK,\n")

    message, stderr = run_failing("import_centres", str(path))

    assert message == "1 problem found; nothing was written."
    assert stderr == [f"line 3: {NOT_CSV_TEXT}"]
    assert not Centre.objects.exists()


def test_import_centres_refuses_invalid_utf8_naming_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, CENTRES_HEADER + "GB1,Colegio Británico,ES,\n".encode("latin-1"))

    message, stderr = run_failing("import_centres", str(path))

    assert (message, stderr) == ("1 problem found; nothing was written.", [f"line 2: {NOT_UTF8}"])
    assert not Centre.objects.exists()


def test_import_centres_refuses_a_file_over_csv_max_bytes(tmp_path: Path, settings: Any) -> None:
    settings.CSV_MAX_BYTES = 40
    path = write(tmp_path, CENTRES_HEADER + b"GB1,One,UK,\n")

    _message, stderr = run_failing("import_centres", str(path))

    assert stderr == ["the file is larger than 40\xa0bytes: split it into smaller files"]
    assert not Centre.objects.exists()


def test_import_centres_lists_100_problems_and_counts_the_others(tmp_path: Path) -> None:
    path = write(tmp_path, CENTRES_HEADER + b"".join(b"GB-%d,Centre,UK,\n" % n for n in range(1000)))

    message, stderr = run_failing("import_centres", str(path))

    assert message == "1000 problems found; nothing was written."
    assert len(stderr) == 101
    assert stderr[0] == "line 2, column centre_number: 'GB-0' is not a centre number (letters and digits, at most 12)"
    assert stderr[99].startswith("line 101, column centre_number: 'GB-99' is not")
    assert stderr[100] == "…and 900 more problems"
    assert not Centre.objects.exists()


# --- import_entries ---------------------------------------------------------------------------------------------
def test_import_entries_refuses_a_nul_byte_and_writes_no_issued_file(tmp_path: Path, session: ExamSession) -> None:
    data = entries_bytes(entry_row(first_name="Ana"), entry_row(first_name="Ben"))
    path = write(tmp_path, data.replace(b"Ben", b"B\x00en"), name="entries.csv")

    message, stderr = run_failing("import_entries", str(path))

    assert (message, stderr) == ("1 problem found; nothing was written.", [f"line 3: {NOT_CSV_TEXT}"])
    assert not (tmp_path / "entries.issued.csv").exists()
    assert not Entry.objects.exists() and not Candidate.objects.exists()


def test_import_entries_refuses_invalid_utf8_naming_its_line(tmp_path: Path, session: ExamSession) -> None:
    data = entries_bytes(entry_row(first_name="Ana"), entry_row(first_name="José"))
    path = write(tmp_path, data.replace("José".encode(), "José".encode("latin-1")), name="entries.csv")

    _message, stderr = run_failing("import_entries", str(path))

    assert stderr == [f"line 3: {NOT_UTF8}"]
    assert not (tmp_path / "entries.issued.csv").exists()
    assert not Entry.objects.exists()


def test_import_entries_refuses_a_file_over_csv_max_lines(tmp_path: Path, session: ExamSession, settings: Any) -> None:
    settings.CSV_MAX_LINES = 2
    rows = [entry_row(first_name=name) for name in ("Ana", "Ben", "Cleo")]
    path = write(tmp_path, entries_bytes(*rows), name="entries.csv")

    _message, stderr = run_failing("import_entries", str(path))

    assert stderr == ["line 4: the file has more than 2 lines below the header: split it into smaller files"]
    assert not (tmp_path / "entries.issued.csv").exists()
    assert not Entry.objects.exists()


def test_import_entries_lists_100_problems_and_counts_the_others(tmp_path: Path, session: ExamSession) -> None:
    rows = [entry_row(first_name=f"Name{n}", mode="bus") for n in range(1000)]
    path = write(tmp_path, entries_bytes(*rows), name="entries.csv")

    message, stderr = run_failing("import_entries", str(path))

    assert message == "1000 problems found; nothing was written."
    assert stderr[0] == "line 2, column mode: 'bus' is not a mode: use paper, computer, digital"
    assert stderr[99] == "line 101, column mode: 'bus' is not a mode: use paper, computer, digital"
    assert stderr[100:] == ["…and 900 more problems"]
    assert not (tmp_path / "entries.issued.csv").exists()
    assert not Entry.objects.exists()


# --- Stored problems --------------------------------------------------------------------------------------------
def test_the_migration_keeps_the_first_100_stored_problems_and_counts_the_others() -> None:
    from django.apps import apps

    from centres.models import EntryImport
    from centres.tests.factories import StaffMemberFactory

    migration = importlib.import_module("centres.migrations.0005_entry_import_errors_capped")
    member = StaffMemberFactory()
    problems = [f"line {line}: bad" for line in range(2, 252)]
    big = EntryImport.objects.create(
        centre=member.centre, uploaded_by=member.user, filename="big.csv", status="rejected", errors=problems
    )
    small = EntryImport.objects.create(
        centre=member.centre, uploaded_by=member.user, filename="small.csv", status="rejected", errors=problems[:3]
    )

    migration.errors_cap(apps, None)

    big.refresh_from_db()
    small.refresh_from_db()
    assert (big.errors, big.errors_more) == (problems[:100], 150)
    assert (small.errors, small.errors_more) == (problems[:3], 0)
