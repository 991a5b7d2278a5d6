"""The organisations' inbox of results sent by candidates, its CSV, one delivery, webhooks and the profile."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from results.models import Result
from results.services import result_hold
from results.tests.factories import account_for
from verification import deliveries
from verification.models import Delivery, Verification, WebhookEndpoint
from verification.tests.conftest import released_entry
from verification.tests.test_deliveries import listed

pytestmark = pytest.mark.django_db


def _sent(org: Any, *, disclosure: str = "minimal", **person: Any) -> Delivery:
    entry = released_entry(**{f"person__{k}": v for k, v in person.items()})
    (delivery,) = deliveries.deliveries_send(
        account=account_for(entry),
        entry_ids=[entry.public_id],
        organisation_ids=[org.public_id],
        disclosure=disclosure,
    )
    return delivery


@pytest.fixture
def org_browser(client: Client) -> Client:
    org = listed()
    client.force_login(org.user)
    client.organisation = org  # type: ignore[attr-defined]
    return client


def test_the_inbox_shows_new_deliveries_and_opening_one_marks_it(org_browser: Client) -> None:
    org = org_browser.organisation  # type: ignore[attr-defined]
    delivery = _sent(org, first_name="Ines", last_name="Duarte")
    page = org_browser.get(reverse("verification:inbox"))
    assert "Ines Duarte" in page.text and "<strong>New</strong>" in page.text

    detail = org_browser.get(reverse("verification:delivery_detail", kwargs={"delivery_id": delivery.public_id}))
    assert detail.status_code == 200
    assert "Grade B" in detail.text and "B2" in detail.text
    assert "Overall score" not in detail.text, "minimal: no overall or skill scores"
    assert delivery.entry.candidate_id not in detail.text
    assert Verification.objects.filter(entry=delivery.entry, channel="sent").count() == 1
    assert "<strong>New</strong>" not in org_browser.get(reverse("verification:inbox")).text


def test_a_full_delivery_shows_scores_and_date_of_birth(org_browser: Client) -> None:
    delivery = _sent(org_browser.organisation, disclosure="full")  # type: ignore[attr-defined]
    detail = org_browser.get(reverse("verification:delivery_detail", kwargs={"delivery_id": delivery.public_id}))
    assert "Overall score" in detail.text and "Date of birth" in detail.text
    assert delivery.entry.candidate_id in detail.text


def test_a_held_result_shows_held_without_its_grade(org_browser: Client) -> None:
    delivery = _sent(org_browser.organisation)  # type: ignore[attr-defined]
    result_hold(result=Result.objects.get(entry=delivery.entry), actor=None, reason="review")
    detail = org_browser.get(reverse("verification:delivery_detail", kwargs={"delivery_id": delivery.public_id}))
    assert "Held for review" in detail.text and "Grade B" not in detail.text


def test_another_organisations_delivery_is_not_found(org_browser: Client) -> None:
    other = _sent(listed("Other University"))
    answer = org_browser.get(reverse("verification:delivery_detail", kwargs={"delivery_id": other.public_id}))
    assert answer.status_code == 404
    assert "Other" not in org_browser.get(reverse("verification:inbox")).text


def test_the_csv_has_only_what_was_disclosed(org_browser: Client) -> None:
    org = org_browser.organisation  # type: ignore[attr-defined]
    minimal = _sent(org, last_name="Minimal")
    full = _sent(org, disclosure="full", last_name="Fuller")
    answer = org_browser.get(reverse("verification:inbox_csv"))
    assert answer["Cache-Control"] == "private, no-store"
    lines = answer.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("delivery_id,sent_at,status,disclosure,name,candidate_id,date_of_birth")
    by_id = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert by_id[str(minimal.public_id)][5:7] == ["", ""] and by_id[str(minimal.public_id)][12] == ""
    assert by_id[str(full.public_id)][5] == full.entry.candidate_id and by_id[str(full.public_id)][12] == "176"


def test_filters_narrow_the_inbox(org_browser: Client) -> None:
    org = org_browser.organisation  # type: ignore[attr-defined]
    _sent(org, last_name="Keep")
    held = _sent(org, last_name="Paused")
    result_hold(result=Result.objects.get(entry=held.entry), actor=None, reason="review")
    page = org_browser.get(reverse("verification:inbox"), {"status": "held"})
    assert "Paused" in page.text and "Keep" not in page.text


def test_the_inbox_costs_the_same_queries_for_few_and_many(org_browser: Client) -> None:
    org = org_browser.organisation  # type: ignore[attr-defined]

    def count(n: int) -> int:
        for _ in range(n):
            _sent(org)
        with CaptureQueriesContext(connection) as queries:
            assert org_browser.get(reverse("verification:inbox")).status_code == 200
        return len(queries)

    assert count(2) == count(15)


def test_a_webhook_secret_is_shown_once_and_can_be_rotated(org_browser: Client) -> None:
    added = org_browser.post(reverse("verification:webhooks"), {"url": "http://127.0.0.1:9/hooks"}, follow=True)
    assert "whsec_" in added.text
    assert "whsec_" not in org_browser.get(reverse("verification:webhooks")).text
    endpoint = WebhookEndpoint.objects.get()
    rotated = org_browser.post(
        reverse("verification:webhook_rotate", kwargs={"endpoint_id": endpoint.public_id}), follow=True
    )
    assert "whsec_" in rotated.text


def test_a_private_webhook_address_is_refused_with_a_message(org_browser: Client, settings: Any) -> None:
    settings.WEBHOOKS_ALLOW_LOCALHOST = False
    answer = org_browser.post(reverse("verification:webhooks"), {"url": "https://10.1.2.3/hooks"})
    assert answer.status_code == 400 and "public internet" in answer.text
    assert not WebhookEndpoint.objects.exists()


def test_the_directory_profile_is_saved(org_browser: Client) -> None:
    answer = org_browser.post(
        reverse("verification:directory_profile"),
        {"listed": "on", "kind": "employer", "accepts": "C1 Advanced"},
    )
    assert answer.status_code == 302
    org = org_browser.organisation  # type: ignore[attr-defined]
    org.refresh_from_db()
    assert (org.listed, org.kind, org.accepts) == (True, "employer", "C1 Advanced")
