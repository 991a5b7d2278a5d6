"""The centre's candidate search with the keyboard only: a full name, a filter, a sort order, the next page."""

import datetime as dt
import re

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from accounts.tests.factories import DEFAULT_PASSWORD
from centres.tests.factories import EntryFactory, ExamSessionFactory, StaffMemberFactory
from exams.models import Exam
from results.tests.factories import account_for

from .helpers import BROWSER_DB, Journey, centre_log_in

pytestmark = [BROWSER_DB]

TOTP_KEY = "3132333435363738393031323334353637383930"


def test_a_full_name_search_with_filters_by_keyboard(page: Page, journey: Journey) -> None:
    staff = StaffMemberFactory()
    device = TOTPDevice.objects.create(user=staff.user, name="phone", key=TOTP_KEY, confirmed=True)
    session = ExamSessionFactory(exam=Exam.objects.get(code="CAE"), date=timezone.localdate() + dt.timedelta(days=20))
    zoe = EntryFactory(
        person__centre=staff.centre, person__first_name="Zoë", person__last_name="Hughes", session=session
    )
    account_for(zoe)
    unregistered = EntryFactory(
        person__centre=staff.centre, person__first_name="Zoe", person__last_name="Hughes-Smith", session=session
    )
    EntryFactory(person__centre=staff.centre, person__first_name="Amelia", person__last_name="Hughes")

    centre_log_in(page, email=staff.user.email, password=DEFAULT_PASSWORD, device=device)
    expect(page.get_by_role("table")).to_contain_text("3 entries")

    search = page.get_by_role("search", name="Search and filter candidates")
    search.get_by_label("Search candidates").focus()
    page.keyboard.type("hughes zoe")
    page.keyboard.press("Tab")  # the session filter
    page.keyboard.press("Tab")  # the exam filter
    page.keyboard.press("Tab")  # the result filter
    page.keyboard.press("Tab")  # the registration filter
    expect(search.get_by_label("Results Online")).to_be_focused()
    search.get_by_label("Results Online").select_option(label="Not registered")
    search.get_by_label("Sort by").select_option(label="Name")
    search.get_by_label("Sort by").focus()
    page.keyboard.press("Tab")
    expect(search.get_by_role("button", name="Search")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"\?q=hughes\+zoe&.*registered=no.*sort=name"))
    table = page.get_by_role("table")
    expect(table).to_contain_text("1 entry")
    expect(table).to_contain_text(unregistered.candidate_id)
    expect(table).not_to_contain_text(zoe.candidate_id)
    expect(search.get_by_label("Search candidates")).to_have_value("hughes zoe")
    journey.step(page, "search by full name, not registered")

    page.get_by_role("link", name="Clear search and filters").click()
    expect(page.get_by_role("table")).to_contain_text("3 entries")
