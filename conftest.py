"""Fixtures shared by every app's tests."""

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Start every test with an empty cache: throttles and cached pages must not leak between tests."""
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """End every test in the default language: a request to /es/… leaves Spanish active in the thread."""
    yield
    translation.deactivate()


def otp_login(client: Client, user: User) -> Client:
    """Log a staff user in as if they had entered a valid TOTP code (django-otp verified session)."""
    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
        user=user, name="test authenticator", confirmed=True
    )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def board_client(client: Client, db: None) -> Client:
    """A client logged in to the admin as a board superuser who passed 2FA."""
    from accounts.tests.factories import UserFactory

    user = UserFactory(username="board@example.org", is_staff=True, is_superuser=True)
    return otp_login(client, user)


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[dt.datetime], None]:
    """Return a setter of the clock every page and service reads (``django.utils.timezone.now``)."""

    def move(moment: dt.datetime) -> None:
        monkeypatch.setattr("django.utils.timezone.now", lambda: moment)

    return move


@pytest.fixture
def on_commit_immediately(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run ``transaction.on_commit`` callbacks at once: tests run inside a transaction that never commits."""

    def run_now(func: Callable[[], object], using: str | None = None, robust: bool = False) -> None:
        func()

    monkeypatch.setattr("django.db.transaction.on_commit", run_now)
