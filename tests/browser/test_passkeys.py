"""A candidate adds a passkey on the security page and logs in with it (Chromium's virtual authenticator)."""

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import AuditEvent, Passkey
from accounts.tests.factories import DEFAULT_PASSWORD
from centres.tests.factories import EntryFactory, ExamSessionFactory
from results.tests.factories import account_for, result_for

from .helpers import BROWSER_DB, Journey

pytestmark = [BROWSER_DB]


def _log_in(page: Page, candidate_id: str) -> None:
    page.goto("/results/login/")
    page.get_by_label("Candidate ID").fill(candidate_id)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_candidate_adds_a_passkey_then_logs_in_with_it(page: Page, journey: Journey) -> None:
    entry = EntryFactory(session=ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=40)))
    result_for(entry, released_at=timezone.now() - dt.timedelta(hours=1))
    account = account_for(entry)
    # A platform authenticator that holds passkeys and verifies its user (as a phone's fingerprint reader does).
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )

    _log_in(page, entry.candidate_id)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your results")
    page.get_by_role("link", name="Security: two-step verification").click()
    expect(page.get_by_role("main")).to_contain_text("Two-step verification is off.")
    journey.step(page, "security page, off")

    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.get_by_role("img", name="Authenticator set-up code")).to_be_visible()
    journey.step(page, "authenticator set-up page")
    page.get_by_role("link", name="Back to two-step verification").click()

    page.get_by_role("link", name="Add a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a passkey")
    expect(page.get_by_role("button", name="Add a passkey")).to_be_visible()  # shown where passkeys work
    journey.step(page, "add a passkey")
    page.get_by_label("Name of the passkey").fill("My laptop")
    page.get_by_role("button", name="Add a passkey").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    journey.step(page, "recovery codes, shown once")
    page.get_by_role("link", name=re.compile("back to two-step verification")).click()
    expect(page.get_by_role("main")).to_contain_text("Two-step verification is on.")
    expect(page.get_by_role("main")).to_contain_text("Passkey “My laptop”")
    journey.step(page, "security page, on")
    held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]})
    assert len(held["credentials"]) == 1
    passkey = Passkey.objects.get(user=account.user)
    assert passkey.name == "My laptop" and passkey.transports == ["internal"]

    page.get_by_role("button", name="Log out").click()
    _log_in(page, entry.candidate_id)
    expect(page).to_have_url(re.compile(r"/results/login/second-step/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification")
    journey.step(page, "second step")
    page.get_by_role("button", name="Use a passkey").click()

    expect(page).to_have_url(re.compile(r"/results/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your results")
    journey.step(page, "logged in with the passkey")
    page.get_by_role("link", name=re.compile("View your Statement of Results")).click()
    expect(page.get_by_role("main")).to_contain_text(entry.candidate_id)
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None and passkey.sign_count >= 1
    assert AuditEvent.objects.filter(action="two_step.passkey_added", subject=account.user.email).exists()
