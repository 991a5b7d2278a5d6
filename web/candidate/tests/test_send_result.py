"""Send my result: the candidate's pages (choose, confirm, list, withdraw)."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from results.tests.factories import account_for
from verification.models import Delivery
from verification.tests.conftest import released_entry
from verification.tests.test_deliveries import listed

pytestmark = pytest.mark.django_db


def _candidate(client: Client) -> tuple[Any, Any]:
    entry = released_entry()
    account = account_for(entry)
    client.force_login(account.user)
    return entry, account


def test_search_choose_confirm_send_then_withdraw(client: Client) -> None:
    entry, _account = _candidate(client)
    madrid = listed("Universidad de Madrid", "Spain")
    listed("Lyon Institute", "France")

    page = client.get(reverse("candidates:send_result"), {"country": "spain"})
    assert page.status_code == 200
    assert "Universidad de Madrid" in page.text and "Lyon Institute" not in page.text

    choice = {"results": [str(entry.public_id)], "organisations": [str(madrid.public_id)], "disclosure": "minimal"}
    confirm = client.post(reverse("candidates:send_result"), choice)
    assert confirm.status_code == 200 and "Confirm and send" in confirm.text
    assert not Delivery.objects.exists(), "nothing is sent before the candidate confirms"

    sent = client.post(reverse("candidates:send_result"), {**choice, "confirm": "yes"})
    assert sent.status_code == 302 and sent["Location"] == reverse("candidates:deliveries")
    delivery = Delivery.objects.get()
    assert (delivery.organisation, delivery.disclosure) == (madrid, "minimal")

    listing = client.get(reverse("candidates:deliveries"))
    assert "Universidad de Madrid" in listing.text and "Not yet" in listing.text

    client.post(reverse("candidates:delivery_withdraw", kwargs={"delivery_id": delivery.public_id}))
    delivery.refresh_from_db()
    assert delivery.withdrawn_at is not None
    assert "Withdrawn on" in client.get(reverse("candidates:deliveries")).text


def test_nothing_chosen_is_named_by_field(client: Client) -> None:
    _candidate(client)
    answer = client.post(reverse("candidates:send_result"), {"disclosure": "minimal"})
    assert answer.status_code == 400
    assert "Choose at least one of your released results." in answer.text
    assert "Choose at least one organisation from the directory." in answer.text


def test_a_result_of_someone_else_cannot_be_sent(client: Client) -> None:
    _candidate(client)
    stranger = released_entry()
    org = listed()
    answer = client.post(
        reverse("candidates:send_result"),
        {
            "results": [str(stranger.public_id)],
            "organisations": [str(org.public_id)],
            "disclosure": "full",
            "confirm": "yes",
        },
    )
    assert answer.status_code == 400 and not Delivery.objects.exists()


def test_another_candidates_delivery_cannot_be_withdrawn(client: Client) -> None:
    entry, account = _candidate(client)
    org = listed()
    client.post(
        reverse("candidates:send_result"),
        {
            "results": [str(entry.public_id)],
            "organisations": [str(org.public_id)],
            "disclosure": "full",
            "confirm": "yes",
        },
    )
    delivery = Delivery.objects.get()
    intruder = Client()
    intruder.force_login(account_for(released_entry()).user)
    answer = intruder.post(reverse("candidates:delivery_withdraw", kwargs={"delivery_id": delivery.public_id}))
    assert answer.status_code == 404
    delivery.refresh_from_db()
    assert delivery.withdrawn_at is None


def test_the_pages_need_a_candidate_login(client: Client) -> None:
    for name in ("candidates:send_result", "candidates:deliveries", "candidates:organisation_invite"):
        answer = client.get(reverse(name))
        assert answer.status_code == 302 and "/results/login/" in answer["Location"]
