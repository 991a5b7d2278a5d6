"""The candidate's dashboard greets them and links each released result's PDF; a result out and then held reads
"under review" everywhere, and only a released result is ever called a verified result; the share page offers a
copy button, a QR code of the new link and help with the Open Badges file."""

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from centres.tests.factories import DEFAULT_SECRET, EntryFactory
from results.models import Result
from results.services import result_hold
from results.tests.factories import account_for, result_for
from verification.tests.conftest import pending_entry, released_entry, session_with_window, unreleased_entry

pytestmark = pytest.mark.django_db

WINDOW_CLOSED_TEXT = "it was not available when the results release window closed"


def _dashboard(client: Client, entry: Any) -> str:
    client.force_login(account_for(entry).user)
    response = client.get("/results/")
    assert response.status_code == 200
    return response.content.decode()


def _held_after_release(*, window_closed: bool) -> Any:
    """Return an entry whose result was released (and seen), then held by the board."""
    session = session_with_window(opened_days_ago=20 if window_closed else 2)
    entry = EntryFactory(session=session, person__first_name="Amelia", person__last_name="Hughes")
    result = result_for(entry, released_at=timezone.now() - dt.timedelta(hours=30))
    result_hold(result=result, actor=None, reason="Malpractice inquiry")
    return entry


def _verify(entry: Any) -> str:
    response = Client().post("/verify/", {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET})
    assert response.status_code == 200
    return response.content.decode()


def test_the_dashboard_greets_the_candidate_by_name(client: Client) -> None:
    entry = released_entry(person__first_name="Amelia", person__last_name="Hughes")

    html = _dashboard(client, entry)

    assert "Hello, Amelia." in html


def test_a_released_result_links_its_statement_pdf_directly(client: Client) -> None:
    entry = released_entry()

    html = _dashboard(client, entry)

    assert f'href="/results/{entry.public_id}/statement.pdf"' in html
    assert "Download your Statement of Results (PDF)" in html


@pytest.mark.parametrize("make", [unreleased_entry, pending_entry])
def test_no_pdf_link_without_a_released_result(client: Client, make: Any) -> None:
    entry = make()

    html = _dashboard(client, entry)

    assert "statement.pdf" not in html and "Download your Statement of Results" not in html


@pytest.mark.parametrize("window_closed", [False, True])
def test_a_held_result_is_under_review_on_the_dashboard(client: Client, window_closed: bool) -> None:
    entry = _held_after_release(window_closed=window_closed)

    html = _dashboard(client, entry)

    assert "Result under review" in html and "The awarding body is reviewing your result" in html
    assert "statement.pdf" not in html and "Grade B" not in html
    assert "Your results will be available by" not in html
    assert "Q — result pending" not in html
    assert f"/results/{entry.public_id}/share/" not in html


def test_a_result_held_before_its_release_is_not_named(client: Client) -> None:
    entry = EntryFactory(session=session_with_window(opened_days_ago=-3))
    result = result_for(entry, released_at=timezone.now() + dt.timedelta(days=3), status=Result.Status.READY)
    result_hold(result=result, actor=None, reason="Checked before release")

    html = _dashboard(client, entry)

    assert "under review" not in html.lower()
    assert "Your results will be available by" in html


@pytest.mark.parametrize("window_closed", [False, True])
def test_a_verifier_reads_under_review_never_verified_result_for_a_held_result(window_closed: bool) -> None:
    entry = _held_after_release(window_closed=window_closed)

    html = _verify(entry)

    assert "Verified result" not in html
    assert "No result to verify" in html
    assert "Under review" in html and "The awarding body is reviewing this result" in html
    assert WINDOW_CLOSED_TEXT not in html
    assert "Grade B" not in html


@pytest.mark.parametrize("make", [unreleased_entry, pending_entry])
def test_a_verifier_never_reads_verified_result_without_a_released_result(make: Any) -> None:
    html = _verify(make())

    assert "Verified result" not in html and "No result to verify" in html
    assert "Under review" not in html


def test_a_pending_result_keeps_its_window_explanation() -> None:
    assert WINDOW_CLOSED_TEXT in _verify(pending_entry())


def test_a_released_result_is_a_verified_result() -> None:
    html = _verify(released_entry())

    assert "Verified result" in html and "Grade B" in html


def test_the_share_page_offers_copy_qr_and_open_badges_help(client: Client) -> None:
    entry = released_entry()
    client.force_login(account_for(entry).user)

    page = client.post(f"/results/{entry.public_id}/share/", {"expiry": "30", "organisation_name": ""}, follow=True)

    html = page.content.decode()
    url = re.search(r'id="new-link" type="text" readonly value="([^"]+)"', html)
    assert url and url.group(1).startswith("http://127.0.0.1:8000/verify/s/")
    assert re.search(r'<button type="button" data-copy-from="new-link">Copy link</button>', html)
    assert 'src="/static/js/copy-link.js"' in html
    qr = re.search(r"<svg [^>]*viewBox=\"0 0 (\d+) \1\"[^>]*>\s*<title>QR code of your share link</title>", html)
    assert qr, "no scalable QR code of the link"
    assert "What to do with the file" in html and "Open Badges 3.0" in html
    later = client.get(f"/results/{entry.public_id}/share/").content.decode()
    assert "QR code of your share link" not in later  # shown once, as the link itself
