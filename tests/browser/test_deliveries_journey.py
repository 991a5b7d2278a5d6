"""Results delivered at the candidate's direction, in Chromium: a candidate sends a result with minimal
disclosure, the organisation sees it in its inbox, the board amends the result (a corrected results file), the
organisation sees the amendment, and the candidate withdraws the delivery."""

import re

from playwright.sync_api import Page, expect

from accounts.tests.factories import DEFAULT_PASSWORD
from centres.tests.factories import EntryFactory
from results.imports import results_import
from results.services import results_release_due
from results.tests.factories import account_for
from results.tests.test_import_release import FCE_SCORES, _csv, _open_session

from .helpers import BROWSER_DB, Journey, candidate_send_result, directory_organisation, organisation_log_in

pytestmark = [BROWSER_DB]


def test_a_sent_result_is_followed_by_the_organisation_until_it_is_withdrawn(page: Page, journey: Journey) -> None:
    entry = EntryFactory(session=_open_session(), person__first_name="Mei", person__last_name="Tanaka")
    results_import(text=_csv(entry))
    results_release_due()
    account_for(entry)
    org = directory_organisation(name="Universidad de Salamanca")

    # The candidate finds the university in the directory and sends the result, disclosing the minimum.
    page.goto("/results/login/")
    page.get_by_label("Candidate ID").fill(entry.candidate_id)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    candidate_send_result(
        page,
        search="salamanca",
        organisation_name="Universidad de Salamanca",
        exam_name=entry.session.exam.name,
        journey=journey,
    )

    # The organisation sees it in its inbox: the result and level, no scores.
    university = page.context.browser.new_context(base_url=page.url.split("/results/")[0])  # type: ignore[union-attr]
    uni = university.new_page()
    organisation_log_in(uni, email=org.email)
    row = uni.get_by_role("row", name=re.compile("Mei Tanaka"))
    expect(row).to_contain_text("Grade B")
    expect(row).to_contain_text("New")
    journey.step(uni, "organisation inbox")
    uni.get_by_role("link", name="Mei Tanaka").click()
    expect(uni.get_by_role("main")).to_contain_text("Current")
    expect(uni.get_by_role("main")).not_to_contain_text("Overall score")
    journey.step(uni, "delivered result, minimal disclosure")

    # The board amends the result with a corrected results file.
    results_import(text=_csv(entry, scores={**FCE_SCORES, "reading": 190, "speaking": 190}), reason="clerical check")

    uni.goto("/verify/organisations/inbox/")
    row = uni.get_by_role("row", name=re.compile("Mei Tanaka"))
    expect(row).to_contain_text("Amended since it was sent")
    expect(row).to_contain_text("Grade A")
    expect(row).to_contain_text("New")
    journey.step(uni, "the amendment reaches the organisation")

    # The candidate withdraws the delivery; the organisation keeps the record, not the result.
    page.reload()
    page.get_by_role("button", name=re.compile("^Withdraw")).click()
    expect(page.get_by_text(re.compile("Withdrawn on"))).to_be_visible()
    journey.step(page, "delivery withdrawn")

    uni.goto("/verify/organisations/inbox/")
    expect(uni.get_by_role("row", name=re.compile("Withdrawn delivery"))).to_contain_text("Withdrawn by the candidate")
    expect(uni.get_by_role("main")).not_to_contain_text("Mei Tanaka")
    expect(uni.get_by_role("main")).not_to_contain_text("Grade A")
    journey.step(uni, "withdrawn delivery in the inbox")
    university.close()
