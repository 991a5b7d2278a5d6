"""Fixtures of the integration tests: a real Celery worker on the test Redis and a real SMTP server.

They run in a pytest process of their own (``pytest tests/integration``). The worker is
``celery -A results_portal worker`` consuming every queue the settings route tasks to, on the database
pytest-django created; the tests are transactional, so what they write is committed and the worker sees it.
Tasks the tests queue go through Redis (a database of their own, never the cache's and never 0), and the
worker's emails go over TCP to an aiosmtpd server on 127.0.0.1.
"""

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import override_settings

from certificates.services import URGENT_QUEUE
from results_portal.celery import app as celery_app

from .helpers import EMAIL_TIMEOUT_SECONDS, ROOT, WorkerProcess, broker_url
from .smtp import SMTPServer

WORKER_READY_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def worker_queues() -> list[str]:
    """Return every queue a task can be sent to: the default, the routed ones, and the urgent documents one."""
    routed = [str(route["queue"]) for route in settings.CELERY_TASK_ROUTES.values()]
    queues = [URGENT_QUEUE, *routed, celery_app.conf.task_default_queue]
    return list(dict.fromkeys(queues))


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    """The SMTP server the worker sends to, for the whole session (``reset`` before each test)."""
    server = SMTPServer(port=_free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """The Redis URL of the worker's broker, emptied before and after the session (our own database only)."""
    cache_url = str(settings.REDIS_URL)
    client = redis.Redis.from_url(cache_url, socket_connect_timeout=2)
    try:
        databases = int(client.config_get("databases").get("databases", 16))
    except redis.exceptions.ResponseError:  # CONFIG disabled: Redis's default
        databases = 16
    except redis.exceptions.ConnectionError as error:
        pytest.fail(f"Redis at {cache_url} does not answer ({error}): start it, then check with make services-check")
    finally:
        client.close()
    url = broker_url(cache_url=cache_url, explicit=os.environ.get("INTEGRATION_BROKER_URL", ""), databases=databases)
    queue_store = redis.Redis.from_url(url)
    queue_store.flushdb()  # what a killed earlier run left would run against a database that is gone
    yield url
    queue_store.flushdb()
    queue_store.close()


@pytest.fixture(scope="session")
def worker(
    django_db_setup: None,
    smtp_server: SMTPServer,
    broker: str,
) -> Iterator[WorkerProcess]:
    """A Celery worker on the test database, the broker and the SMTP server; tasks queued here go to it.

    This process sends its tasks through the broker too (the test settings run them in-process), and both
    processes store and read PDFs in one folder of this session (removed after it, with the worker's log).
    """
    with tempfile.TemporaryDirectory(prefix="results-portal-integration-") as folder:
        yield from _worker(folder=Path(folder), smtp_server=smtp_server, broker=broker)


def _worker(*, folder: Path, smtp_server: SMTPServer, broker: str) -> Iterator[WorkerProcess]:
    media = folder / "media"
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    database_url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "EMAIL_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.integration.worker_settings",
        DATABASE_URL=database_url + "?application_name=integration-worker",
        REDIS_URL=str(settings.REDIS_URL),
        CELERY_BROKER_URL=broker,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}",
        EMAIL_TIMEOUT=str(EMAIL_TIMEOUT_SECONDS),
        TEST_MEDIA_ROOT=str(media),
        INTEGRATION_PARENT_PID=str(os.getpid()),
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    hostname = f"integration-{os.getpid()}@{socket.gethostname()}"
    process = WorkerProcess(
        hostname=hostname,
        args=[
            "worker",
            "--queues",
            ",".join(worker_queues()),
            "--pool",
            "prefork",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            hostname,
        ],
        env=env,
        log_path=folder / "worker.log",
    )
    eager, sent_to = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = broker
    media_override = override_settings(MEDIA_ROOT=str(media))
    media_override.enable()
    try:
        process.wait_until(
            lambda: f"{hostname} ready." in process.log(), timeout=WORKER_READY_SECONDS, what="the worker is ready"
        )
        yield process
        process.stop()
        assert process.popen.returncode == 0, f"the worker did not stop cleanly\n{process.log_tail()}"
    finally:
        process.kill()
        media_override.disable()
        celery_app.conf.task_always_eager, celery_app.conf.broker_url = eager, sent_to
    assert not process.group_alive(), "a process of the worker's group outlived it"


@pytest.fixture(autouse=True)
def smtp(smtp_server: SMTPServer, worker: WorkerProcess) -> Iterator[SMTPServer]:
    """The SMTP server, accepting everything and with nothing received, for each test (the worker running)."""
    smtp_server.handler.reset()
    yield smtp_server
    # The worker may still be finishing what the test set off (a retry, the next batch): the database is emptied
    # after the test (TRUNCATE), which would deadlock with a task still holding rows. Wait until it is idle.
    worker.wait_until(
        lambda: _worker_idle(worker),
        timeout=60,
        what="the worker to finish the test's tasks before the database is emptied",
    )
    smtp_server.handler.reset()


def _worker_idle(worker: WorkerProcess) -> bool:
    """Return whether no task waits in a queue, nor is held or run by the worker."""
    queued = redis.Redis.from_url(celery_app.conf.broker_url)
    try:
        if any(queued.llen(queue) for queue in worker_queues()):
            return False
    finally:
        queued.close()
    inspect = celery_app.control.inspect(destination=[worker.hostname], timeout=1.0)
    for held in (inspect.active(), inspect.reserved(), inspect.scheduled()):
        if held is None or any(held.values()):
            return False
    return True
