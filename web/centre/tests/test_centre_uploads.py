"""The centre's entries upload: the limits of every CSV file, text that is not CSV, and a capped list of problems."""

import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client

from centres.models import Candidate, Entry, EntryImport
from centres.tests.factories import CentreFactory, StaffMemberFactory
from conftest import CommittingClient, otp_login
from exams.models import Exam, ExamSession

pytestmark = pytest.mark.django_db

HEADER = b"centre_number,candidate_id,first_name,last_name,date_of_birth,email,exam_code,session_date,mode\n"
NOT_CSV_TEXT = (
    "this line holds the control character U+0000, so the file is not CSV text (a spreadsheet&#x27;s .xlsx file, "
    "for example): from a spreadsheet, save it as &#x27;CSV UTF-8&#x27;"
)


@pytest.fixture
def officer() -> tuple[Client, Any]:
    member = StaffMemberFactory(centre=CentreFactory(number="GB900"))
    return otp_login(CommittingClient(), member.user), member


@pytest.fixture
def session() -> ExamSession:
    return ExamSession.objects.create(exam=Exam.objects.get(code="PET"), date=dt.date(2027, 3, 13), mode="paper")


def _line(name: str = "Ana", candidate_id: str = "") -> bytes:
    return f"GB900,{candidate_id},{name},Smith,2006-01-02,,PET,2027-03-13,paper\n".encode()


def _upload(client: Client, data: bytes) -> Any:
    upload = io.BytesIO(data)
    upload.name = "entries.csv"
    return client.post("/centre/imports/", {"file": upload})


def _nothing_written() -> None:
    assert not EntryImport.objects.exists()
    assert not Entry.objects.exists() and not Candidate.objects.exists()


def test_a_nul_byte_is_refused_naming_its_line_and_nothing_is_stored(officer: Any, session: ExamSession) -> None:
    client, _member = officer

    response = _upload(client, HEADER + _line("Ana") + _line("B\x00en"))

    assert response.status_code == 200
    assert f"line 3: {NOT_CSV_TEXT}" in response.content.decode()
    _nothing_written()


def test_a_file_that_is_not_utf8_is_refused_naming_its_line(officer: Any, session: ExamSession) -> None:
    client, _member = officer

    response = _upload(client, HEADER + _line("Ana") + _line("José").decode().encode("latin-1"))

    assert (
        "line 3: the file is not UTF-8 text from this line on: from a spreadsheet, save it as &#x27;CSV UTF-8&#x27;"
        in response.content.decode()
    )
    _nothing_written()


def test_a_binary_file_is_refused(officer: Any, session: ExamSession) -> None:
    client, _member = officer

    response = _upload(client, b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml")

    assert "line 1: this line holds the control character U+0003" in response.content.decode()
    _nothing_written()


def test_a_file_over_csv_max_bytes_is_refused(officer: Any, session: ExamSession, settings: Any) -> None:
    client, _member = officer
    data = HEADER + _line("Ana") + _line("Ben")
    settings.CSV_MAX_BYTES = len(data) - 1

    response = _upload(client, data)

    assert (
        f"the file is larger than {len(data) - 1}\xa0bytes: split it into smaller files" in response.content.decode()
    )
    _nothing_written()


def test_a_file_over_csv_max_lines_is_rejected_at_the_first_line_past_it(
    officer: Any, session: ExamSession, settings: Any
) -> None:
    client, _member = officer
    settings.CSV_MAX_LINES = 2

    _upload(client, HEADER + _line("Ana") + _line("Ben") + _line("Cleo") + _line("Dan"))

    job = EntryImport.objects.get()
    assert job.status == EntryImport.Status.REJECTED
    assert job.errors == ["line 4: the file has more than 2 lines below the header: split it into smaller files"]
    assert not Entry.objects.exists()


def test_a_line_over_csv_max_columns_is_rejected(officer: Any, session: ExamSession, settings: Any) -> None:
    client, _member = officer
    settings.CSV_MAX_COLUMNS = 12

    _upload(client, HEADER + _line("Ana") + _line("Ben").replace(b"\n", b",,,,\n"))

    job = EntryImport.objects.get()
    assert job.errors == ["line 3: this line has more than 12 values: a file has at most 12 columns"]
    assert not Entry.objects.exists()


def test_a_file_with_1000_bad_lines_shows_100_and_900_more(officer: Any, session: ExamSession) -> None:
    client, _member = officer
    data = HEADER + b"".join(_line(f"Name{n}", candidate_id=f"{1000000 + n}") for n in range(1000))

    _upload(client, data)

    job = EntryImport.objects.get()
    assert job.status == EntryImport.Status.REJECTED
    assert (len(job.errors), job.errors_more, job.problem_count) == (100, 900, 1000)
    refused = "column candidate_id: leave the Candidate ID empty: the portal issues a new one for every entry"
    assert job.errors[0] == f"line 2, {refused}"  # any given ID is refused alike (it is never looked up)
    assert job.errors[-1] == f"line 101, {refused}"
    page = client.get(f"/centre/imports/{job.public_id}/").content.decode()
    assert "1000 problems found: nothing was imported" in page
    assert page.count("<li>line ") == 100
    assert "…and 900 more problems" in page
    assert "line 102," not in page
    assert client.get(f"/centre/imports/{job.public_id}/status").json()["errors"] == 1000
    assert not Entry.objects.exists()


def test_the_problems_page_of_a_huge_bad_file_stays_small(officer: Any, session: ExamSession) -> None:
    client, _member = officer
    # 5 000 lines whose Candidate ID is 1 000 digits: 5 MB, every line bad, each problem quoting its value.
    data = HEADER + b"".join(_line(f"Name{n}", candidate_id=str(n) * (1000 // len(str(n)))) for n in range(1, 5001))
    assert len(data) > 5_000_000

    _upload(client, data)

    job = EntryImport.objects.get()
    assert (job.problem_count, len(job.errors)) == (5000, 100)
    assert len(str(job.errors)) < 40_000
    page = client.get(f"/centre/imports/{job.public_id}/")
    assert len(page.content) < 60_000
    assert "…and 4900 more problems" in page.content.decode()
