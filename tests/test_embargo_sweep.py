"""No result is visible anywhere before its release instant, and everywhere it belongs from that instant on.

One result with unmistakable values is set to be released at T. Every path that can show a result — the
candidate's dashboard, statement page and share page, the centre's results page, CSV, entry page and
paper copy, the verification form and API, the Statement PDF, the release emails — is asked at T − 1 second and at T.
"""

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from centres.tests.factories import DEFAULT_SECRET, EntryFactory, ExamSessionFactory, StaffMemberFactory
from conftest import otp_login
from results.models import Result
from results.services import results_release_due
from results.tests.factories import account_for, result_for

pytestmark = pytest.mark.django_db

GRADE = "Grade A"
SCORES = {"reading": 187, "use_of_english": 189, "writing": 183, "listening": 186, "speaking": 188}


@pytest.fixture
def world() -> dict[str, Any]:
    release = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    session = ExamSessionFactory(window_start=release, window_end=release + dt.timedelta(days=14))
    entry = EntryFactory(session=session)
    account = account_for(entry)
    result_for(
        entry, released_at=release, status=Result.Status.READY, scores=SCORES, grade=GRADE, overall=187, cefr="C1"
    )
    staff = StaffMemberFactory(centre=entry.centre)
    candidate = Client()
    candidate.force_login(account.user)
    return {
        "release": release,
        "entry": entry,
        "candidate": candidate,
        "centre": otp_login(Client(), staff.user),
    }


@pytest.fixture
def at() -> Iterator[Any]:
    """Freeze the clock: ``at(moment)`` makes every ``timezone.now()`` return ``moment``."""
    patcher: list[Any] = []

    def freeze(moment: dt.datetime) -> None:
        while patcher:
            patcher.pop().stop()
        patch = mock.patch("django.utils.timezone.now", return_value=moment)
        patch.start()
        patcher.append(patch)

    yield freeze
    while patcher:
        patcher.pop().stop()


def _ok(client: Client, url: str) -> bool:
    response = client.get(url)
    # The server closes a streamed file after sending it; the test client leaves that to us. Closing fires
    # request_finished, which must not close the test's database connection (as the test client does).
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    return response.status_code == 200


def _seen(world: dict[str, Any]) -> dict[str, bool]:
    """Return, for every path, whether the result's grade shows there."""
    entry = world["entry"]
    candidate, centre = world["candidate"], world["centre"]
    anonymous = Client()
    seen = {
        "dashboard": GRADE in candidate.get("/results/").content.decode(),
        "statement": candidate.get(f"/results/{entry.public_id}/").status_code == 200,
        "statement pdf": _ok(candidate, f"/results/{entry.public_id}/statement.pdf"),
        "share page": candidate.get(f"/results/{entry.public_id}/share/").status_code == 200,
        "centre results": GRADE in centre.get("/centre/results/").content.decode(),
        "centre entry": "Print a paper copy" in centre.get(f"/centre/entries/{entry.public_id}/").content.decode(),
        "centre paper copy": centre.get(f"/centre/entries/{entry.public_id}/results/").status_code == 200,
    }
    rows = list(csv.DictReader(io.StringIO(centre.get("/centre/results.csv").content.decode("utf-8-sig"))))
    seen["centre csv"] = any(row["result"] == GRADE or row["reading"] for row in rows)
    form = anonymous.post("/verify/", {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET})
    seen["verify form"] = GRADE in form.content.decode()
    api = anonymous.post(
        "/api/v1/verifications",
        data=json.dumps({"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET}),
        content_type="application/json",
    ).json()
    seen["api"] = any(r.get("overall_score") is not None or r.get("result") == GRADE for r in api["results"])
    return seen


def test_nothing_shows_a_second_early_and_everything_shows_at_the_instant(
    world: dict[str, Any], at: Any, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    release = world["release"]

    at(release - dt.timedelta(seconds=1))
    early = _seen(world)
    with django_capture_on_commit_callbacks(execute=True):
        released_early = results_release_due()
    emails_early = len(mail.outbox)

    at(release)
    on_time = _seen(world)
    with django_capture_on_commit_callbacks(execute=True):
        released = results_release_due()

    assert not any(early.values()), {path: shown for path, shown in early.items() if shown}
    assert released_early == 0 and emails_early == 0
    assert all(on_time.values()), {path: shown for path, shown in on_time.items() if not shown}
    assert released == 1 and len(mail.outbox) == 1
    assert GRADE not in mail.outbox[0].body and not re.search(r"\b187\b", mail.outbox[0].body)


def test_a_held_result_stays_hidden_after_the_instant(world: dict[str, Any], at: Any) -> None:
    Result.objects.update(status=Result.Status.HELD, released_at=None, centre_released_at=None)

    at(world["release"] + dt.timedelta(days=1))

    assert not any(_seen(world).values())
