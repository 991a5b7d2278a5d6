"""A candidate registers with the Confirmation of Entry, confirms the email, logs in, and sees the released result."""

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from centres.tests.factories import DEFAULT_SECRET, EntryFactory, ExamSessionFactory
from results.tests.factories import result_for

from .helpers import BROWSER_DB, Journey, emailed_link

pytestmark = [BROWSER_DB]

PASSWORD = "violet-harbour-1987"
EMAIL = "ana.lopez@example.org"


def test_candidate_registers_logs_in_and_sees_the_released_result(
    page: Page, journey: Journey, live_server: LiveServer
) -> None:
    # The exam was 40 days ago: its release window is open, and the result is not released yet.
    entry = EntryFactory(session=ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=40)))
    exam_name = entry.session.exam.name

    page.goto("/")
    journey.step(page, "home")
    page.get_by_role("link", name="Register for Results Online").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register for Results Online")
    journey.step(page, "register form")

    page.get_by_label("Candidate ID").fill(entry.candidate_id)
    page.get_by_label("Secret number").fill(DEFAULT_SECRET)
    page.get_by_label("Date of birth").fill(entry.person.date_of_birth.strftime("%d/%m/%Y"))
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    journey.step(page, "register form filled", check=False)
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_role("main")).to_contain_text(EMAIL)
    journey.step(page, "check your email")

    page.goto(emailed_link(live_server.url, to=EMAIL, containing="/confirm/"))
    expect(page).to_have_url(re.compile(r"/results/login/(#.*)?$"))
    expect(page.get_by_role("status")).to_contain_text("Your email address is confirmed")
    journey.step(page, "email confirmed, login form")

    page.get_by_label("Candidate ID").fill(entry.candidate_id)
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    journey.step(page, "wrong password")

    page.get_by_label("Candidate ID").fill(entry.candidate_id)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/results/(#.*)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your results")
    section = page.get_by_role("region", name=exam_name)
    expect(section).to_contain_text(entry.candidate_id)
    expect(section).to_contain_text(re.compile(r"not available yet|will be available by"))
    expect(section).not_to_contain_text("Your overall score")
    journey.step(page, "dashboard, result not released yet")

    result_for(entry, released_at=timezone.now() - dt.timedelta(minutes=1))
    page.reload()
    expect(section).to_contain_text("Grade B")
    expect(section).to_contain_text("176")
    expect(section).to_contain_text("B2")
    journey.step(page, "dashboard with the result")

    statement_url = f"/results/{entry.public_id}/"
    status = page.request.get(statement_url).status
    assert status == 200, f"the Statement of Results page {statement_url} answers {status}, not 200"
    page.get_by_role("link", name=re.compile("View your Statement of Results")).click()
    expect(page).to_have_url(re.compile(re.escape(statement_url) + "$"))
    expect(page.get_by_role("main")).to_contain_text("Grade B")
    expect(page.get_by_role("main")).to_contain_text(entry.candidate_id)
    journey.step(page, "statement of results")

    pdf_url = f"{statement_url}statement.pdf"
    status = page.request.get(pdf_url).status
    assert status == 200, f"the Statement of Results PDF {pdf_url} answers {status}, not 200"
    pdf_link = page.locator(f'a[href$="{pdf_url}"]')
    expect(pdf_link, "the statement page links to its PDF").to_have_count(1)
    with page.expect_download() as download_info:
        pdf_link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    content = download.path().read_bytes()
    assert content.startswith(b"%PDF"), content[:40]
