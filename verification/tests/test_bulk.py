"""Bulk verification: a CSV checked by a task, row by row through the guard, output sealed, purged."""

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from centres.tests.factories import DEFAULT_SECRET
from results_portal.tests.formula_cells import BOM_BYTES, FORMULA_CELLS
from verification import services, tasks
from verification.models import BulkVerification, Verification
from verification.services import BULK_OUTPUT_COLUMNS, bulk_verifications_purge

from .conftest import organisation, pending_entry, released_entry, unreleased_entry

pytestmark = pytest.mark.django_db

WRONG = "0000" if DEFAULT_SECRET != "0000" else "1111"


def _upload(client: Client, text: str, name: str = "applicants.csv") -> Any:
    return client.post("/verify/organisations/bulk/", {"file": SimpleUploadedFile(name, text.encode("utf-8"))})


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_mixed_rows_give_one_line_each_in_the_sealed_output(org_client: Client) -> None:
    released, pending, unreleased = released_entry(), pending_entry(), unreleased_entry()
    text = (
        "Candidate_ID,Secret_Number\n"
        f"{released.candidate_id.lower()},{DEFAULT_SECRET}\n"
        f"{pending.candidate_id},{DEFAULT_SECRET}\n"
        f"{unreleased.candidate_id},{DEFAULT_SECRET}\n"
        f"{released.candidate_id},{WRONG}\n"
        f"ZZZ999999,{DEFAULT_SECRET}\n"
    )

    response = _upload(org_client, text)

    job = BulkVerification.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/verify/organisations/bulk/{job.public_id}/"
    assert job.status == "done" and job.source_sealed == "" and job.output_sealed
    assert released.person.full_name.encode() not in job.output_sealed.encode()  # sealed, not clear
    detail = org_client.get(response["Location"]).content.decode()
    assert 'data-finished="true"' in detail and "Download the results (CSV)" in detail
    download = org_client.get(f"/verify/organisations/bulk/{job.public_id}/results.csv")
    assert download["Content-Disposition"] == 'attachment; filename="applicants.verified.csv"'
    rows = _rows(download.content.decode())
    assert list(rows[0]) == list(BULK_OUTPUT_COLUMNS)
    assert [(r["candidate_id"], r["status"]) for r in rows] == [
        (released.candidate_id, "verified"),
        (pending.candidate_id, "pending"),
        (unreleased.candidate_id, "not_yet_released"),
        (released.candidate_id, "not_found"),
        ("ZZZ999999", "not_found"),
    ]
    assert rows[0] | {} == {
        "candidate_id": released.candidate_id,
        "status": "verified",
        "name": released.person.full_name,
        "exam_code": "FCE",
        "exam_name": "B2 First",
        "session_date": released.session.date.isoformat(),
        "result": "Grade B",
        "overall_score": "176",
        "cefr_level": "B2",
        "reading": "176",
        "use_of_english": "181",
        "writing": "169",
        "listening": "172",
        "speaking": "180",
    }
    assert rows[1]["result"] == "Q" and rows[1]["overall_score"] == "" and rows[1]["name"] == pending.person.full_name
    assert rows[3]["name"] == "" and rows[3]["result"] == ""
    assert job.counts == {"verified": 1, "pending": 1, "not_yet_released": 1, "not_found": 2}
    audited = Verification.objects.filter(channel="bulk", organisation=org_client.organisation)
    assert audited.count() == 3


def test_rows_past_the_networks_limit_are_throttled(org_client: Client, settings: Any) -> None:
    settings.GUARD_IP_FAILURES = 1  # times the organisation's allowance of 10
    entry = released_entry()
    lines = [f"BAD{n},{WRONG}" for n in range(11)] + [f"{entry.candidate_id},{DEFAULT_SECRET}"]

    _upload(org_client, "candidate_id,secret_number\n" + "\n".join(lines) + "\n")

    job = BulkVerification.objects.get()
    statuses = [row["status"] for row in _rows(services.bulk_output(job=job) or "")]
    assert statuses == ["not_found"] * 10 + ["throttled", "throttled"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("\n\n", "line 1: the file is empty"),
        ("candidate_id\nABC1\n", "line 1, column secret_number: this column is missing from the header"),
        ("candidate_id,secret_number,name\nA1,1234,x\n", "line 1, column name: unknown column"),
        ("candidate_id,secret_number\nABC 1,1234\n", "line 2, column candidate_id: 'ABC 1' is not a Candidate ID"),
        ("candidate_id,secret_number\nABC1,482\n", "line 2, column secret_number: '…' is not a secret number"),
        ("candidate_id,secret_number\nABC1,1234\n,1234\n", "line 3, column candidate_id: '' is not a Candidate ID"),
        ("candidate_id,secret_number\nABC1,1234,9\n", "line 2: the line has 3 values but the header has 2 columns"),
    ],
)
def test_a_bad_file_lists_line_and_column_and_checks_nothing(org_client: Client, text: str, problem: str) -> None:
    response = _upload(org_client, text)

    assert response.status_code == 400
    assert problem in response.content.decode().replace("&#x27;", "'")
    assert not BulkVerification.objects.exists()


