"""An exams officer uploads an entries file that is not CSV text, then one with 1 000 bad lines."""

import re
from pathlib import Path

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.tests.factories import DEFAULT_PASSWORD
from centres.models import EntryImport
from centres.tests.factories import CentreFactory, StaffMemberFactory

from .helpers import BROWSER_DB, Journey, centre_log_in

pytestmark = [BROWSER_DB]

TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key, in hex as django-otp stores it
HEADER = b"centre_number,candidate_id,first_name,last_name,date_of_birth,email,exam_code,session_date,mode\n"


def _line(name: str, candidate_id: str = "") -> bytes:
    return f"GB900,{candidate_id},{name},Smith,2006-01-02,,PET,2027-03-13,paper\n".encode()


def test_a_nul_byte_and_a_thousand_bad_lines_are_explained(
    page: Page, journey: Journey, live_server: LiveServer, tmp_path: Path
) -> None:
    staff = StaffMemberFactory(centre=CentreFactory(number="GB900"))
    device = TOTPDevice.objects.create(user=staff.user, name="phone", key=TOTP_KEY, confirmed=True)
    centre_log_in(page, email=staff.user.email, password=DEFAULT_PASSWORD, device=device)
    expect(page).to_have_url(re.compile(r"/centre/(#.*)?$"))

    nul_file = tmp_path / "with-nul.csv"
    nul_file.write_bytes(HEADER + _line("Ana") + _line("B\x00en"))
    page.goto("/centre/imports/")
    page.get_by_label("Entries file (CSV)").set_input_files(str(nul_file))
    page.get_by_role("button", name=re.compile("Import|Upload")).click()

    expect(page.locator("main")).to_contain_text("line 3: this line holds the control character U+0000")
    assert not EntryImport.objects.exists()
    journey.step(page, "a file with a NUL byte is refused")

    bad_file = tmp_path / "bad.csv"
    bad_file.write_bytes(HEADER + b"".join(_line(f"Name{n}", candidate_id=f"{1000000 + n}") for n in range(1000)))
    page.get_by_label("Entries file (CSV)").set_input_files(str(bad_file))
    page.get_by_role("button", name=re.compile("Import|Upload")).click()

    problems = page.get_by_role("region", name="1000 problems found: nothing was imported")
    expect(problems.get_by_role("listitem")).to_have_count(100)
    first = problems.get_by_role("listitem").first
    expect(first).to_contain_text("line 2, column candidate_id: leave the Candidate ID empty")
    expect(problems).to_contain_text("…and 900 more problems")
    journey.step(page, "the first 100 problems and how many more")
