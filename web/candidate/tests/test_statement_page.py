"""The candidate's Statement of Results page and the results on the dashboard: what is shown, and when."""

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from typing import Any, cast
from unittest import mock

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.tests.factories import UserFactory
from candidates.models import CandidateAccount, LinkedEntry
from centres.models import Entry
from centres.tests.factories import EntryFactory, ExamSessionFactory
from exams.models import Component, Exam, ExamSession
from grading.scale import scale_exam, scale_result
from results.models import ComponentScore, Result

pytestmark = pytest.mark.django_db

GRADE_B = (176, 181, 169, 172, 180)  # overall 176: Grade B, B2


def _account() -> CandidateAccount:
    return CandidateAccount.objects.create(user=UserFactory(), email_confirmed_at=timezone.now())


def _entry(
    account: CandidateAccount | None,
    *,
    exam: str = "FCE",
    days_ago: int = 70,
    mode: str = ExamSession.Mode.PAPER,
) -> Entry:
    """Return an entry in a session ``days_ago`` days ago, linked to ``account`` (paper windows close on day 48)."""
    session = ExamSessionFactory(
        exam=Exam.objects.get(code=exam), date=timezone.localdate() - dt.timedelta(days=days_ago), mode=mode
    )
    entry = cast(Entry, EntryFactory(session=session))
    if account is not None:
        LinkedEntry.objects.create(account=account, entry=entry)
    return entry


def _result(
    entry: Entry,
    scores: Sequence[int] = GRADE_B,
    *,
    released_at: dt.datetime | None = None,
    status: str = Result.Status.RELEASED,
    **fields: Any,
) -> Result:
    """Grade ``scores`` (in the exam's skill order) as the import does and store the result with them."""
    exam, on = entry.session.exam, entry.session.date
    by_code = {c.code: c for c in Component.objects.filter(exam=exam)}
    components = [by_code[code] for code in scale_exam(exam.code, on=on).skills]
    graded = scale_result(
        exam_code=exam.code, on=on, scores={c.code: s for c, s in zip(components, scores, strict=True)}
    )
    result = Result.objects.create(
        entry=entry,
        status=status,
        overall_score=graded.overall,
        grade=graded.result,
        cefr_level=graded.cefr_level or "",
        certificate=graded.certificate,
        ready_at=timezone.now() - dt.timedelta(days=10),
        released_at=released_at if released_at is not None else timezone.now() - dt.timedelta(days=1),
        **fields,
    )
    ComponentScore.objects.bulk_create(
        ComponentScore(result=result, component=c, score=s) for c, s in zip(components, scores, strict=True)
    )
    return result


def _logged_in(client: Client, account: CandidateAccount) -> Client:
    client.force_login(account.user)
    return client


