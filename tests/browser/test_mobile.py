"""On a 360 px wide phone the candidate pages fit the screen: nothing scrolls sideways."""

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.tests.factories import DEFAULT_PASSWORD
from candidates.models import LinkedEntry
from centres.tests.factories import EntryFactory, ExamSessionFactory
from results.tests.factories import account_for, result_for

from .helpers import BROWSER_DB, Journey, overflowing_elements

pytestmark = [BROWSER_DB]

WIDTH = 360


def _fits(page: Page, journey: Journey, name: str) -> None:
    """Check that the page has no horizontal scroll at 360 px, and record the step."""
    journey.step(page, name)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= WIDTH, (
        f"{name} ({page.url}) is {scroll_width}px wide at {WIDTH}px: it scrolls sideways. "
        f"Elements past the edge: {overflowing_elements(page, width=WIDTH)}"
    )


def test_candidate_pages_fit_a_360px_screen(mobile_page: Page, journey: Journey, live_server: LiveServer) -> None:
    page = mobile_page
    entry = EntryFactory(session=ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=40)))
    account = account_for(entry)
    LinkedEntry.objects.create(account=account, entry=EntryFactory(person=entry.person))  # a retake, pending
    result_for(entry, released_at=timezone.now() - dt.timedelta(hours=1))

    page.goto("/")
    _fits(page, journey, "home")
    page.goto("/results/register/")
    _fits(page, journey, "register")
    page.goto("/results/login/")
    _fits(page, journey, "login")

    page.get_by_label("Candidate ID").fill(entry.candidate_id)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your results")
    expect(page.get_by_role("main")).to_contain_text("Grade B")
    _fits(page, journey, "dashboard")

    # The Statement of Results too, once it exists (its tables and chart are the widest content).
    if page.request.get(f"/results/{entry.public_id}/").status != 404:
        page.get_by_role("link", name=re.compile("View your Statement of Results")).click()
        expect(page.get_by_role("main")).to_contain_text("Grade B")
        _fits(page, journey, "statement of results")