def test_too_many_rows_is_refused(org_client: Client, settings: Any) -> None:
    settings.VERIFICATION_BULK_MAX_ROWS = 3
    text = "candidate_id,secret_number\n" + "".join(f"A{n},1234\n" for n in range(4))

    response = _upload(org_client, text)

    assert "line 5: the file has more than 3 lines below the header: split it into smaller files" in (
        response.content.decode()
    )
    assert not BulkVerification.objects.exists()


def test_a_file_that_is_not_utf8_is_refused(org_client: Client) -> None:
    response = org_client.post(
        "/verify/organisations/bulk/", {"file": SimpleUploadedFile("x.csv", "candidate_id\nÉ".encode("latin-1"))}
    )

    assert "not UTF-8" in response.content.decode()


def test_progress_json_has_the_shape_progress_js_reads(org_client: Client) -> None:
    org = org_client.organisation
    job = BulkVerification.objects.create(
        organisation=org,
        filename="x.csv",
        total=200,
        status="running",
        started_at=timezone.now() - dt.timedelta(seconds=10),
    )
    from django.core.cache import cache

    cache.set(tasks.progress_key(job.pk), (50, 200), 60)

    progress = org_client.get(f"/verify/organisations/bulk/{job.public_id}/status").json()

    assert progress["done"] == 50 and progress["total"] == 200 and progress["percent"] == 25
    assert progress["finished"] is False and progress["status_label"] == "Checking"
    assert set(progress) == {
        "status",
        "status_label",
        "done",
        "total",
        "percent",
        "seconds_left",
        "eta_text",
        "finished",
        "succeeded",
        "errors",
    }
    page = org_client.get(f"/verify/organisations/bulk/{job.public_id}/").content.decode()
    assert f'data-status-url="/verify/organisations/bulk/{job.public_id}/status"' in page
    assert "js/progress.js" in page


def test_another_organisations_check_is_a_404(org_client: Client) -> None:
    theirs = BulkVerification.objects.create(organisation=organisation(name="Other"), filename="t.csv")

    for suffix in ("", "status", "results.csv"):
        assert org_client.get(f"/verify/organisations/bulk/{theirs.public_id}/{suffix}").status_code == 404


def test_a_redelivered_task_does_nothing(org_client: Client) -> None:
    entry = released_entry()
    _upload(org_client, f"candidate_id,secret_number\n{entry.candidate_id},{DEFAULT_SECRET}\n")
    job = BulkVerification.objects.get()

    tasks.bulk_verification_run(job_id=job.pk)

    assert Verification.objects.filter(channel="bulk").count() == 1


def test_results_are_purged_after_seven_days(org_client: Client) -> None:
    entry = released_entry()
    _upload(org_client, f"candidate_id,secret_number\n{entry.candidate_id},{DEFAULT_SECRET}\n")
    job = BulkVerification.objects.get()

    assert bulk_verifications_purge(now=timezone.now() + dt.timedelta(days=6)) == 0
    assert tasks.bulk_verifications_purge() == 0
    assert bulk_verifications_purge(now=timezone.now() + dt.timedelta(days=8)) == 1

    job.refresh_from_db()
    assert job.output_sealed == "" and job.output_purged_at is not None
    assert org_client.get(f"/verify/organisations/bulk/{job.public_id}/results.csv").status_code == 404
    assert "were deleted" in org_client.get(f"/verify/organisations/bulk/{job.public_id}/").content.decode()


@pytest.mark.parametrize(("first_name", "cell"), FORMULA_CELLS)
def test_a_name_that_looks_like_a_formula_is_neutralised(org_client: Client, first_name: str, cell: str) -> None:
    entry = released_entry(person__first_name=first_name, person__last_name="Smith")

    _upload(org_client, f"candidate_id,secret_number\n{entry.candidate_id},{DEFAULT_SECRET}\n")
    job = BulkVerification.objects.get()
    download = org_client.get(f"/verify/organisations/bulk/{job.public_id}/results.csv")

    assert download.content.startswith(BOM_BYTES)
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"), newline="")))
    assert [(r["candidate_id"], r["status"], r["name"]) for r in rows] == [
        (entry.candidate_id, "verified", cell + " Smith")
    ]


def test_a_failing_task_marks_the_check_failed(org_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "bulk_check", explode)

    _upload(org_client, "candidate_id,secret_number\nA1,1234\n")

    job = BulkVerification.objects.get()
    assert job.status == "failed" and job.source_sealed == ""
    assert "failed unexpectedly" in org_client.get(f"/verify/organisations/bulk/{job.public_id}/").content.decode()


def test_a_check_whose_worker_died_is_marked_failed(org_client: Client) -> None:
    job = BulkVerification.objects.create(
        organisation=org_client.organisation,
        filename="x.csv",
        status="running",
        started_at=timezone.now() - dt.timedelta(hours=3),
        source_sealed="sealed",
    )
    recent = BulkVerification.objects.create(
        organisation=org_client.organisation, filename="y.csv", status="running", started_at=timezone.now()
    )

    tasks.bulk_verifications_purge()

    job.refresh_from_db()
    recent.refresh_from_db()
    assert (job.status, job.source_sealed) == ("failed", "")
    assert recent.status == "running"
