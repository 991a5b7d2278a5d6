"""The incremental deliveries feed: ``GET /api/v1/deliveries?after=<cursor>`` with an organisation's API key."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from results.tests.factories import account_for
from verification import deliveries, services
from verification.tests.conftest import released_entry
from verification.tests.test_deliveries import listed

pytestmark = pytest.mark.django_db
URL = "/api/v1/deliveries"


def _key(org: Any) -> dict[str, str]:
    _api_key, key = services.api_key_create(organisation=org, name="admissions")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _send(org: Any, disclosure: str = "minimal") -> tuple[Any, Any]:
    entry = released_entry()
    account = account_for(entry)
    (delivery,) = deliveries.deliveries_send(
        account=account, entry_ids=[entry.public_id], organisation_ids=[org.public_id], disclosure=disclosure
    )
    return account, delivery


def test_the_feed_needs_an_api_key(client: Client) -> None:
    answer = client.get(URL)
    assert answer.status_code == 401 and "Bearer" in answer["WWW-Authenticate"]


def test_events_come_in_order_with_a_cursor_for_the_next_call(client: Client) -> None:
    org = listed()
    headers = _key(org)
    account, first = _send(org)
    _other_account, second = _send(org)
    deliveries.delivery_withdraw(account=account, public_id=first.public_id)

    page = client.get(URL, {"limit": "2"}, **headers).json()
    assert [(e["type"], e["delivery"]["id"]) for e in page["events"]] == [
        ("delivery.created", str(first.public_id)),
        ("delivery.created", str(second.public_id)),
    ]
    assert page["has_more"] is True
    assert page["events"][0]["delivery"]["status"] == "withdrawn", "each event carries the delivery as it is now"

    rest = client.get(URL, {"after": page["next_cursor"]}, **headers).json()
    assert [e["type"] for e in rest["events"]] == ["delivery.withdrawn"] and rest["has_more"] is False
    empty = client.get(URL, {"after": rest["next_cursor"]}, **headers).json()
    assert empty == {"events": [], "next_cursor": rest["next_cursor"], "has_more": False}


def test_an_organisation_reads_only_its_own_deliveries(client: Client) -> None:
    org = listed()
    _send(listed("Other University"))
    assert client.get(URL, **_key(org)).json()["events"] == []


@pytest.mark.parametrize(
    ("query", "field"), [({"after": "-1"}, "after"), ({"after": "x"}, "after"), ({"limit": "0"}, "limit")]
)
def test_a_malformed_cursor_or_limit_is_named(client: Client, query: dict[str, str], field: str) -> None:
    answer = client.get(URL, query, **_key(listed()))
    assert answer.status_code == 400 and answer.json()["field"] == field


def test_the_feed_costs_the_same_queries_for_few_and_many(client: Client) -> None:
    org = listed()
    headers = _key(org)
    client.get(URL, **headers)  # the key's first use of the minute is noted once (one write)

    def count(n: int) -> int:
        for _ in range(n):
            _send(org, disclosure="full")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, **headers).status_code == 200
        return len(queries)

    assert count(2) == count(12)


def test_the_schema_describes_the_feed_and_the_webhooks_and_the_docs_page_shows_them(client: Client) -> None:
    schema = client.get("/api/v1/schema").json()
    assert "/api/v1/deliveries" in schema["paths"]
    assert schema["webhooks"]["deliveryEvent"]["post"]["requestBody"]
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "GET /api/v1/deliveries" in page.text and "webhook-signature" in page.text
    assert "<script" not in page.text.split("</header>")[-1].split("<footer")[0]
