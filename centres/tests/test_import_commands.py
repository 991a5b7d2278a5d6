import csv
import datetime as dt
import io
import stat
from pathlib import Path

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from centres.imports import ENTRY_COLUMNS, ISSUED_COLUMNS
from centres.models import Candidate, Centre, Entry
from centres.services import secret_number_matches
from centres.tests.factories import CentreFactory, ExamSessionFactory, csv_text, entry_row
from exams.models import Exam, ExamSession
from exams.selectors import session_results_by
from results_portal.tests.formula_cells import BOM_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def session() -> ExamSession:
    CentreFactory.create(number="GB900", name="Colegio Británico")
    return ExamSessionFactory.create(exam=Exam.objects.get(code="FCE"), date=dt.date(2027, 6, 12))


def run(*args: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(*args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def run_failing(*args: str) -> tuple[str, str]:
    """Run a command that must fail; return its error message and what it wrote to stderr."""
    stderr = io.StringIO()
    with pytest.raises(CommandError) as exc_info:
        call_command(*args, stdout=io.StringIO(), stderr=stderr)
    return str(exc_info.value), stderr.getvalue()


def entries_file(tmp_path: Path, *rows: dict[str, str], name: str = "entries.csv") -> Path:
    path = tmp_path / name
    path.write_text(csv_text(list(rows), columns=list(ENTRY_COLUMNS)), encoding="utf-8")
    return path


def test_import_entries_writes_the_issued_file_beside_the_input(tmp_path: Path, session: ExamSession) -> None:
    source = entries_file(tmp_path, entry_row(first_name="Ana"), entry_row(candidate_id="SIR094701"))

    stdout, stderr = run("import_entries", str(source))

    issued_path = tmp_path / "entries.issued.csv"
    assert stdout.splitlines() == [
        "2 entries created for 1 centre.",
        f"Wrote {issued_path}",
        "Keep this file safe: it holds the secret numbers, which are not stored anywhere else.",
    ]
    assert stderr == ""
    with issued_path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == list(ISSUED_COLUMNS)
        rows = list(reader)
    assert [row["candidate_id"] for row in rows][1] == "SIR094701"
    for row in rows:
        entry = Entry.objects.get(candidate_id=row["candidate_id"])
        assert secret_number_matches(secret_number=row["secret_number"], secret_hash=entry.secret_hash)
        assert row["results_by"] == session_results_by(session=session).isoformat()
        assert (row["exam_code"], row["session_date"], row["mode"], row["centre_number"]) == (
            "FCE",
            "2027-06-12",
            "paper",
            "GB900",
        )
    assert rows[0]["first_name"] == "Ana"
    assert stat.S_IMODE(issued_path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("surname", "cell"),
    [
        pytest.param('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")', id="equals"),
        pytest.param("+1", "'+1", id="plus"),
        pytest.param("-2+3", "'-2+3", id="minus"),
        pytest.param("@SUM(A1)", "'@SUM(A1)", id="at"),
        # The import trims the spaces, tabs and line breaks around every value, so these reach the file as "x".
        pytest.param("\tx", "x", id="tab"),
        pytest.param("\rx", "x", id="carriage-return"),
    ],
)
def test_import_entries_writes_a_name_that_is_a_formula_neutralised(
    tmp_path: Path, session: ExamSession, surname: str, cell: str
) -> None:
    row = entry_row(candidate_id="SIR094701", first_name="Ana", last_name=surname)
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # CRLF line ends, so a carriage return inside a value is quoted
    writer.writerows([ENTRY_COLUMNS, [row[column] for column in ENTRY_COLUMNS]])
    source = tmp_path / "entries.csv"
    source.write_text(buffer.getvalue(), encoding="utf-8", newline="")

    run("import_entries", str(source))

    issued_path = tmp_path / "entries.issued.csv"
    assert issued_path.read_bytes().startswith(BOM_BYTES)
    with issued_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(ISSUED_COLUMNS)
    assert [(row[0], row[2], row[3]) for row in rows[1:]] == [("SIR094701", "Ana", cell)]
    assert Entry.objects.get().person.last_name == surname.strip()


def test_import_entries_reads_an_excel_file_with_bom(tmp_path: Path, session: ExamSession) -> None:
    source = tmp_path / "excel.csv"
    source.write_bytes(csv_text([entry_row()], columns=list(ENTRY_COLUMNS)).encode("utf-8-sig"))

    run("import_entries", str(source))

    assert Entry.objects.count() == 1
    assert (tmp_path / "excel.issued.csv").exists()


def test_import_entries_refuses_to_overwrite_an_issued_file(tmp_path: Path, session: ExamSession) -> None:
    source = entries_file(tmp_path, entry_row())
    issued_path = tmp_path / "entries.issued.csv"
    issued_path.write_text("earlier secret numbers\n", encoding="utf-8")

    message, _ = run_failing("import_entries", str(source))

    assert message.startswith(f"{issued_path} already exists")
    assert message.endswith("nothing was written.")
    assert issued_path.read_text(encoding="utf-8") == "earlier secret numbers\n"
    assert Entry.objects.count() == 0
    assert Candidate.objects.count() == 0


def test_import_entries_reports_every_problem_and_writes_nothing(tmp_path: Path, session: ExamSession) -> None:
    source = entries_file(tmp_path, entry_row(), entry_row(centre_number="GB999"), entry_row(mode="online"))

    message, stderr = run_failing("import_entries", str(source))

    assert message == "2 problems found; nothing was written."
    assert stderr.splitlines() == [
        "line 3, column centre_number: unknown centre GB999",
        "line 4, column mode: 'online' is not a mode: use paper, computer, digital",
    ]
    assert not (tmp_path / "entries.issued.csv").exists()
    assert Entry.objects.count() == 0
    assert Candidate.objects.count() == 0


def test_import_entries_says_problem_for_a_single_problem(tmp_path: Path, session: ExamSession) -> None:
    source = entries_file(tmp_path, entry_row(exam_code="XYZ"))

    message, stderr = run_failing("import_entries", str(source))

    assert message == "1 problem found; nothing was written."
    assert stderr == "line 2, column exam_code: unknown exam XYZ\n"


def test_import_entries_exits_with_status_1_on_a_bad_file(
    tmp_path: Path, session: ExamSession, capsys: pytest.CaptureFixture[str]
) -> None:
    source = entries_file(tmp_path, entry_row(date_of_birth="2008-02-30"))

    with pytest.raises(SystemExit) as exc_info:
        ManagementUtility(["manage.py", "import_entries", str(source)]).execute()

    assert exc_info.value.code == 1
    captured = capsys.readouterr()
    assert "line 2, column date_of_birth: 2008-02-30 is not a real date" in captured.err
    assert "1 problem found; nothing was written." in captured.err
    assert not (tmp_path / "entries.issued.csv").exists()


def test_import_entries_names_a_missing_file(tmp_path: Path) -> None:
    message, _ = run_failing("import_entries", str(tmp_path / "nope.csv"))

    assert message == f"{tmp_path / 'nope.csv'}: no such file."
    assert not (tmp_path / "nope.issued.csv").exists()


def test_import_entries_rejects_a_file_that_is_not_utf8(tmp_path: Path, session: ExamSession) -> None:
    source = tmp_path / "latin1.csv"
    source.write_bytes(csv_text([entry_row()], columns=list(ENTRY_COLUMNS)).encode("latin-1"))

    message, stderr = run_failing("import_entries", str(source))

    assert message == "1 problem found; nothing was written."
    assert stderr == (
        "line 2: the file is not UTF-8 text from this line on: from a spreadsheet, save it as 'CSV UTF-8'\n"
    )
    assert not (tmp_path / "latin1.issued.csv").exists()
    assert Entry.objects.count() == 0


def test_import_entries_removes_the_issued_file_when_the_write_fails(
    tmp_path: Path, session: ExamSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise OSError("disk full")

    monkeypatch.setattr("centres.management.commands.import_entries.issued_csv", broken)
    source = entries_file(tmp_path, entry_row())

    with pytest.raises(OSError, match="disk full"):
        call_command("import_entries", str(source), stdout=io.StringIO())

    assert not (tmp_path / "entries.issued.csv").exists()
    assert Entry.objects.count() == 0


def test_import_centres_creates_and_updates(tmp_path: Path) -> None:
    CentreFactory.create(number="GB123", name="Old name")
    source = tmp_path / "centres.csv"
    source.write_text(
        "centre_number,name,country,email\nGB123,New name,United Kingdom,exams@gb123.example\nES456,Colegio,Spain,\n",
        encoding="utf-8",
    )

    stdout, _ = run("import_centres", str(source))

    assert stdout == "2 centres created or updated.\n"
    assert Centre.objects.get(number="GB123").name == "New name"
    assert Centre.objects.get(number="ES456").country == "Spain"


def test_import_centres_reports_problems(tmp_path: Path) -> None:
    source = tmp_path / "centres.csv"
    source.write_text("centre_number,name,country,email\nGB1,,UK,\nGB2,Two,UK,not-an-email\n", encoding="utf-8")

    message, stderr = run_failing("import_centres", str(source))

    assert message == "2 problems found; nothing was written."
    assert stderr.splitlines() == [
        "line 2, column name: this value must not be empty",
        "line 3, column email: 'not-an-email' is not a valid email address",
    ]
    assert Centre.objects.count() == 0
