"""Fixtures shared by every app's tests."""

import datetime as dt
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from celery._state import _set_task_join_will_block
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client, TestCase
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Start every test with an empty cache: throttles and cached pages must not leak between tests."""
    cache.clear()
    yield


def _exam_catalogue_load() -> None:
    """Load the exam catalogue as the migrations do (exams 0002, 0007, 0009, 0010), into a database that lost it."""
    import importlib

    from django.apps import apps
    from django.db import connection

    editor = SimpleNamespace(connection=connection)
    for module, function in (
        ("exams.migrations.0002_cambridge_english_catalogue", "load_catalogue"),
        ("exams.migrations.0007_legacy_exams_catalogue", "load"),
        ("exams.migrations.0009_key_reading_and_writing_paper", "add_paper"),
        ("exams.migrations.0010_exam_modes_digital", "load"),
    ):
        getattr(importlib.import_module(module), function)(apps, editor)


@pytest.fixture(autouse=True)
def _exam_catalogue_after_a_flush(request: pytest.FixtureRequest) -> None:
    """A transactional test starts with the catalogue the migrations loaded, even after another one flushed it.

    Transactional tests run last and each empties every table when it ends, the migrations' exam catalogue too.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from exams.models import Exam

    if not Exam.objects.exists():
        _exam_catalogue_load()


@pytest.fixture(autouse=True)
def _outside_a_celery_task() -> Iterator[None]:
    """End every test outside a Celery task, as far as Celery knows.

    Celery keeps "a task is running here" in one flag for the whole process, which each eager task sets and puts
    back when it ends. Tests that commit on two threads at once (verification/tests/test_delivery_events_order.py)
    run eager tasks on both, which can put the flag back in the wrong order and leave it set: a later test that
    reads an eager task's result was then refused with "Never call result.get() within a task!".
    """
    yield
    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """End every test in the default language: a request to /es/… leaves Spanish active in the thread."""
    yield
    translation.deactivate()


def wait_until(predicate: Callable[[], object], *, timeout: float, message: str, interval: float = 0.02) -> None:
    """Return as soon as ``predicate()`` is true; fail the test with ``message`` when ``timeout`` seconds pass first.

    Tests wait on the condition they need, never on a fixed sleep: fast when the machine is, and a clear failure
    instead of a flaky one when it is slow.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            pytest.fail(f"{message} (waited {timeout} s)", pytrace=False)
        time.sleep(interval)


def close_thread_connections() -> None:
    """Close the database connection and the Redis sockets of the calling thread (call it last in a test's thread).

    Django gives each thread its own connection and its own cache object: left open when the thread ends, their
    sockets are found by the garbage collector (a ResourceWarning, which the suite turns into an error).
    """
    connection.close()
    for pool in caches["default"]._cache._pools.values():
        pool.disconnect()


class CommittingClient(Client):
    """A test client whose requests end as committed requests do: their ``transaction.on_commit`` callbacks run.

    Each test runs in a transaction that is rolled back at its end, so nothing a request queues for after its
    commit (emails, tasks) would ever run. Each request here runs inside Django's
    ``captureOnCommitCallbacks(execute=True)``: when it has ended, the callbacks of what it committed run in order
    (a failing ``robust`` one is logged, as after a real commit); those of a block that rolled back were dropped by
    Django and never run.
    """

    def request(self, **request: Any) -> Any:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**request)


@pytest.fixture
def client() -> CommittingClient:
    """Return a client whose requests run their on-commit callbacks (pytest-django's ``client``, committing)."""
    return CommittingClient()


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
