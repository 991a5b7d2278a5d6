"""An empty registration: one summary of every problem gets the focus, and each of its links moves to its field."""

from playwright.sync_api import Page, expect

from .helpers import BROWSER_DB, Journey, focused

pytestmark = [BROWSER_DB]

FIELDS = {
    "Candidate ID": "id_candidate_id",
    "Secret number": "id_secret_number",
    "Date of birth": "id_date_of_birth",
    "Email": "id_email",
    "Password": "id_password",
    "Confirm password": "id_confirm_password",
}


def test_an_empty_registration_shows_every_error_in_a_focused_summary_linked_to_the_fields(
    page: Page, journey: Journey
) -> None:
    page.goto("/results/register/")
    page.get_by_role("button", name="Register").click()

    summary = page.get_by_role("alert").filter(has=page.get_by_role("heading", name="There is a problem"))
    expect(summary).to_be_visible()
    journey.step(page, "empty registration with its error summary")
    assert page.evaluate("() => document.activeElement.matches('[data-error-summary]')")
    links = summary.get_by_role("link")
    expect(links).to_have_count(len(FIELDS))
    for index, (label, field_id) in enumerate(FIELDS.items()):
        expect(links.nth(index)).to_have_text(f"{label}: This field is required.")
        expect(links.nth(index)).to_have_attribute("href", f"#{field_id}")

    for label, field_id in FIELDS.items():
        summary.get_by_role("link", name=f"{label}: This field is required.", exact=True).click()
        assert focused(page)["id"] == field_id, label
        expect(page.locator(f"#{field_id}")).to_be_in_viewport()

    # With the keyboard: from the summary, Tab reaches the first link and Enter moves to its field.
    summary.focus()
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Candidate ID: This field is required."
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "id_candidate_id"
    page.keyboard.type("ABC123456")
    expect(page.get_by_label("Candidate ID")).to_have_value("ABC123456")
