"""Sessions by role: staff 30 minutes idle and 12 hours in all; logging out ends every session of the account."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from centres.tests.factories import EntryFactory, StaffMemberFactory
from conftest import otp_login
from results.tests.factories import account_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_limits(settings: Any) -> None:
    settings.STAFF_SESSION_IDLE_SECONDS = 30 * 60  # base.py's defaults (the test settings lift them)
    settings.STAFF_SESSION_MAX_SECONDS = 12 * 3600


START = timezone.now().replace(microsecond=0)


def _staff() -> tuple[Client, object]:
    member = StaffMemberFactory()
    return otp_login(Client(), member.user), member


def _in_centre_area(client: Client) -> bool:
    return client.get("/centre/").status_code == 200


def test_a_staff_session_ends_after_thirty_idle_minutes(at: Callable[[dt.datetime], None]) -> None:
    at(START)
    client, _member = _staff()
    assert _in_centre_area(client)

    at(START + dt.timedelta(minutes=29))
    assert _in_centre_area(client)  # active: the idle time starts again
    at(START + dt.timedelta(minutes=29 + 31))
    assert not _in_centre_area(client)


def test_a_busy_staff_session_still_ends_after_twelve_hours(at: Callable[[dt.datetime], None]) -> None:
    at(START)
    client, _member = _staff()
    for minutes in range(20, 12 * 60, 20):
        at(START + dt.timedelta(minutes=minutes))
        assert _in_centre_area(client), minutes

    at(START + dt.timedelta(hours=12, minutes=5))
    assert not _in_centre_area(client)


def test_a_candidate_session_is_not_cut_short(at: Callable[[dt.datetime], None]) -> None:
    at(START)
    client = Client()
    client.force_login(account_for(EntryFactory()).user)
    at(START + dt.timedelta(hours=13))

    assert client.get("/results/").status_code == 200


def test_logging_out_ends_the_sessions_on_other_devices_too() -> None:
    laptop, member = _staff()
    phone = otp_login(Client(), member.user)  # type: ignore[attr-defined]
    assert _in_centre_area(laptop) and _in_centre_area(phone)

    laptop.post("/centre/logout/")

    assert not _in_centre_area(phone)


def test_a_timed_out_session_leaves_the_other_devices_logged_in(at: Callable[[dt.datetime], None]) -> None:
    at(START)
    laptop, member = _staff()
    at(START + dt.timedelta(minutes=40))
    phone = otp_login(Client(), member.user)  # type: ignore[attr-defined]

    assert not _in_centre_area(laptop)  # idle for 40 minutes: logged out
    assert _in_centre_area(phone)
