"""Legacy results across the audiences: the candidate's old-style statement (page and PDF), verification (form
and API), and the refusals of sessions and entries for an exam no longer offered (docs/domain.md §6.4, §7, §16)."""

import json
from typing import Any

import pytest
from django.test import Client

from centres.tests.factories import DEFAULT_SECRET
from certificates import services
from certificates.models import Document
from certificates.tests.conftest import _site_url  # noqa: F401 - autouse: SITE_URL as in the documents tests
from certificates.tests.factories import pdf_text, stored_pdf
from results.legacy import legacy_results_import
from results.models import Result
from results.tests.factories import account_for
from results.tests.legacy_data import (
    DELTA_MARKS,
    FIRST_MARKS,
    delta_2016_session,
    first_2013_session,
    legacy_csv,
    legacy_entry,
)

pytestmark = pytest.mark.django_db


def _first_2013() -> Any:
    entry = legacy_entry(first_2013_session())
    legacy_results_import(text=legacy_csv(entry, FIRST_MARKS))
    return entry


def _delta() -> Any:
    entry = legacy_entry(delta_2016_session())
    legacy_results_import(text=legacy_csv(entry, DELTA_MARKS))
    return entry


def test_the_candidate_sees_an_old_style_statement_with_the_profile_of_each_paper(client: Client) -> None:
    entry = _first_2013()
    client.force_login(account_for(entry).user)

    html = client.get(f"/results/{entry.public_id}/").content.decode()

    assert "Your candidate profile" in html
    assert "<dt>Your standardised score (out of 100)</dt><dd>66</dd>" in html
    assert "<dt>Your result</dt><dd>Grade C</dd>" in html
    assert '<th scope="row">Paper 1 Reading</th>\n          <td>Borderline</td>' in html
    assert '<th scope="row">Paper 5 Speaking</th>\n          <td>Weak</td>' in html
    # The bar of a Borderline paper covers Weak and Borderline: two of the four positions.
    assert html.count('<span class="on"></span>') == 2 + 3 + 4 + 4 + 1
    # The results of the format with the standardised score set for each; the candidate's marked.
    assert "60–74" in html and "80–100" in html and "your result" in html
    # No marks per paper and no Cambridge English Scale (docs/domain.md §7.1).
    assert "below 122" not in html and "Cambridge English Scale score for each skill" not in html


def test_a_delta_statement_has_no_standardised_score_and_no_profile(client: Client) -> None:
    entry = _delta()
    client.force_login(account_for(entry).user)

    html = client.get(f"/results/{entry.public_id}/").content.decode()

    assert "<dt>Your result</dt><dd>Pass with Merit</dd>" in html
    assert "standardised score" not in html.lower()
    assert "This exam had 2 papers" in html
    assert "weighted to a mark out of 100" in html


def test_the_statement_pdf_shows_the_old_style_result_and_profile() -> None:
    entry = _first_2013()
    result = Result.objects.get(entry=entry)
    services.documents_render_for_results(result_ids=[result.pk])
    document = Document.objects.get(result=result, kind=Document.Kind.STATEMENT, status=Document.Status.CURRENT)

    text = pdf_text(stored_pdf(document))

    for fact in [
        "Statement of Results",
        "B2 First",
        "12 June 2013",
        "Result Grade C",
        "Standardised score 66/100",
        "CEFR level B2",
        "Candidate profile",
        "Paper 1 Reading Borderline",
        "Paper 3 Use of English Exceptional",
        "Paper 5 Speaking Weak",
        "weighted to a mark out of 40",
    ]:
        assert fact in text, fact


@pytest.mark.parametrize(
    ("make", "exam", "overall", "grade", "cefr"),
    [(_first_2013, "B2 First", "66", "Grade C", "B2"), (_delta, "Delta Module One", "—", "Pass with Merit", "—")],
)
def test_the_verify_form_shows_a_legacy_result(
    client: Client, make: Any, exam: str, overall: str, grade: str, cefr: str
) -> None:
    entry = make()

    html = client.post("/verify/", {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET}).content
    text = html.decode()

    assert exam in text and grade in text
    # The verifier sees the result and the score, never a mark per paper.
    assert "Paper 1" not in text


def test_the_api_answers_a_legacy_result_without_paper_marks(client: Client) -> None:
    entry = _first_2013()

    body = client.post(
        "/api/v1/verifications",
        data=json.dumps({"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET}),
        content_type="application/json",
    ).json()

    (result,) = body["results"]
    assert (result["exam_code"], result["session_date"], result["status"]) == ("FCE", "2013-06-12", "released")
    assert (result["result"], result["overall_score"], result["cefr_level"]) == ("Grade C", 66, "B2")
    assert result["components"] == {}


def test_the_credential_states_the_result_and_standardised_score_never_a_paper_mark(client: Client) -> None:
    entry = _first_2013()
    client.force_login(account_for(entry).user)

    credential = json.loads(client.get(f"/results/{entry.public_id}/share/credential.json").content)

    values = {r["resultDescription"].rsplit("#", 1)[1]: r["value"] for r in credential["credentialSubject"]["result"]}
    assert values == {"result": "Grade C", "standardised_score": "66", "cefr_level": "B2"}
    described = {d["name"] for d in credential["credentialSubject"]["achievement"]["resultDescription"]}
    assert "Standardised score (out of 100)" in described
