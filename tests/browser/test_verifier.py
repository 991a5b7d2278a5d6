"""A university checks a candidate's released result with the Candidate ID and secret number."""

import datetime as dt

from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from centres.tests.factories import DEFAULT_SECRET, EntryFactory, ExamSessionFactory
from results.tests.factories import result_for

from .helpers import BROWSER_DB, Journey

pytestmark = [BROWSER_DB]


def _check(page: Page, candidate_id: str, secret_number: str) -> None:
    page.get_by_label("Candidate ID").fill(candidate_id)
    page.get_by_label("Secret number").fill(secret_number)
    page.get_by_label("Secret number").press("Enter")


def test_verifier_checks_a_released_result(page: Page, journey: Journey, live_server: LiveServer) -> None:
    entry = EntryFactory(
        session=ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=40)),
        person__first_name="Sofia",
        person__last_name="Rossi",
    )
    result_for(entry, released_at=timezone.now() - dt.timedelta(days=1))

    status = page.request.get("/verify/").status
    assert status == 200, f"the verification form /verify/ answers {status}, not 200"
    page.goto("/verify/")
    journey.step(page, "verify form")

    wrong = "0000" if DEFAULT_SECRET != "0000" else "1111"
    _check(page, entry.candidate_id, wrong)
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("Grade B")
    journey.step(page, "wrong secret number")

    _check(page, entry.candidate_id, DEFAULT_SECRET)
    verified = page.get_by_role("region", name="Verified result")
    expect(verified).to_contain_text("Sofia Rossi")
    expect(verified).to_contain_text(entry.candidate_id)
    expect(verified).to_contain_text(entry.session.exam.name)
    expect(verified).to_contain_text("Grade B")
    expect(verified).to_contain_text("176")
    journey.step(page, "verified result")
