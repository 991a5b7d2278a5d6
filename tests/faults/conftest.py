"""Helpers for the fault tests: a real gunicorn on the test database, a candidate with a released result.

The tests are transactional (``serialized_rollback`` keeps the exam catalogue), so what they write is
committed and the server processes they start see it. Every process they start is stopped by its own id.
"""

import datetime as dt
import http.client
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module

import psycopg
import pytest
import redis
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.utils import timezone

from benchmarks.infra import ROOT, Service, free_port, gunicorn, redis_server
from conftest import wait_until

FAULTS_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)
# What a person must never see on an error page.
INTERNALS = ("Traceback", "OperationalError", "psycopg", "redis.exceptions", 'File "', "/site-packages/")


@dataclass(frozen=True)
class PrivateRedis:
    """A redis-server of our own that a test may stop and start; ``url`` names database 1 in it."""

    service: Service
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/1"

    def answers(self) -> bool:
        """Return whether the server answers PING now (a client of its own, not the cache under test)."""
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
        except redis.exceptions.ConnectionError:
            return False

    def stop(self) -> None:
        self.service.stop()
        wait_until(lambda: not self.answers(), timeout=10, message=f"redis-server on port {self.port} did not stop")

    def start(self) -> None:
        self.service.start()
        wait_until(self.answers, timeout=10, message=f"redis-server on port {self.port} did not answer after a start")


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """Run a redis-server of our own on a free port for this test; stop it (by its id) at the end."""
    port = free_port()
    server = PrivateRedis(service=redis_server(port=port), port=port)
    wait_until(server.answers, timeout=10, message=f"redis-server on port {port} did not answer")
    try:
        yield server
    finally:
        server.service.stop()


@dataclass(frozen=True)
class Candidate:
    path: str
    cookie: str


def database_url(*, application_name: str) -> str:
    """Return the URL of the test database for a server process, tagged so its connections can be found."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    server = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{auth}@{server}/{db['NAME']}?application_name={application_name}"


def server_env(
    *, application_name: str, redis_url: str, settings_module: str = "results_portal.settings.test"
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        DATABASE_URL=database_url(application_name=application_name),
        REDIS_URL=redis_url,
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def web_server(
    *, application_name: str, redis_url: str, settings_module: str = "results_portal.settings.test"
) -> Iterator[int]:
    """Run gunicorn (2 sync workers) with the test settings on the test database; yield its port."""
    port = free_port()
    service: Service = gunicorn(
        env=server_env(application_name=application_name, redis_url=redis_url, settings_module=settings_module),
        port=port,
        workers=2,
        name=f"faults-{application_name}",
    )
    try:
        yield port
    finally:
        service.stop()


def terminate_connections(application_name: str, *, wait: bool = False) -> int:
    """Close the server's PostgreSQL connections from the server side (pg_terminate_backend); return how many.

    ``wait``: return only once those backends have exited (termination is asynchronous).
    """
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", [application_name]
        ).fetchall()

        def gone() -> bool:
            left = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name]
            ).fetchone()
            return not left or not left[0]

        if wait:
            wait_until(gone, timeout=10, message=f"the terminated connections of {application_name} stayed open")
    return len(rows)


def get(port: int, path: str, *, cookie: str = "", timeout: float = 15) -> tuple[int, str]:
    """GET ``path``; return the status and body, or (0, the error) when the connection failed."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        client.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = client.getresponse()
        return response.status, response.read().decode(errors="replace")
    except OSError as error:
        return 0, f"{type(error).__name__}: {error}"
    finally:
        client.close()


@pytest.fixture
def released_candidate() -> Candidate:
    """A logged-in candidate (session in the database) whose released B2 First result is on their statement."""
    from centres.tests.factories import EntryFactory
    from results.tests.factories import account_for, result_for

    entry = EntryFactory()
    account = account_for(entry)
    result_for(entry, released_at=timezone.now() - dt.timedelta(hours=1))
    user = account.user
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "accounts.backends.UserWithAccountBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save(must_create=True)
    return Candidate(path=f"/results/{entry.public_id}/", cookie=f"{settings.SESSION_COOKIE_NAME}={store.session_key}")
