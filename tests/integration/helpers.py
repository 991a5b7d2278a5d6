"""Helpers of the integration tests: waiting for a condition, the broker's Redis database, the worker process."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent.parent
POLL_SECONDS = 0.05
# The portal's SMTP timeout (EMAIL_TIMEOUT) in the worker: short, so the slow-server test takes seconds.
EMAIL_TIMEOUT_SECONDS = 2

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T], *, timeout: float, what: str, diagnose: Callable[[], str] | None = None
) -> T:
    """Return ``predicate()`` as soon as it is truthy; fail saying ``what`` was awaited if ``timeout`` s pass first.

    ``diagnose`` adds to the failure what helps find out why (the worker's log, what the SMTP server got).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            detail = f"\n{diagnose()}" if diagnose is not None else ""
            raise AssertionError(f"gave up after {timeout} s waiting until {what}{detail}")
        time.sleep(POLL_SECONDS)  # the pause between two polls, not a wait for the outcome


def _redis_db(url: str) -> int:
    return int(urlsplit(url).path.strip("/") or "0")


def broker_url(*, cache_url: str, explicit: str, databases: int) -> str:
    """Return the URL of the worker's broker: ``explicit`` if given, else the cache's Redis database + 1.

    Refuse database 0 (a development server's) and the cache's own database (every test empties it), and a
    number the server does not have (``databases``, its ``CONFIG GET databases``).
    """
    if explicit:
        url = explicit
    else:
        parts = urlsplit(cache_url)
        url = urlunsplit(parts._replace(path=f"/{_redis_db(cache_url) + 1}"))
    db = _redis_db(url)
    fix = "set INTEGRATION_BROKER_URL, e.g. INTEGRATION_BROKER_URL=redis://127.0.0.1:6379/14"
    if db == 0:
        raise RuntimeError(f"The worker's broker would be Redis database 0 ({url}): {fix}")
    if urlsplit(url)._replace(path="") == urlsplit(cache_url)._replace(path="") and db == _redis_db(cache_url):
        raise RuntimeError(f"The worker's broker {url} is the tests' cache database (REDIS_URL): {fix}")
    if db >= databases:
        raise RuntimeError(f"The Redis server has databases 0–{databases - 1}, not {db} ({url}): {fix}")
    return url


class WorkerProcess:
    """A Celery worker we started, in a process group of its own, its output in ``log_path``."""

    def __init__(self, *, hostname: str, args: Sequence[str], env: Mapping[str, str], log_path: Path) -> None:
        self.hostname = hostname
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.popen = subprocess.Popen(  # noqa: S603 - our own command line
                [sys.executable, "-m", "tests.integration.worker", *args],
                env=dict(env),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 60) -> str:
        return "worker log (last lines):\n" + "\n".join(self.log().splitlines()[-lines:])

    def wait_until(
        self, predicate: Callable[[], T], *, timeout: float, what: str, diagnose: Callable[[], str] | None = None
    ) -> T:
        """``wait_until`` that fails at once if the worker has exited, and shows its log on failure."""

        def alive_and(predicate: Callable[[], T] = predicate) -> T:
            if not self.alive():
                raise AssertionError(f"the worker exited (status {self.popen.returncode})\n{self.log_tail()}")
            return predicate()

        def more() -> str:
            return "\n".join(part for part in (diagnose() if diagnose else "", self.log_tail()) if part)

        return wait_until(alive_and, timeout=timeout, what=what, diagnose=more)

    def task_done(self, task_id: str) -> bool:
        """Return whether the worker's log says the task ``task_id`` finished (succeeded, retried or failed)."""
        log = self.log()
        return any(f"[{task_id}] {outcome}" in log for outcome in ("succeeded", "retry:", "raised"))

    def group_alive(self) -> bool:
        """Return whether any process of the worker's group (its pool's processes included) is left."""
        try:
            os.killpg(self.popen.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self, *, timeout: float = 30.0) -> None:
        """Stop warmly (SIGTERM: finish the running tasks); SIGKILL the whole group if it is not done in time."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.kill()

    def kill(self) -> None:
        """SIGKILL every process of the worker's group that is left."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)
