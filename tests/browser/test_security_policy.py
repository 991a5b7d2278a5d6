"""The Content-Security-Policy in a real browser: refusals are caught, and the pages that script work under it.

Every browser test fails on a CSP refusal (``CspRefusals`` in conftest.py); these tests show that the watch sees
one, and walk what relies on scripts and styles: the board's admin (Django's own pages, the release progress
page) and the centre's Print buttons.
"""

import datetime as dt
import re

from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from centres.tests.factories import EntryFactory, ExamSessionFactory, StaffMemberFactory
from conftest import wait_until
from results.tests.factories import result_for

from .conftest import CspRefusals
from .helpers import BROWSER_DB, Journey, axe_violations, centre_log_in

pytestmark = [BROWSER_DB]


def test_a_refused_inline_script_or_style_is_caught(
    page: Page, csp_refusals: CspRefusals, live_server: LiveServer
) -> None:
    page.goto("/")
    assert axe_violations(page) == []  # axe-core still runs under the policy
    assert csp_refusals.refused == []

    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.ran = true";
            document.body.append(script);
            document.querySelector("main").setAttribute("style", "color: red");
        }"""
    )
    wait_until(lambda: len(csp_refusals.refused) >= 2, timeout=5, message="the refusals were not reported")

    assert page.evaluate("() => window.ran") is None
    assert any(line.startswith("script-src") for line in csp_refusals.refused), csp_refusals.refused
    assert any(line.startswith("style-src") for line in csp_refusals.refused), csp_refusals.refused
    csp_refusals.refused.clear()  # seen: this test passes when the watch works


def test_the_board_admin_works_under_the_policy(page: Page, journey: Journey, live_server: LiveServer) -> None:
    board = UserFactory(username="board@example.org", is_staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=board, name="phone", confirmed=True)
    session = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=40))
    result_for(EntryFactory(session=session), released_at=timezone.now() - dt.timedelta(hours=1))

    page.goto("/admin/login/")
    page.get_by_label("Username").fill(board.username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_label("Authentication code").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Site administration")
    journey.step(page, "admin index", check=False)

    # A change list with its filters, actions and date hierarchy (Django's filters.js and actions.js).
    page.goto("/admin/exams/examsession/")
    page.locator("#action-toggle").check()
    expect(page.locator(".action-counter")).to_contain_text("1 of 1 selected")
    journey.step(page, "sessions change list", check=False)

    # A change form with Django's calendar and clock widgets (DateTimeShortcuts.js builds them with scripts).
    page.goto(f"/admin/exams/examsession/{session.pk}/change/")
    page.locator("#id_date").fill("")
    page.locator(".datetimeshortcuts a", has_text="Today").first.click()
    expect(page.locator("#id_date")).to_have_value(re.compile(r"\d"))
    page.locator(".datetimeshortcuts .date-icon").first.click()
    expect(page.locator(".calendarbox").first).to_be_visible()
    journey.step(page, "session change form with calendar", check=False)

    # The board's release progress page (progress.js polls its status).
    page.goto(f"/admin/results/result/release-progress/{session.pk}/")
    expect(page.locator("#release-bar")).to_be_visible()
    width = page.evaluate("() => document.querySelector('#release-bar').getBoundingClientRect().width")
    content = page.evaluate("() => document.querySelector('#release-progress').getBoundingClientRect().width")
    assert abs(width - content) < 1  # the stylesheet, not a style attribute, makes the bar as wide as the page
    journey.step(page, "release progress", check=False)

    # Adding a user: Django's password fields script.
    page.goto("/admin/accounts/user/add/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Add user")
    journey.step(page, "add user", check=False)


def test_the_centre_print_buttons_print(page: Page, journey: Journey, live_server: LiveServer) -> None:
    staff = StaffMemberFactory()
    device = TOTPDevice.objects.create(user=staff.user, name="phone", confirmed=True)
    entry = EntryFactory(
        person__centre=staff.centre, session=ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=40))
    )
    result_for(entry, released_at=timezone.now() - dt.timedelta(hours=1))
    centre_log_in(page, email=staff.user.email, password=DEFAULT_PASSWORD, device=device)
    expect(page.get_by_role("table")).to_contain_text(entry.candidate_id)

    page.goto(f"/centre/entries/{entry.public_id}/results/")
    page.evaluate("() => { window.print = () => { window.printed = true; }; }")
    page.get_by_role("button", name="Print").click()

    assert page.evaluate("() => window.printed") is True
    journey.step(page, "printable results")
