"""Results uploaded in the admin: a dry run (preview beside last year), then the import on a second click."""

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from centres.tests.factories import EntryFactory, ExamSessionFactory
from results.models import Result, ResultEvent, ResultsUpload
from results.tests.factories import account_for, result_for
from results.tests.test_import_release import _csv
from results.uploads import results_dry_run
from results_portal.csvimport import ImportRejected

pytestmark = pytest.mark.django_db


@pytest.fixture
def sessions() -> dict[str, Any]:
    """This year's FCE session (window open) with three entries, and last year's with four results: 3 A, 1 B."""
    today = timezone.localdate()
    now = ExamSessionFactory(date=today - dt.timedelta(days=40), mode="paper")
    before = ExamSessionFactory(date=now.date - dt.timedelta(days=364), mode="paper")
    for grade in ("Grade A", "Grade A", "Grade A", "Grade B"):
        result_for(
            EntryFactory(session=before),
            released_at=timezone.now() - dt.timedelta(days=300),
            grade=grade,
            overall=185 if grade == "Grade A" else 176,
        )
    entries = [EntryFactory(session=now) for _ in range(3)]
    for entry in entries:
        account_for(entry)
    return {"now": now, "before": before, "entries": entries}


def test_the_dry_run_counts_and_compares_but_writes_nothing(
    sessions: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    first, second, third = sessions["entries"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        preview = results_dry_run(text=_csv(first, second))

    assert callbacks == [] and mail.outbox == []
    assert not Result.objects.filter(entry__session=sessions["now"]).exists()
    assert not ResultEvent.objects.exists()
    assert preview["summary"] == {"created": 2, "replaced": 0, "amended": 0, "unchanged": 0}
    [session] = preview["sessions"]
    assert (session["total"], session["last_total"]) == (2, 4)
    assert session["rows"] == [
        {"grade": "Grade A", "count": 0, "share": 0.0, "last_count": 3, "last_share": 75.0},
        {"grade": "Grade B", "count": 2, "share": 100.0, "last_count": 1, "last_share": 25.0},
    ]
    assert (session["missing"], session["missing_ids"]) == (1, [third.candidate_id])
    name, last = str(sessions["now"]), str(sessions["before"])
    assert preview["unusual"] == [
        f"{name}: Grade A is 0.0% of results, 75.0% in {last} (-75.0 points)",
        f"{name}: Grade B is 100.0% of results, 25.0% in {last} (+75.0 points)",
        f"{name}: 1 entered candidate(s) still without a result",
    ]


def test_the_dry_run_rejects_as_the_import_does(sessions: dict[str, Any]) -> None:
    entry = sessions["entries"][0]

    with pytest.raises(ImportRejected) as rejected:
        results_dry_run(text=_csv(entry).replace(",176\n", ",abc\n"))

    assert [str(e) for e in rejected.value.errors] == ["line 2, column score: 'abc' is not a whole number"]


def _upload(client: Client, text: str, capture: Any) -> Any:
    file = SimpleUploadedFile("june.csv", text.encode(), content_type="text/csv")
    with capture(execute=True):
        response = client.post("/admin/results/result/upload/", {"file": file})
    assert response.status_code == 302, response.content.decode()[:500]
    return client.get(response["Location"])


def test_board_staff_check_then_import_in_two_clicks(
    board_client: Client, sessions: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    entries = sessions["entries"]
    assert 'href="/admin/results/result/upload/"' in board_client.get("/admin/results/result/").content.decode()

    preview = _upload(board_client, _csv(*entries), django_capture_on_commit_callbacks)
    page = preview.content.decode()
    upload = ResultsUpload.objects.get()

    assert upload.status == "previewed" and not Result.objects.filter(entry__session=sessions["now"]).exists()
    assert "3 results created, 0 replaced before release, 0 amended after release" in page
    assert "Grade B is 100.0% of results, 25.0% in" in page
    assert "<svg" in page and "Import these results" in page

    url = f"/admin/results/result/upload/{upload.public_id}/import/"
    with django_capture_on_commit_callbacks(execute=True):
        done = board_client.post(url, follow=True)
    again = board_client.post(url)

    assert Result.objects.filter(entry__session=sessions["now"]).count() == 3
    assert "Imported by board@example.org:</strong>\n  3 results created" in done.content.decode()
    upload.refresh_from_db()
    assert (upload.status, upload.source, upload.imported_by.email) == ("done", "", "board@example.org")
    assert again.status_code == 404  # the second click works once


def test_a_rejected_upload_names_every_bad_line_and_imports_nothing(
    board_client: Client, sessions: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    first, second, _ = sessions["entries"]
    text = _csv(first, second).replace(",176\n", ",abc\n")

    page = _upload(board_client, text, django_capture_on_commit_callbacks).content.decode()

    assert "2 problems found; nothing was written." in page
    assert page.count("column score: &#x27;abc&#x27; is not a whole number") == 2
    assert "Import these results" not in page
    assert ResultsUpload.objects.get().source == ""


def test_uploading_results_needs_the_permission(client: Client) -> None:
    from accounts.tests.factories import UserFactory
    from conftest import otp_login

    otp_login(client, UserFactory(username="viewer@example.org", is_staff=True))

    assert client.get("/admin/results/result/upload/").status_code == 403