def _page(client: Client, entry: Entry) -> str:
    response = client.get(f"/results/{entry.public_id}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_statement_shows_the_result_scores_chart_certificate_and_faq(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    _result(entry)

    html = _page(_logged_in(client, account), entry)

    assert reverse("results:statement", args=[entry.public_id]) == f"/results/{entry.public_id}/"
    assert "<h1" in html and "Statement of Results" in html and "B2 First" in html
    for fact in (
        entry.person.full_name,
        entry.candidate_id,
        entry.centre.name,
        date_format(entry.session.date, "DATE_FORMAT"),
    ):
        assert fact in html
    assert "<dt>Your result</dt><dd>Grade B</dd>" in html
    assert "<dt>Your overall score</dt><dd>176</dd>" in html
    assert "<dt>Your CEFR level</dt><dd>B2</dd>" in html
    for label, score in zip(("Reading", "Use of English", "Writing", "Listening", "Speaking"), GRADE_B, strict=True):
        assert f'<th scope="row">{label}</th><td>{score}</td>' in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html
    assert "Grade B · B2" in html
    assert "showed ability at CEFR level B2, the level the exam is designed to test" in html
    assert "Certificates are sent to your exam centre about three months after the exam." in html
    assert "Can I see my exam papers or marks for each question?" in html
    assert "What do the scores mean?" in html
    assert '<tr class="your-band">' in html and "173–179" in html


def test_a_key_statement_shows_three_papers_with_reading_and_writing_counting_twice(client: Client) -> None:
    account = _account()
    entry = _entry(account, exam="KET")
    # (2 × 139 + 140 + 140) / 4 = 139.5 → 140 (halves up): Grade A, certified at B1.
    _result(entry, (139, 140, 140))

    html = _page(_logged_in(client, account), entry)

    assert "<dt>Your result</dt><dd>Grade A</dd>" in html
    assert "<dt>Your overall score</dt><dd>140</dd>" in html
    for label, score in (("Reading and Writing", 139), ("Listening", 140), ("Speaking", 140)):
        assert f'<th scope="row">{label}</th><td>{score}</td>' in html
    assert "(2 × Reading and Writing + Listening + Speaking) ÷ 4" in html
    assert "Grade A · B1" in html and "Pass with Distinction" not in html


def _days_since(day: dt.date) -> int:
    return (timezone.localdate() - day).days


def test_a_2017_key_statement_shows_three_papers_and_pass_with_merit(client: Client) -> None:
    account = _account()
    entry = _entry(account, exam="KET", days_ago=_days_since(dt.date(2017, 6, 10)))
    # The specimen of the Key statement guide 2015: (2 × 140 + 135 + 138) / 4 = 138.25 → 138, Pass with Merit, A2.
    _result(entry, (140, 135, 138))

    html = _page(_logged_in(client, account), entry)

    assert "<dt>Your result</dt><dd>Pass with Merit</dd>" in html
    assert "<dt>Your overall score</dt><dd>138</dd>" in html
    for label, score in (("Reading and Writing", 140), ("Listening", 135), ("Speaking", 138)):
        assert f'<th scope="row">{label}</th><td>{score}</td>' in html
    assert '<th scope="row">Reading</th>' not in html and '<th scope="row">Writing</th>' not in html
    assert "(2 × Reading and Writing + Listening + Speaking) ÷ 4" in html
    assert "Pass with Merit · A2" in html and "Grade B" not in html


def test_a_key_result_stored_with_reading_and_writing_apart_is_shown_as_stored(client: Client) -> None:
    # Before the import took Key's three papers, a 2019 Key file gave Reading and Writing apart and the overall
    # score was their plain average: (136 + 134 + 137 + 135) / 4 = 135.5 → 136. Nothing rewrites such a result; its
    # statement shows the scores it holds and explains the average it was awarded on, not a weighting it never had.
    account = _account()
    entry = _entry(account, exam="KET", days_ago=_days_since(dt.date(2019, 6, 15)))
    result = Result.objects.create(
        entry=entry,
        status=Result.Status.RELEASED,
        overall_score=136,
        grade="Pass with Merit",
        cefr_level="A2",
        certificate=True,
        ready_at=timezone.now() - dt.timedelta(days=10),
        released_at=timezone.now() - dt.timedelta(days=1),
    )
    by_code = {c.code: c for c in Component.objects.filter(exam=entry.session.exam)}
    for code, score in (("reading", 136), ("writing", 134), ("listening", 137), ("speaking", 135)):
        ComponentScore.objects.create(result=result, component=by_code[code], score=score)

    html = _page(_logged_in(client, account), entry)

    assert "<dt>Your overall score</dt><dd>136</dd>" in html
    for label, score in (("Reading", 136), ("Writing", 134), ("Listening", 137), ("Speaking", 135)):
        assert f'<th scope="row">{label}</th><td>{score}</td>' in html
    assert "Your overall score is the average of these scores" in html
    assert "2 × Reading and Writing" not in html


def test_extended_certification_is_explained_above_and_below_the_target_level(client: Client) -> None:
    account = _account()
    top, near_miss = _entry(account), _entry(account, days_ago=100)
    _result(top, (184, 186, 181, 189, 185))
    _result(near_miss, (141, 150, 138, 146, 149))
    _logged_in(client, account)

    above, below = _page(client, top), _page(client, near_miss)

    assert "<dd>Grade A</dd>" in above and "<dd>C1</dd>" in above
    assert "Grade A is certified at C1, the level above B2" in above
    assert "<dd>Level B1</dd>" in below
    assert "Level B1: you will receive a Cambridge English certificate" in below
    assert "CEFR level B1" in below and "the level below B2" in below


def test_a_fail_has_no_certificate_and_no_certificate_date(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    _result(entry, (130, 135, 128, 133, 131))

    html = _page(_logged_in(client, account), entry)

    assert "<dd>Fail</dd>" in html and "<dd>Not awarded</dd>" in html
    assert "No certificate: a certificate needs an overall score of at least 140" in html
    assert "about three months after the exam" not in html


def test_a_skill_below_the_reported_range_is_shown_as_below_and_hidden_numbers_stay_hidden(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    _result(entry, (115, 181, 169, 172, 180))  # overall 163.4 → 163, Grade C

    html = _page(_logged_in(client, account), entry)

    assert '<th scope="row">Reading</th><td>below 122</td>' in html
    # The hidden score as a number on its own (a token or an id on the page may hold the digits 115).
    assert not re.search(r"(?<![\w-])115(?![\w-])", html)
    assert "Overall score = (" not in html  # grading's working, which would reveal the hidden score
    assert "<dd>163</dd>" in html and "<dd>Grade C</dd>" in html


def test_an_overall_score_below_the_range_is_shown_as_below(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    _result(entry, (110, 112, 115, 118, 116))

    html = _page(_logged_in(client, account), entry)

    assert "<dt>Your overall score</dt><dd>below 122</dd>" in html
    assert "<dd>No result</dd>" in html
    assert "No certificate: your overall score is below 122" in html


def test_an_amended_result_says_so_with_the_date(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    amended = timezone.now() - dt.timedelta(hours=3)
    _result(entry, amended_at=amended, version=2)

    html = _page(_logged_in(client, account), entry)

    assert f"This result was amended on {date_format(timezone.localtime(amended), 'DATE_FORMAT')}." in html


def test_the_pdf_link_appears_only_once_the_pdf_exists(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    _result(entry)
    try:
        pdf_url: str | None = reverse("certificates:statement_pdf", args=[entry.public_id])
    except NoReverseMatch:
        pdf_url = None

    html = _page(_logged_in(client, account), entry)

    assert ("Download PDF" in html) is (pdf_url is not None)
    if pdf_url is not None:
        assert f'href="{pdf_url}"' in html


@pytest.mark.parametrize(
    "case",
    ["not released yet", "never released", "held", "someone else's", "unknown", "withdrawn"],
)
def test_anything_but_your_own_released_result_is_a_404(client: Client, case: str) -> None:
    account = _account()
    entry = _entry(None if case == "someone else's" else account)
    if case == "someone else's":
        _result(entry)
        LinkedEntry.objects.create(account=_account(), entry=entry)
    elif case == "not released yet":
        _result(entry, status=Result.Status.READY, released_at=timezone.now() + dt.timedelta(hours=1))
    elif case == "never released":
        result = _result(entry, status=Result.Status.READY)
        Result.objects.filter(pk=result.pk).update(released_at=None)
    elif case == "held":
        _result(entry, status=Result.Status.HELD)
    elif case == "withdrawn":
        _result(entry)
        Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.WITHDRAWN)
    public_id = uuid.uuid4() if case == "unknown" else entry.public_id

    response = _logged_in(client, account).get(f"/results/{public_id}/")

    assert response.status_code == 404
    assert entry.candidate_id not in response.content.decode()


def test_the_statement_appears_at_the_released_instant_and_not_a_second_before(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    released_at = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=5)
    _result(entry, status=Result.Status.READY, released_at=released_at)
    _logged_in(client, account)

    with mock.patch("django.utils.timezone.now", return_value=released_at - dt.timedelta(seconds=1)):
        before = client.get(f"/results/{entry.public_id}/")
    with mock.patch("django.utils.timezone.now", return_value=released_at):
        at = client.get(f"/results/{entry.public_id}/")

    assert before.status_code == 404
    assert at.status_code == 200 and "<dd>Grade B</dd>" in at.content.decode()


def test_the_statement_needs_a_candidate_login(client: Client) -> None:
    entry = _entry(_account())
    _result(entry)

    response = client.get(f"/results/{entry.public_id}/")

    assert response.status_code == 302 and response["Location"].startswith("/results/login/")


def test_the_statement_is_not_cached(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    _result(entry)

    response = _logged_in(client, account).get(f"/results/{entry.public_id}/")

    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_statement_page_query_count_is_constant(client: Client, django_assert_max_num_queries: Any) -> None:
    account = _account()
    entry = _entry(account)
    _result(entry)
    _logged_in(client, account)

    with django_assert_max_num_queries(5):
        assert client.get(f"/results/{entry.public_id}/").status_code == 200


# --- Dashboard -------------------------------------------------------------------------------------------------


def test_the_dashboard_shows_a_released_result_with_a_link_to_its_statement(client: Client) -> None:
    account = _account()
    entry = _entry(account)
    _result(entry)

    html = _logged_in(client, account).get("/results/").content.decode()

    assert "<dt>Your result</dt><dd>Grade B</dd>" in html
    assert "<dt>Your overall score</dt><dd>176</dd>" in html
    assert "<dt>Your CEFR level</dt><dd>B2</dd>" in html
    assert f'href="/results/{entry.public_id}/">View your Statement of Results' in html


def test_the_dashboard_shows_the_date_results_are_due_by_and_whether_the_window_is_open(client: Client) -> None:
    account = _account()
    upcoming = _entry(account, exam="CAE", days_ago=-21)
    in_window = _entry(account, exam="KET", days_ago=18, mode=ExamSession.Mode.COMPUTER)
    _result(in_window, (140, 145, 141), status=Result.Status.READY, released_at=timezone.now() + dt.timedelta(days=1))

    html = _logged_in(client, account).get("/results/").content.decode()

    for entry in (upcoming, in_window):
        due = date_format(timezone.localtime(entry.session.window_end), "DATE_FORMAT")
        assert f"Your results will be available by {due}." in html
    opens = date_format(timezone.localtime(upcoming.session.window_start), "DATE_FORMAT")
    assert f"The results release window opens on {opens}" in html
    assert "The results release window is open" in html
    assert "View your Statement of Results" not in html and "Q — result pending" not in html


def test_the_dashboard_shows_q_when_no_result_is_visible_after_the_window_ends(client: Client) -> None:
    account = _account()
    missing, held = _entry(account), _entry(account, days_ago=100)
    _result(held, status=Result.Status.HELD)
    assert missing.session.window_end < timezone.now()

    html = _logged_in(client, account).get("/results/").content.decode()

    # The held result was out (released a day ago): it reads "under review", the missing one 'Q'.
    assert html.count("Q — result pending") == 1
    assert html.count("Result under review") == 1
    assert (
        "Your result is pending or currently unavailable. Your exam centre has been contacted; ask them if you have "
        "not heard why."
    ) in html
    assert "Your results will be available by" not in html


def test_the_dashboard_query_count_does_not_grow_with_entries(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    account = _account()
    for index in range(6):
        entry = _entry(account, days_ago=70 + 40 * index)
        if index % 3:
            _result(entry)
    _logged_in(client, account)

    with django_assert_max_num_queries(7):
        response = client.get("/results/")

    html = response.content.decode()
    assert html.count('class="entry"') == 6
    assert html.count("View your Statement of Results") == 4
    assert html.count("Q — result pending") == 2
