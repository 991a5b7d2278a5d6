"""Help and contact, the privacy notice and the accessibility statement: in every language, in every footer."""

import pytest
from django.test import Client, override_settings

from centres.tests.factories import CentreFactory, StaffMemberFactory
from conftest import otp_login
from results.tests.factories import account_for
from verification.tests.conftest import released_entry

pytestmark = pytest.mark.django_db

PAGES = {
    "/help/": "Help and contact",
    "/privacy/": "Privacy notice",
    "/accessibility/": "Accessibility statement",
}


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(("prefix", "language"), [("", "en"), ("/es", "es"), ("/zh-hans", "zh-hans")])
def test_each_page_answers_in_each_language(client: Client, path: str, prefix: str, language: str) -> None:
    response = client.get(prefix + path)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    if language == "en":
        assert f"<h1>{PAGES[path]}</h1>" in html


def _footer(html: str) -> str:
    return html[html.index('<footer class="site-footer">') :]


def _assert_linked_from_footer(html: str, prefix: str = "") -> None:
    footer = _footer(html)
    for path in PAGES:
        assert f'href="{prefix}{path}"' in footer, path


@pytest.mark.parametrize("prefix", ["", "/es", "/zh-hans"])
def test_every_audience_has_the_links_in_its_footer(client: Client, prefix: str) -> None:
    _assert_linked_from_footer(client.get(f"{prefix}/").content.decode(), prefix)  # public
    _assert_linked_from_footer(client.get(f"{prefix}/verify/").content.decode(), prefix)  # verifier

    entry = released_entry()
    candidate = Client()
    candidate.force_login(account_for(entry).user)
    dashboard = candidate.get(f"{prefix}/results/")
    assert dashboard.status_code == 200
    _assert_linked_from_footer(dashboard.content.decode(), prefix)

    staff = otp_login(Client(), StaffMemberFactory(centre=CentreFactory()).user)
    centre_home = staff.get(f"{prefix}/centre/")
    assert centre_home.status_code == 200
    _assert_linked_from_footer(centre_home.content.decode(), prefix)


def test_help_says_how_to_register_and_where_lost_details_come_from(client: Client) -> None:
    html = " ".join(client.get("/help/").content.decode().split())

    assert "Register with both, your date of birth, an email address and a password" in html
    assert "Candidate ID and a 4-digit secret number" in html
    assert "Only your exams centre can give you a new Confirmation of Entry" in html
    assert 'href="/verify/"' in html
    assert 'href="mailto:results@example.org"' in html


@override_settings(BOARD_CONTACT_EMAIL="privacy@board.example", STAFF_SESSION_IDLE_SECONDS=1800)
def test_the_privacy_notice_states_the_retention_the_portal_applies(client: Client) -> None:
    html = " ".join(client.get("/privacy/").content.decode().split())

    assert "Secret numbers in clear, for your centre to print the Confirmations of Entry: 24 hours" in html
    assert "Failed logins and checks with their IP addresses: 365 days." in html
    assert "forgotten after 365 days without a failed try" in html
    assert "from one network last 10 minutes" in html
    assert "The answers of an organisation's bulk check: 7 days." in html
    assert "A share link works for at most 365 days" in html
    assert "the portal writes its logs out and keeps none itself" in html
    assert "logged out after 30 minutes" in html
    assert 'href="mailto:privacy@board.example"' in html


@override_settings(GUARD_AUDIT_RETENTION_DAYS=30, VERIFICATION_BULK_KEPT_DAYS=2)
def test_the_privacy_notice_follows_the_settings(client: Client) -> None:
    html = " ".join(client.get("/privacy/").content.decode().split())

    assert "Failed logins and checks with their IP addresses: 30 days." in html
    assert "The answers of an organisation's bulk check: 2 days." in html


def test_the_accessibility_statement_names_the_standard_the_tests_and_the_gaps(client: Client) -> None:
    html = " ".join(client.get("/accessibility/").content.decode().split())

    assert "WCAG) 2.2 at level AA" in html
    assert "axe-core in the Chromium browser" in html
    assert "English, Spanish and Simplified Chinese" in html
    assert "Known gaps" in html
