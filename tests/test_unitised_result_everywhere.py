"""A unitised result reads the same in every list and answer (docs/domain.md §4.1, §8.6; results.presentation).

Two students of one June series, after the candidates' release: one with a certification entry whose
qualification result is incomplete (no result yet for F242), shown 'Q' with its reason as the centre's unitised
pages show it, never a blank; one without a certification entry, shown as unit results only.
"""

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape

import pytest
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.backends import USER_WITH_ACCOUNT
from centres.models import Entry
from centres.services import certification_entry_create, unit_entries_set
from centres.tests.factories import DEFAULT_SECRET, EntryFactory, StaffMemberFactory
from conftest import CommittingClient, otp_login
from results.imports import RESULT_COLUMNS, results_import
from results.models import Result
from results.services import result_hold
from results.tests.factories import UK, account_for, unitised_qualification, unitised_series

pytestmark = pytest.mark.django_db

BEFORE_RESULTS = dt.datetime(2026, 8, 1, 9, 0, tzinfo=UK)
RESULTS_WEEK = dt.datetime(2026, 8, 20, 10, 0, tzinfo=UK)
INCOMPLETE = "Q — incomplete: no result yet for F242"
UNIT_ONLY = "Unit results only (no certification entry)"
HOLD_REASON = "Malpractice investigation, your centre was told on 3 August"


@dataclass
class Students:
    cashed_in: Entry  # F240, F241 and F242 entered, F242 without a result, certification entry made
    units_only: Entry  # F240 only, no certification entry
    centre: Client


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _row(html: str, candidate_id: str) -> str:
    row = re.search(rf"<tr>(?:(?!</tr>).)*{candidate_id}(?:(?!</tr>).)*</tr>", html, re.S)
    assert row is not None, candidate_id
    return _text(row.group(0))


def _dd(html: str, label: str) -> str:
    found = re.search(rf"<dt>{label}</dt>\s*<dd[^>]*>(.*?)</dd>", html, re.S)
    assert found is not None, label
    return _text(found.group(1))


@pytest.fixture
def students(at: Callable[[dt.datetime], None]) -> Students:
    exam = unitised_qualification()
    exam.verifiable_online = True  # as the board may set it, so that verifiers see the result
    exam.save(update_fields=["verifiable_online"])
    june = unitised_series(exam, month=6)
    cashed_in = EntryFactory(session=june)
    units_only = EntryFactory(session=june, person__centre=cashed_in.centre, centre=cashed_in.centre)
    unit_entries_set(entry=cashed_in, unit_codes=["F240", "F241", "F242"], actor=None)
    unit_entries_set(entry=units_only, unit_codes=["F240"], actor=None)
    lines = [",".join(RESULT_COLUMNS)] + [
        f"{entry.candidate_id},{exam.code},{june.date},{unit},{raw}"
        for entry, unit, raw in [(cashed_in, "F240", 45), (cashed_in, "F241", 8), (units_only, "F240", 45)]
    ]
    results_import(text="\n".join(lines) + "\n", now=BEFORE_RESULTS)
    certification_entry_create(entry=cashed_in, actor=None, now=BEFORE_RESULTS)
    result = Result.objects.get(entry=cashed_in)
    assert (result.grade, (result.qualification or {}).get("missing")) == ("", ["F242"])
    at(RESULTS_WEEK)
    member = StaffMemberFactory(centre=cashed_in.centre)
    return Students(cashed_in, units_only, otp_login(CommittingClient(), member.user))


def test_the_centre_results_list_and_csv(students: Students) -> None:
    html = students.centre.get("/centre/results/").content.decode()
    response = students.centre.get("/centre/results.csv")

    assert INCOMPLETE in _row(html, students.cashed_in.candidate_id)
    assert UNIT_ONLY in _row(html, students.units_only.candidate_id)
    rows = {r["candidate_id"]: r for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert rows[students.cashed_in.candidate_id]["result"] == "Q"
    assert rows[students.units_only.candidate_id]["result"] == "Unit results only"


def test_the_centre_results_list_tells_a_held_unitised_result_from_the_restricted_release(
    students: Students, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    # As the unitised results page: 'Q' with the reason the board gave, from the centre's release instant (here
    # the restricted release, 12 August), not only after the window's end (30 September).
    held = EntryFactory(session=students.cashed_in.session, centre=students.cashed_in.centre)
    unit_entries_set(entry=held, unit_codes=["F240"], actor=None)
    results_import(
        text=f"{','.join(RESULT_COLUMNS)}\n{held.candidate_id},ANBUS,{held.session.date},F240,45\n", now=BEFORE_RESULTS
    )
    with django_capture_on_commit_callbacks(execute=True):
        result_hold(result=Result.objects.get(entry=held), actor=None, reason="audit: malpractice")
    Result.objects.filter(entry=held).update(hold_reason=HOLD_REASON)  # what the centre is told

    html = students.centre.get("/centre/results/").content.decode()
    response = students.centre.get("/centre/results.csv")

    rows = {r["candidate_id"]: r for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}

    assert _row(html, held.candidate_id).endswith(f"Q — pending: {HOLD_REASON}")
    assert (rows[held.candidate_id]["status"], rows[held.candidate_id]["result"]) == ("pending", "Q")


def test_the_certificate_desk_list_and_entry_page(students: Students) -> None:
    html = students.centre.get("/centre/certificates/").content.decode()
    entry_page = students.centre.get(f"/centre/certificates/entries/{students.cashed_in.public_id}/")

    assert INCOMPLETE in _row(html, students.cashed_in.candidate_id)
    assert UNIT_ONLY in _row(html, students.units_only.candidate_id)
    assert _dd(entry_page.content.decode(), "Result") == INCOMPLETE


def test_the_centre_paper_copy(students: Students) -> None:
    html = students.centre.get(f"/centre/entries/{students.cashed_in.public_id}/results/").content.decode()

    assert INCOMPLETE in _text(html)


@pytest.mark.parametrize(("which", "shown"), [("cashed_in", INCOMPLETE), ("units_only", UNIT_ONLY)])
def test_the_candidate_dashboard_and_statement_page(students: Students, which: str, shown: str) -> None:
    entry = getattr(students, which)
    client = Client()
    client.force_login(account_for(entry).user, backend=USER_WITH_ACCOUNT)

    dashboard = client.get("/results/").content.decode()
    statement = client.get(f"/results/{entry.public_id}/").content.decode()

    assert _dd(dashboard, "Your result") == shown
    assert _dd(statement, "Your result") == shown


@pytest.mark.parametrize(
    ("which", "shown", "awarded"),
    [("cashed_in", INCOMPLETE, "Q"), ("units_only", UNIT_ONLY, "Unit results only")],
)
def test_the_verification_form_and_api(students: Students, which: str, shown: str, awarded: str) -> None:
    entry = getattr(students, which)
    details = {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET}

    form = Client().post("/verify/", details).content.decode()
    api = Client().post("/api/v1/verifications", data=json.dumps(details), content_type="application/json")

    assert _dd(form, "Result") == shown
    (result,) = api.json()["results"]
    assert (result["status"], result["result"]) == ("released", awarded)
