"""``import_results`` on files that are too large, not CSV text, or full of bad lines: its own, larger limits."""

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from results.imports import RESULT_COLUMNS
from results.models import Result

pytestmark = pytest.mark.django_db

HEADER = (",".join(RESULT_COLUMNS) + "\n").encode()
NOT_CSV_TEXT = (
    "this line holds the control character U+0000, so the file is not CSV text (a spreadsheet's .xlsx file, "
    "for example): from a spreadsheet, save it as 'CSV UTF-8'"
)


def run_failing(path: Path) -> tuple[str, list[str]]:
    stderr = io.StringIO()
    with pytest.raises(CommandError) as exc_info:
        call_command("import_results", str(path), stdout=io.StringIO(), stderr=stderr)
    return str(exc_info.value), stderr.getvalue().splitlines()


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "results.csv"
    path.write_bytes(data)
    return path


def lines(count: int, candidate_id: str = "ZZZ999999") -> bytes:
    return b"".join(b"%s,FCE,2027-06-12,reading,%d\n" % (candidate_id.encode(), n % 190) for n in range(count))


def test_a_nul_byte_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + lines(2) + b"ZZZ99\x009999,FCE,2027-06-12,reading,170\n")

    message, stderr = run_failing(path)

    assert (message, stderr) == ("1 problem found; nothing was written.", [f"line 4: {NOT_CSV_TEXT}"])
    assert not Result.objects.exists()


def test_invalid_utf8_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + lines(1) + b"ZZZ\xe9,FCE,2027-06-12,reading,170\n")

    _message, stderr = run_failing(path)

    assert stderr == [
        "line 3: the file is not UTF-8 text from this line on: from a spreadsheet, save it as 'CSV UTF-8'"
    ]


def test_the_results_file_has_its_own_line_limit(tmp_path: Path, settings: Any) -> None:
    settings.CSV_MAX_LINES, settings.RESULTS_CSV_MAX_LINES = 2, 4
    path = write(tmp_path, HEADER + lines(5))

    _message, stderr = run_failing(path)

    assert stderr == ["line 6: the file has more than 4 lines below the header: split it into smaller files"]


def test_a_results_file_within_its_line_limit_is_checked_line_by_line(tmp_path: Path, settings: Any) -> None:
    settings.CSV_MAX_LINES, settings.RESULTS_CSV_MAX_LINES = 2, 4
    path = write(tmp_path, HEADER + lines(4))

    message, stderr = run_failing(path)

    assert message == "4 problems found; nothing was written."
    assert stderr[0] == "line 2, column candidate_id: unknown Candidate ID ZZZ999999"


def test_the_results_file_has_its_own_byte_limit(tmp_path: Path, settings: Any) -> None:
    data = HEADER + lines(3)
    settings.CSV_MAX_BYTES, settings.RESULTS_CSV_MAX_BYTES = 10, len(data) - 1
    path = write(tmp_path, data)

    _message, stderr = run_failing(path)

    assert stderr == [f"the file is larger than {len(data) - 1}\xa0bytes: split it into smaller files"]


def test_a_file_with_1000_bad_lines_lists_100_and_counts_900_more(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + lines(1000))

    message, stderr = run_failing(path)

    assert message == "1000 problems found; nothing was written."
    assert len(stderr) == 101
    assert stderr[99] == "line 101, column candidate_id: unknown Candidate ID ZZZ999999"
    assert stderr[100] == "…and 900 more problems"
