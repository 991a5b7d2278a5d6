"""The API against its own OpenAPI 3.1 schema with schemathesis: every answer conforms, none is a 500.

The schema's example (SIR094701 / 8482) is a real entry with a released result here, so the 200 answer is
checked too; generated bodies give 400, 401, 404 and, once the network throttle is reached, 429.
"""

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from centres.tests.factories import EntryFactory
from results.tests.factories import result_for
from verification.tests.conftest import session_with_window
from web.api.views import API_SCHEMA

schema = schemathesis.openapi.from_dict(API_SCHEMA)
schema.app = WSGIHandler()


@pytest.fixture
def demo_entry(db: None) -> Any:
    from django.utils import timezone

    entry = EntryFactory(candidate_id="SIR094701", secret="8482", session=session_with_window(opened_days_ago=3))
    result_for(entry, released_at=timezone.now())
    return entry


@pytest.fixture
def same_connection() -> Iterator[None]:
    """Keep the test's database connection open across WSGI requests, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("demo_entry", "same_connection")
@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case: Any) -> None:
    case.call_and_validate()
