"""Absent, pending and withheld results read the same everywhere (docs/domain.md §4.2, §4.3; results.presentation).

Scale-score exams: X (absent from part of the exam), Z (absent from all of it), Pending (result to follow) and
Withheld, from the results file's ``status`` column, on the candidate's statement page and PDF, the verifier's form
and API and the centre's results CSV. Unitised qualifications: '#' after a grade worked out with an absent unit
counted at 0 UMS, X for a certification entry whose units entered are not a valid combination, Q while a unit has
no result yet.
"""

import csv
import datetime as dt
import io
import json
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from accounts.backends import USER_WITH_ACCOUNT
from centres.models import Entry
from centres.services import certification_entry_create, unit_entries_set
from centres.tests.factories import DEFAULT_SECRET, EntryFactory, ExamSessionFactory, StaffMemberFactory
from certificates import services as documents
from certificates.models import Document
from certificates.tests.factories import pdf_text, stored_pdf
from conftest import CommittingClient, otp_login
from results.imports import RESULT_COLUMNS, results_import
from results.models import ComponentScore, Result
from results.tests.factories import UK, account_for, unitised_qualification, unitised_series
from tests.test_unitised_result_everywhere import _dd, _text

pytestmark = pytest.mark.django_db

HEADER = ",".join([*RESULT_COLUMNS, "status"])
FCE = ("reading", "use_of_english", "writing", "listening", "speaking")
SCORES = {"reading": 176, "use_of_english": 181, "writing": 169, "listening": 172, "speaking": 180}

# What each output shows, typed in from docs/domain.md §4.2 (not computed with the code under test).
SHOWN = {
    "X": "X — absent from part of the exam",
    "Z": "Z — absent from all of the exam",
    "Pending": "Pending — result to follow",
    "Withheld": "Withheld — result withheld: your centre can tell you why",
}


def _lines(entry: Entry, statuses: dict[str, str]) -> list[str]:
    return [
        f"{entry.candidate_id},FCE,{entry.session.date},{skill},"
        + (f",{statuses[skill]}" if skill in statuses else f"{SCORES[skill]},")
        for skill in FCE
    ]


@pytest.fixture
def entries() -> dict[str, Entry]:
    """Four FCE candidates of one session whose release window opened yesterday, imported with statuses."""
    session = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=36), mode="paper")
    by_result: dict[str, Entry] = {name: EntryFactory.create(session=session) for name in SHOWN}
    lines = [
        HEADER,
        *_lines(by_result["X"], {"listening": "absent"}),
        *_lines(by_result["Z"], dict.fromkeys(FCE, "absent")),
        f"{by_result['Pending'].candidate_id},FCE,{session.date},reading,,pending",
        f"{by_result['Withheld'].candidate_id},FCE,{session.date},speaking,,Withheld",
    ]
    summary = results_import(text="\n".join(lines) + "\n")
    assert summary.created == 4
    return by_result


def test_the_import_stores_the_indicator_and_no_overall_score(entries: dict[str, Entry]) -> None:
    results = {name: Result.objects.get(entry=entry) for name, entry in entries.items()}

    for name, result in results.items():
        assert (result.grade, result.overall_score, result.cefr_level, result.certificate) == (name, None, "", False)
    # The board gives no score per paper with these results, not even for the papers sat.
    assert not ComponentScore.objects.filter(result__in=results.values()).exists()


@pytest.mark.parametrize("name", list(SHOWN))
def test_the_candidate_statement_page(entries: dict[str, Entry], name: str) -> None:
    entry = entries[name]
    client = Client()
    client.force_login(account_for(entry).user, backend=USER_WITH_ACCOUNT)

    html = client.get(f"/results/{entry.public_id}/").content.decode()

    assert _dd(html, "Your result") == SHOWN[name]
    assert _dd(html, "Your overall score") == "—"  # no overall score is made up
    assert "Listening" not in _text(html).split("What do the scores mean?")[0]  # no paper scores
    if name == "X":
        assert "you were absent from part of the exam, so no result can be given" in _text(html)


@pytest.mark.parametrize("name", ["X", "Withheld"])
def test_the_statement_pdf(entries: dict[str, Entry], name: str) -> None:
    result = Result.objects.get(entry=entries[name])

    documents.documents_render_for_results(result_ids=[result.pk])

    kinds = {d.kind: d for d in Document.objects.filter(result=result, status=Document.Status.CURRENT)}
    assert Document.Kind.CERTIFICATE not in kinds
    text = pdf_text(stored_pdf(kinds[Document.Kind.STATEMENT]))
    assert SHOWN[name] in text
    assert "Reading 176" not in text


@pytest.mark.parametrize("name", list(SHOWN))
def test_the_verification_form_and_api(entries: dict[str, Entry], name: str) -> None:
    details = {"candidate_id": entries[name].candidate_id, "secret_number": DEFAULT_SECRET}

    form = Client().post("/verify/", details).content.decode()
    api = Client().post("/api/v1/verifications", data=json.dumps(details), content_type="application/json")

    assert _dd(form, "Result") == SHOWN[name]
    (result,) = api.json()["results"]
    assert (result["status"], result["result"], result["overall_score"]) == ("released", name, None)


