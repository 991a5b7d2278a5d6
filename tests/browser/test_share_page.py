"""The share page: a new link is copied with the keyboard or the mouse, and its QR code scans to the same link."""

import re

from playwright.sync_api import Page, expect

from accounts.tests.factories import DEFAULT_PASSWORD
from results.tests.factories import account_for
from verification.tests.conftest import released_entry

from .helpers import BROWSER_DB, Journey, focused
from .test_qr_codes import scanned

pytestmark = [BROWSER_DB]


def test_a_new_share_link_is_copied_by_keyboard_and_its_qr_code_scans_to_it(page: Page, journey: Journey) -> None:
    entry = released_entry(person__first_name="Amelia", person__last_name="Hughes")
    account_for(entry)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])

    page.goto("/results/login/")
    page.get_by_label("Candidate ID").fill(entry.candidate_id)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Hello, Amelia.")).to_be_visible()
    expect(
        page.get_by_role("link", name=re.compile("Download your Statement of Results \\(PDF\\)"))
    ).to_have_attribute("href", f"/results/{entry.public_id}/statement.pdf")
    journey.step(page, "dashboard greets by name")

    page.get_by_role("link", name="Share this result or download it as a digital credential").click()
    page.get_by_role("button", name="Make link").click()
    link = page.get_by_role("textbox", name="Share link")
    url = link.input_value()
    assert url.startswith("http://127.0.0.1:8000/verify/s/")
    copy = page.get_by_role("button", name="Copy link")
    expect(copy).to_be_visible()
    journey.step(page, "new share link with copy button and QR code")

    # Keyboard only: from the link's field, Tab reaches the button and Enter presses it.
    link.focus()
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Copy link"
    page.keyboard.press("Enter")
    expect(page.get_by_text("Link copied.")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == url

    page.evaluate("() => navigator.clipboard.writeText('')")
    copy.click()
    expect(page.get_by_text("Link copied.")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == url

    assert scanned(page.locator(".share-qr svg")) == url
    expect(page.get_by_role("heading", name="What to do with the file")).to_be_visible()
