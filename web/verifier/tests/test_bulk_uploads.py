"""Bulk verification uploads (open to any organisation): limits, text that is not CSV, and a capped problem list."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from verification.models import BulkVerification

pytestmark = pytest.mark.django_db

HEADER = b"candidate_id,secret_number\n"


def _upload(client: Client, data: bytes) -> Any:
    return client.post("/verify/organisations/bulk/", {"file": SimpleUploadedFile("applicants.csv", data)})


def test_a_nul_byte_is_refused_naming_its_line(org_client: Client) -> None:
    response = _upload(org_client, HEADER + b"ABC123,1234\nABC\x00124,1234\n")

    assert "line 3: this line holds the control character U+0000" in response.content.decode()
    assert not BulkVerification.objects.exists()


def test_a_file_that_is_not_utf8_is_refused_naming_its_line(org_client: Client) -> None:
    response = _upload(org_client, HEADER + b"ABC123,1234\n\xe9ABC124,1234\n")

    assert "line 3: the file is not UTF-8 text from this line on" in response.content.decode()
    assert not BulkVerification.objects.exists()


def test_a_file_over_one_megabyte_is_refused(org_client: Client) -> None:
    data = HEADER + b"ABC123,1234\n" * 90_000

    response = _upload(org_client, data)

    assert "the file is larger than 1.0\xa0MB: split it into smaller files" in response.content.decode()
    assert not BulkVerification.objects.exists()


def test_a_line_over_csv_max_columns_is_refused(org_client: Client, settings: Any) -> None:
    settings.CSV_MAX_COLUMNS = 3

    response = _upload(org_client, HEADER + b"ABC123,1234\nABC124,1234,,,\n")

    assert response.status_code == 400
    assert "line 3: this line has more than 3 values: a file has at most 3 columns" in response.content.decode()
    assert not BulkVerification.objects.exists()


def test_a_many_column_file_of_nearly_one_megabyte_gives_a_small_page(org_client: Client) -> None:
    header = b"candidate_id,secret_number" + b",x" * 450_000 + b"\n"
    assert 900_000 < len(header) < 1024 * 1024

    response = _upload(org_client, header + b"ABC123,1234\n")

    assert response.status_code == 400
    page = response.content.decode()
    assert "1 problem found: nothing was checked" in page
    assert "line 1: this line has more than 50 values: a file has at most 50 columns" in page
    assert len(response.content) < 30_000


def test_a_file_with_1000_bad_lines_shows_100_and_900_more(org_client: Client) -> None:
    data = HEADER + b"".join(b"A-%d,1234\n" % n for n in range(1000))

    response = _upload(org_client, data)

    page = response.content.decode().replace("&#x27;", "'")
    assert "1000 problems found: nothing was checked" in page
    assert page.count("<li>line ") == 100
    assert "<li>line 2, column candidate_id: 'A-0' is not a Candidate ID" in page
    assert "<li>line 101, column candidate_id: 'A-99' is not a Candidate ID" in page
    assert "line 102," not in page
    assert "…and 900 more problems" in page
    assert not BulkVerification.objects.exists()


def test_the_problems_page_of_a_huge_bad_file_stays_small(org_client: Client) -> None:
    # The most lines a bulk check takes, every one bad twice over: 10 000 problems.
    data = HEADER + b"".join(b"%s,12345678901234567890\n" % (b"!" * 150) for _ in range(5000))
    assert len(data) > 850_000

    response = _upload(org_client, data)

    assert response.status_code == 400
    assert "…and 9900 more problems" in response.content.decode()
    assert len(response.content) < 60_000
