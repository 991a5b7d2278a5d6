"""A unitised result in the centre's lists reads as on the unitised pages: 'Q' with its reason, never a blank."""

import datetime as dt
from collections.abc import Callable

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.tests.factories import DEFAULT_PASSWORD
from centres.services import certification_entry_create, unit_entries_set
from centres.tests.factories import EntryFactory, StaffMemberFactory
from results.imports import RESULT_COLUMNS, results_import
from results.tests.factories import UK, unitised_qualification, unitised_series

from .helpers import BROWSER_DB, Journey, centre_log_in

pytestmark = [BROWSER_DB]

BEFORE_RESULTS = dt.datetime(2026, 8, 1, 9, 0, tzinfo=UK)
RESULTS_WEEK = dt.datetime(2026, 8, 20, 10, 0, tzinfo=UK)


def test_the_centre_lists_show_an_incomplete_qualification_as_q_with_its_reason(
    page: Page, journey: Journey, live_server: LiveServer, at: Callable[[dt.datetime], None]
) -> None:
    staff = StaffMemberFactory()
    device = TOTPDevice.objects.create(user=staff.user, name="phone", confirmed=True)
    june = unitised_series(unitised_qualification(), month=6)
    entry = EntryFactory(session=june, person__centre=staff.centre, centre=staff.centre)
    unit_entries_set(entry=entry, unit_codes=["F240", "F241", "F242"], actor=None)
    marks = [f"{entry.candidate_id},ANBUS,{june.date},{unit},{raw}" for unit, raw in (("F240", 45), ("F241", 8))]
    results_import(text="\n".join([",".join(RESULT_COLUMNS), *marks]) + "\n", now=BEFORE_RESULTS)
    certification_entry_create(entry=entry, actor=None, now=BEFORE_RESULTS)
    centre_log_in(page, email=staff.user.email, password=DEFAULT_PASSWORD, device=device)
    expect(page.get_by_role("table")).to_contain_text(entry.candidate_id)
    at(RESULTS_WEEK)

    page.goto("/centre/results/")
    row = page.get_by_role("row").filter(has_text=entry.candidate_id)
    expect(row.get_by_role("cell").nth(3)).to_have_text("Q — incomplete: no result yet for F242")
    journey.step(page, "centre results with a unitised Q")

    page.goto("/centre/certificates/")
    row = page.get_by_role("row").filter(has_text=entry.candidate_id)
    expect(row.get_by_role("cell").nth(3)).to_have_text("Q — incomplete: no result yet for F242")
    journey.step(page, "certificate desk with a unitised Q")
