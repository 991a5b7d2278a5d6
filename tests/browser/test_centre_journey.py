"""An exams officer logs in with a TOTP code and reissues a candidate's lost secret number."""

import re

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.tests.factories import DEFAULT_PASSWORD
from centres.selectors import entry_matching_secret
from centres.tests.factories import DEFAULT_SECRET, EntryFactory, StaffMemberFactory

from .helpers import BROWSER_DB, Journey

pytestmark = [BROWSER_DB]

TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key, in hex as django-otp stores it


def test_centre_staff_reissue_a_lost_secret_number(page: Page, journey: Journey, live_server: LiveServer) -> None:
    staff = StaffMemberFactory()
    device = TOTPDevice.objects.create(user=staff.user, name="phone", key=TOTP_KEY, confirmed=True)
    entry = EntryFactory(person__centre=staff.centre, person__first_name="Maria", person__last_name="Okafor")
    EntryFactory()  # another centre's candidate, never listed here

    page.goto("/centre/login/")
    journey.step(page, "staff login form")
    page.get_by_label("Email").fill(staff.user.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_label("Authentication code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/centre/(#.*)?$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(staff.centre.name)
    expect(page.get_by_role("table")).to_contain_text(entry.candidate_id)
    expect(page.get_by_role("table")).to_contain_text("1 entry")
    journey.step(page, "centre candidates")

    page.get_by_label("Search candidates").fill("Okafor")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=entry.candidate_id).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Maria Okafor")
    journey.step(page, "candidate entry")

    page.get_by_label("Reason").fill("Candidate lost the Confirmation of Entry")
    page.get_by_role("button", name="Reissue secret number").click()

    expect(page.get_by_role("status")).to_contain_text("The old secret number no longer works")
    details = page.get_by_role("region", name="New login details")
    expect(details).to_contain_text(entry.candidate_id)
    secret_line = details.locator("p", has_text=re.compile(r"^Secret number:"))
    expect(secret_line).to_have_text(re.compile(r"Secret number:\s*\d{4}$"))
    journey.step(page, "new secret number shown")
    new_secret = secret_line.locator("strong").inner_text().strip()

    assert entry_matching_secret(candidate_id=entry.candidate_id, secret_number=DEFAULT_SECRET) is None
    matched = entry_matching_secret(candidate_id=entry.candidate_id, secret_number=new_secret)
    assert matched is not None and matched.pk == entry.pk
