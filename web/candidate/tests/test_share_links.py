"""Candidate share links: made for a released result, shown once, open without the secret number, expire, revoke."""

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from centres.tests.factories import DEFAULT_SECRET
from results.models import Result
from results.tests.factories import account_for
from verification.models import ShareLink, Verification
from verification.tests.conftest import organisation, pending_entry, released_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate(client: Client) -> Any:
    entry = released_entry()
    account = account_for(entry)
    client.force_login(account.user)
    return entry


def _make_link(client: Client, entry: Any, expiry: str = "30", organisation_name: str = "Uni of X") -> str:
    page = client.post(
        f"/results/{entry.public_id}/share/", {"expiry": expiry, "organisation_name": organisation_name}, follow=True
    )
    match = re.search(r'value="http://127\.0\.0\.1:8000(/verify/s/[^"]+)"', page.content.decode())
    assert match, page.content.decode()
    return match.group(1)


def test_a_link_shows_the_result_without_the_secret_number_and_is_audited(client: Client, candidate: Any) -> None:
    path = _make_link(client, candidate)
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 22  # 128 bits
    link = ShareLink.objects.get()
    assert token not in link.token_digest and link.organisation_name == "Uni of X"
    assert path not in client.get(f"/results/{candidate.public_id}/share/").content.decode()  # shown once

    viewer = Client()
    response = viewer.get(path)

    html = response.content.decode()
    assert response.status_code == 200
    assert candidate.person.full_name in html and "Grade B" in html and "176" in html
    assert DEFAULT_SECRET not in html and candidate.candidate_id not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    row = Verification.objects.get()
    assert (row.channel, row.share_link_id, row.organisation_name) == ("link", link.pk, "")


def test_a_logged_in_organisation_is_named_in_the_audit(client: Client, candidate: Any) -> None:
    path = _make_link(client, candidate)
    viewer = Client()
    viewer.force_login(organisation(name="Embassy of Ruritania").user)

    viewer.get(path)

    assert Verification.objects.get().organisation_name == "Embassy of Ruritania"


def test_an_expired_link_is_a_404(client: Client, candidate: Any) -> None:
    path = _make_link(client, candidate, expiry="7")
    ShareLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert Client().get(path).status_code == 404
    assert "Expired" in client.get(f"/results/{candidate.public_id}/share/").content.decode()
    assert not Verification.objects.exists()


def test_a_revoked_link_is_a_404(client: Client, candidate: Any) -> None:
    path = _make_link(client, candidate)
    link = ShareLink.objects.get()
    assert Client().get(path).status_code == 200

    response = client.post(f"/results/{candidate.public_id}/share/{link.public_id}/revoke/")

    assert response.status_code == 302
    assert Client().get(path).status_code == 404
    assert "Withdrawn on" in client.get(f"/results/{candidate.public_id}/share/").content.decode()


def test_unknown_tokens_are_404s(db: None) -> None:
    assert Client().get("/verify/s/not-a-real-token").status_code == 404
    assert Client().get("/verify/s/" + "x" * 200).status_code == 404


def test_a_link_stops_when_the_result_is_held(client: Client, candidate: Any) -> None:
    path = _make_link(client, candidate)
    Result.objects.filter(entry=candidate).update(status=Result.Status.HELD)

    assert Client().get(path).status_code == 404


@pytest.mark.parametrize("expiry", ["7", "30", "90", "365"])
def test_expiry_options(client: Client, candidate: Any, expiry: str) -> None:
    _make_link(client, candidate, expiry=expiry)

    link = ShareLink.objects.get()
    assert abs((link.expires_at - link.created_at) - dt.timedelta(days=int(expiry))) < dt.timedelta(seconds=5)


def test_an_invalid_expiry_is_refused(client: Client, candidate: Any) -> None:
    response = client.post(f"/results/{candidate.public_id}/share/", {"expiry": "100000"})

    assert response.status_code == 200 and not ShareLink.objects.exists()


def test_another_candidates_result_is_a_404(client: Client, candidate: Any) -> None:
    other = released_entry()
    account_for(other)
    theirs_link = ShareLink.objects.create(
        entry=other,
        account=other.account_link.account,
        token_digest="0" * 64,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )

    assert client.get(f"/results/{other.public_id}/share/").status_code == 404
    assert client.post(f"/results/{other.public_id}/share/", {"expiry": "7"}).status_code == 404
    assert client.get(f"/results/{other.public_id}/share/credential.json").status_code == 404
    assert client.post(f"/results/{other.public_id}/share/{theirs_link.public_id}/revoke/").status_code == 404
    assert client.post(f"/results/{candidate.public_id}/share/{theirs_link.public_id}/revoke/").status_code == 404
    theirs_link.refresh_from_db()
    assert theirs_link.revoked_at is None


def test_an_unreleased_result_cannot_be_shared(client: Client) -> None:
    entry = pending_entry()
    client.force_login(account_for(entry).user)

    assert client.get(f"/results/{entry.public_id}/share/").status_code == 404


def test_share_pages_need_a_confirmed_candidate(db: None) -> None:
    entry = released_entry()
    unconfirmed = Client()
    unconfirmed.force_login(account_for(entry, confirmed=False).user)

    assert Client().get(f"/results/{entry.public_id}/share/").status_code == 302
    assert unconfirmed.get(f"/results/{entry.public_id}/share/").status_code == 302


@override_settings(DEBUG=False)
@pytest.mark.parametrize("prefix", ["", "/es", "/zh-hans"])
def test_a_withdrawn_link_explains_itself_in_the_portal_page(client: Client, candidate: Any, prefix: str) -> None:
    path = _make_link(client, candidate)
    link = ShareLink.objects.get()
    client.post(f"/results/{candidate.public_id}/share/{link.public_id}/revoke/")

    response = Client().get(prefix + path)

    assert response.status_code == 404
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    html = response.content.decode()
    assert f'<html lang="{prefix.strip("/") or "en"}">' in html
    assert '<header class="site-header">' in html
    assert f'href="{prefix}/help/"' in html  # the portal's footer
    if not prefix:
        assert "This link has expired or was withdrawn by the candidate who shared it." in html
        assert "<h1>Page not found</h1>" in html