def test_the_centre_results_csv(entries: dict[str, Entry]) -> None:
    member = StaffMemberFactory(centre=entries["X"].centre)
    for entry in entries.values():
        Entry.objects.filter(pk=entry.pk).update(centre=member.centre)
    client = otp_login(CommittingClient(), member.user)

    response = client.get("/centre/results.csv")

    rows = {r["candidate_id"]: r for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}
    for name, entry in entries.items():
        row = rows[entry.candidate_id]
        assert (row["status"], row["result"], row["overall_score"], row["cefr_level"]) == ("released", name, "", "")
    x_row = rows[entries["X"].candidate_id]
    assert (x_row["reading"], x_row["listening"]) == ("", "")


# --- Unitised: '#', X and Q (docs/domain.md §4.3) ----------------------------------------------------------------
BEFORE_EXAM = dt.datetime(2026, 5, 1, 9, 0, tzinfo=UK)
BEFORE_RESULTS = dt.datetime(2026, 8, 1, 9, 0, tzinfo=UK)
RESULTS_WEEK = dt.datetime(2026, 8, 20, 10, 0, tzinfo=UK)


def test_unitised_partial_absence_wrong_combination_and_pending(at: Callable[[dt.datetime], None]) -> None:
    exam = unitised_qualification()
    exam.verifiable_online = True
    exam.save(update_fields=["verifiable_online"])
    june = unitised_series(exam, month=6)
    absent = EntryFactory(session=june)
    dropped = EntryFactory(session=june, person__centre=absent.centre, centre=absent.centre)
    waiting = EntryFactory(session=june, person__centre=absent.centre, centre=absent.centre)
    for entry in (absent, dropped, waiting):
        unit_entries_set(entry=entry, unit_codes=["F240", "F241", "F242"], actor=None, now=BEFORE_EXAM)
        certification_entry_create(entry=entry, actor=None, now=BEFORE_EXAM)
    # The mandatory F241 withdrawn after the cash-in: the units entered are no longer a valid combination.
    unit_entries_set(entry=dropped, unit_codes=["F240", "F242"], actor=None, now=BEFORE_EXAM)
    lines = [
        HEADER,
        # F240 60/60 → 100 UMS, F241 absent → 0 UMS, F242 60/60 → 100 UMS: 200 of 300, Merit (165–209), with '#'.
        f"{absent.candidate_id},ANBUS,{june.date},F240,60,",
        f"{absent.candidate_id},ANBUS,{june.date},F241,,absent",
        f"{absent.candidate_id},ANBUS,{june.date},F242,60,",
        f"{dropped.candidate_id},ANBUS,{june.date},F240,60,",
        f"{dropped.candidate_id},ANBUS,{june.date},F242,60,",
        f"{waiting.candidate_id},ANBUS,{june.date},F240,60,",
        f"{waiting.candidate_id},ANBUS,{june.date},F241,,pending",
        f"{waiting.candidate_id},ANBUS,{june.date},F242,60,",
    ]
    results_import(text="\n".join(lines) + "\n", now=BEFORE_RESULTS)
    at(RESULTS_WEEK)

    f241 = ComponentScore.objects.get(result__entry=absent, component__code="F241")
    assert (f241.score, f241.ums, f241.absent) == (0, 0, True)
    shown = {
        absent: ("Merit #", "Merit # — partial absence: F241 counted 0 UMS"),
        dropped: ("X", "X — no result: the units entered are not a valid combination (F241 not entered)"),
        waiting: ("Q", "Q — incomplete: no result yet for F241"),
    }
    assert Result.objects.get(entry=absent).overall_score == 200
    member = StaffMemberFactory(centre=absent.centre)
    centre = otp_login(CommittingClient(), member.user)
    rows = {
        r["candidate_id"]: r
        for r in csv.DictReader(io.StringIO(centre.get("/centre/results.csv").content.decode("utf-8-sig")))
    }
    for entry, (awarded, words) in shown.items():
        details = {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET}
        api = Client().post("/api/v1/verifications", data=json.dumps(details), content_type="application/json")
        (result,) = api.json()["results"]
        assert result["result"] == awarded
        assert _dd(Client().post("/verify/", details).content.decode(), "Result") == words
        client = Client()
        client.force_login(account_for(entry).user, backend=USER_WITH_ACCOUNT)
        page = client.get(f"/results/{entry.public_id}/").content.decode()
        assert _dd(page, "Your result") == words
        assert rows[entry.candidate_id]["result"] == awarded
        if entry == absent:
            assert "0 of 100 UMS — absent" in _text(page)


def test_statistics_count_no_absent_pending_or_withheld_result(entries: dict[str, Entry]) -> None:
    from results.selectors import grade_statistics

    graded = EntryFactory.create(session=entries["X"].session)
    results_import(text="\n".join([HEADER, *_lines(graded, {})]) + "\n")  # Grade B (176)
    after_the_window = timezone.now() + dt.timedelta(days=60)

    counted = {count.grade: count.count for count in grade_statistics(now=after_the_window)}

    assert counted == {"Grade B": 1}


@pytest.mark.parametrize("name", list(SHOWN))
def test_the_credential_states_the_indicator_as_awarded(entries: dict[str, Entry], name: str) -> None:
    from verification.credentials import credential_build

    credential = credential_build(result=Result.objects.get(entry=entries[name]))

    assert credential["name"] == f"B2 First: {name}"
