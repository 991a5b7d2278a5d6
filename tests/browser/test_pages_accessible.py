"""Every page people reach, checked with axe in the states they see it: empty forms, errors, lists."""

import datetime as dt

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.tests.factories import DEFAULT_PASSWORD
from centres.tests.factories import EntryFactory, ExamSessionFactory, StaffMemberFactory
from results.tests.factories import account_for, result_for

from .helpers import BROWSER_DB, Journey, centre_log_in

pytestmark = [BROWSER_DB]


def _submit_empty(page: Page, button: str) -> None:
    """Submit the main form as it is, and wait for its error summary or field errors."""
    page.get_by_role("main").get_by_role("button", name=button).click()
    expect(page.locator(".errorlist, .form-errors").first).to_be_visible()


def test_public_pages_and_their_errors(page: Page, journey: Journey, live_server: LiveServer) -> None:
    for url, name in [
        ("/tools/score-converter/", "score converter"),
        ("/results/password-reset/", "password reset"),
        ("/centre/login/", "centre login"),
    ]:
        page.goto(url)
        journey.step(page, name)
    page.goto("/results/register/")
    _submit_empty(page, "Register")
    journey.step(page, "register with errors")
    page.goto("/centre/login/")
    _submit_empty(page, "Log in")
    journey.step(page, "centre login with errors")


def test_candidate_pages(page: Page, journey: Journey, live_server: LiveServer) -> None:
    entry = EntryFactory(session=ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=40)))
    account_for(entry)
    result_for(entry, released_at=timezone.now() - dt.timedelta(hours=1))
    page.goto("/results/login/")
    page.get_by_label("Candidate ID").fill(entry.candidate_id)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your results")

    _submit_empty(page, "Add this exam")
    journey.step(page, "add another exam with errors")
    page.goto("/results/email/")
    journey.step(page, "change email")


def test_centre_pages(page: Page, journey: Journey, live_server: LiveServer) -> None:

    staff = StaffMemberFactory()
    device = TOTPDevice.objects.create(user=staff.user, name="phone", confirmed=True)
    entry = EntryFactory(
        person__centre=staff.centre, session=ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=40))
    )
    result_for(entry, released_at=timezone.now() - dt.timedelta(hours=1))
    centre_log_in(page, email=staff.user.email, password=DEFAULT_PASSWORD, device=device)
    expect(page.get_by_role("table")).to_contain_text(entry.candidate_id)

    for url, name in [
        ("/centre/results/", "centre results"),
        ("/centre/imports/", "import entries"),
        (f"/centre/entries/{entry.public_id}/", "entry with a result"),
        (f"/centre/entries/{entry.public_id}/results/", "printable results"),
        ("/centre/staff/", "staff and roles"),
    ]:
        page.goto(url)
        journey.step(page, name)
    page.goto(f"/centre/entries/{entry.public_id}/")
    _submit_empty(page, "Reissue secret number")
    journey.step(page, "reissue without a reason")
    StaffMemberFactory(centre=staff.centre, role="staff")
    page.goto("/centre/staff/")
    _submit_empty(page, "Send the invitation")
    journey.step(page, "invite without an email")
