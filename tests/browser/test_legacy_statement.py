"""A legacy result in the browser: the candidate opens the old-style Statement of Results of a First 2013 sitting,
reads the profile of each paper (in words, the bars beside them) and downloads the PDF; the page passes axe."""

from playwright.sync_api import Page, expect

from accounts.tests.factories import DEFAULT_PASSWORD
from results.legacy import legacy_results_import
from results.tests.factories import account_for
from results.tests.legacy_data import FIRST_MARKS, first_2013_session, legacy_csv, legacy_entry

from .helpers import BROWSER_DB, Journey

pytestmark = [BROWSER_DB]


def test_the_candidate_reads_an_old_style_statement(page: Page, journey: Journey) -> None:
    entry = legacy_entry(first_2013_session(), person__first_name="Elena", person__last_name="Rossi")
    legacy_results_import(text=legacy_csv(entry, FIRST_MARKS))
    account_for(entry)

    page.goto("/results/login/")
    page.get_by_label("Candidate ID").fill(entry.candidate_id)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Hello, Elena.")).to_be_visible()
    page.goto(f"/results/{entry.public_id}/")

    expect(page.get_by_role("heading", name="Your candidate profile")).to_be_visible()
    profile = page.get_by_role("table", name="Your performance in each paper")
    expect(profile.get_by_role("row", name="Paper 1 Reading Borderline")).to_be_visible()
    expect(profile.get_by_role("row", name="Paper 5 Speaking Weak")).to_be_visible()
    expect(page.locator(".profile-track .on")).to_have_count(2 + 3 + 4 + 4 + 1)
    expect(page.get_by_text("66", exact=True)).to_be_visible()
    journey.step(page, "old-style statement with the paper profile")
