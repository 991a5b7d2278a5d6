"""The verification form at /verify/: every state of a result, identical failures, limits, audit, queries."""

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import AuthFailure
from centres.tests.factories import DEFAULT_SECRET, EntryFactory
from exams.models import Exam
from results.models import Result
from results.tests.factories import result_for
from verification.models import Verification
from verification.services import VERIFIER_WRONG_DETAILS
from verification.tests.conftest import (
    organisation,
    pending_entry,
    released_entry,
    session_with_window,
    unreleased_entry,
)

pytestmark = pytest.mark.django_db

WRONG = "0000" if DEFAULT_SECRET != "0000" else "1111"


def _verify(client: Client, candidate_id: str, secret: str = DEFAULT_SECRET) -> Any:
    return client.post("/verify/", {"candidate_id": candidate_id, "secret_number": secret})


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_form_has_labelled_fields_and_lists_the_exams_verifiable_online(client: Client) -> None:
    Exam.objects.filter(code="BECH").update(verifiable_online=False)

    html = client.get("/verify/").content.decode()

    assert '<label for="id_candidate_id">Candidate ID</label>' in html
    assert '<label for="id_secret_number">Secret number</label>' in html
    assert "B2 First" in html and "C2 Proficiency" in html
    assert "C1 Business Higher" not in html
    assert "exam centre where the candidate took the exam" in html
    assert "We cannot give a Candidate ID or secret number to a verifier" in html


def test_released_result_shows_name_result_scores_and_cefr(client: Client) -> None:
    entry = released_entry()

    response = _verify(client, entry.candidate_id.lower())

    html = response.content.decode()
    assert response.status_code == 200
    assert entry.person.full_name in html
    assert "B2 First" in html and "Grade B" in html and "176" in html and "B2" in html
    for skill, score in (("Reading", 176), ("Use of English", 181), ("Writing", 169), ("Speaking", 180)):
        assert f'<th scope="row">{skill}</th><td>{score}</td>' in html
    assert DEFAULT_SECRET not in html.replace('value="', "")  # the form is emptied after a success


def test_pending_after_the_window_shows_q(client: Client) -> None:
    entry = pending_entry()

    html = _verify(client, entry.candidate_id).content.decode()

    assert "Q — pending" in html
    assert "Grade" not in html


def test_before_release_shows_the_date_results_are_available_by(client: Client) -> None:
    entry = unreleased_entry()

    html = _verify(client, entry.candidate_id).content.decode()

    date = date_format(timezone.localtime(entry.session.window_end), "DATE_FORMAT")
    assert f"Not yet released (results available by {date})" in html
    assert "Grade B" not in html and not re.search(r"\b176\b", html)  # not inside the random CSRF token


@pytest.mark.parametrize(("opened_days_ago", "expected"), [(2, "Not yet released"), (20, "Q — pending")])
def test_a_held_result_is_never_shown(client: Client, opened_days_ago: int, expected: str) -> None:
    entry = EntryFactory(session=session_with_window(opened_days_ago=opened_days_ago))
    result_for(entry, released_at=None, status=Result.Status.HELD)

    html = _verify(client, entry.candidate_id).content.decode()

    assert expected in html
    assert "Grade B" not in html


def test_exam_not_verifiable_online_sends_the_verifier_to_the_centre(client: Client) -> None:
    entry = released_entry()
    Exam.objects.filter(pk=entry.session.exam_id).update(verifiable_online=False)

    html = _verify(client, entry.candidate_id).content.decode()

    assert "cannot be verified online" in html and entry.centre.name in html
    assert "Grade B" not in html


def test_wrong_secret_and_unknown_id_answer_identically(client: Client) -> None:
    entry = released_entry()

    wrong = _verify(client, entry.candidate_id, WRONG)
    unknown = _verify(client, "ZZZ999999", WRONG)

    assert wrong.status_code == unknown.status_code == 200
    wrong_html = _without_csrf(wrong.content.decode()).replace(entry.candidate_id, "ID")
    unknown_html = _without_csrf(unknown.content.decode()).replace("ZZZ999999", "ID")
    assert wrong_html == unknown_html
    assert str(VERIFIER_WRONG_DETAILS) in wrong_html
    assert "Check them with the candidate" in wrong_html
    assert AuthFailure.objects.filter(purpose="verify").count() == 2


def test_lockout_after_five_failures_answers_429_with_retry_after(client: Client) -> None:
    entry = released_entry()
    for _ in range(4):
        assert _verify(client, entry.candidate_id, WRONG).status_code == 200

    fifth = _verify(client, entry.candidate_id, WRONG)
    right_but_locked = _verify(client, entry.candidate_id)

    assert fifth.status_code == 429 and int(fifth["Retry-After"]) > 800
    assert right_but_locked.status_code == 429 and int(right_but_locked["Retry-After"]) > 800
    html = right_but_locked.content.decode()
    assert (
        "Too many unsuccessful attempts for this Candidate ID" in html
        and "check the details with the candidate" in html
    )
    assert "Grade B" not in html
    # A 429 is the portal's own form page with the guard's explanation, never a bare error (no 429.html needed).
    assert '<header class="site-header">' in html and 'href="/help/"' in html
    # A lock on one ID does not stop the verifier of another.
    other = released_entry()
    assert "Grade B" in _verify(client, other.candidate_id).content.decode()


def test_network_throttle_answers_429_and_an_organisation_gets_more(client: Client, settings: Any) -> None:
    settings.GUARD_IP_FAILURES = 3
    for n in range(3):
        _verify(client, f"NOPE{n}", WRONG)

    throttled = _verify(client, "NOPE9", WRONG)

    assert throttled.status_code == 429 and int(throttled["Retry-After"]) >= 1
    assert "from your network" in throttled.content.decode()

    org_client = Client(REMOTE_ADDR="10.1.1.1")
    org_client.force_login(organisation(allowance=10).user)
    for n in range(6):
        assert _verify(org_client, f"ORG{n}", WRONG).status_code == 200
    anonymous_same_network = Client(REMOTE_ADDR="10.1.1.1")
    assert _verify(anonymous_same_network, "ANON1", WRONG).status_code == 429


def test_each_successful_check_is_audited_with_the_organisation_or_anonymous(client: Client) -> None:
    entry = released_entry()
    _verify(client, entry.candidate_id)
    org = organisation(name="Escuela Oficial")
    client.force_login(org.user)
    _verify(client, entry.candidate_id)
    _verify(client, entry.candidate_id, WRONG)

    rows = list(Verification.objects.filter(entry=entry).order_by("at"))

    assert [(r.channel, r.organisation_name, r.organisation_id) for r in rows] == [
        ("form", "", None),
        ("form", "Escuela Oficial", org.pk),
    ]


def test_form_post_query_count_is_bounded(client: Client, django_assert_max_num_queries: Any) -> None:
    entry = released_entry()
    with django_assert_max_num_queries(10):
        response = _verify(client, entry.candidate_id)
    assert "Grade B" in response.content.decode()
    with django_assert_max_num_queries(10):
        _verify(client, entry.candidate_id, WRONG)


def test_an_amended_result_says_so(client: Client) -> None:
    entry = released_entry()
    Result.objects.filter(entry=entry).update(amended_at=timezone.now() - dt.timedelta(minutes=5), version=2)

    assert "This result was amended on" in _verify(client, entry.candidate_id).content.decode()


def test_the_form_is_translated(client: Client) -> None:
    html = client.get("/es/verify/").content.decode()

    assert 'lang="es"' in html
