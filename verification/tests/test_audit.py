"""The audit the candidate sees: one row per verification, grouped by entry in one query, on the dashboard."""

import datetime as dt
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone

from centres.tests.factories import DEFAULT_SECRET
from results.tests.factories import account_for
from verification.models import ShareLink, Verification
from verification.selectors import verifications_by_entry
from verification.services import verification_record

from .conftest import organisation, released_entry

pytestmark = pytest.mark.django_db


def test_every_channel_writes_a_row_the_panel_shows(client: Client, django_assert_num_queries: Any) -> None:
    entry, other, unseen = released_entry(), released_entry(), released_entry()
    org = organisation(name="Trinity Admissions")
    client.post("/verify/", {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET})
    Client().post(
        "/api/v1/verifications",
        {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET},
        content_type="application/json",
    )
    verification_record(entry=entry, channel="qr")
    verification_record(entry=entry, channel="bulk", organisation=org)
    link = ShareLink.objects.create(
        entry=other,
        account=account_for(other),
        organisation_name="Uni of Y",
        token_digest="1" * 64,
        expires_at=timezone.now() + dt.timedelta(days=7),
    )
    verification_record(entry=other, channel="link", share_link=link)

    with django_assert_num_queries(1):
        grouped = verifications_by_entry(entries=[entry, other, unseen])

    assert sorted(row.channel for row in grouped[entry.pk]) == ["api", "bulk", "form", "qr"]
    assert [row.channel for row in grouped[other.pk]] == ["link"]
    other_html = render_to_string("verification/dashboard_panel.html", {"entry": other, "verifications": grouped})
    assert "via a share link (the link you made for Uni of Y)" in other_html
    assert unseen.pk not in grouped
    html = render_to_string(
        "verification/dashboard_panel.html", {"entry": entry, "verifications": grouped, "can_share": True}
    )
    assert "Verified by Trinity Admissions on" in html and "via a bulk check" in html
    assert "Verified by an anonymous verifier on" in html
    for channel in ("via the verification form", "via the API", "via the QR code"):
        assert channel in html
    assert f"/results/{entry.public_id}/share/" in html
    empty = render_to_string("verification/dashboard_panel.html", {"entry": unseen, "verifications": grouped})
    assert "Nobody has verified this result yet." in empty and "/share/" not in empty


def test_an_organisation_deleted_later_is_still_named() -> None:
    entry = released_entry()
    org = organisation(name="Gone Ltd")
    verification_record(entry=entry, channel="form", organisation=org)

    org.user.delete()

    row = Verification.objects.get()
    assert row.organisation_id is None and row.organisation_name == "Gone Ltd"
