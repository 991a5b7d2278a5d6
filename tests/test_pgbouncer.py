"""Behind PgBouncer in transaction pooling mode: what the settings turn off, and why it must be off.

A real PgBouncer (Debian's package) runs in front of the test database with two server connections. Between
two transactions of one client another client takes the server connection the first one used, so any state
left on that connection (a ``WITH HOLD`` cursor, a prepared statement) is out of reach: with the settings
``DATABASE_TRANSACTION_POOLING`` gives, Django's chunked reads work; with Django's defaults they fail.
"""

import contextlib
import gc
import os
import pwd
import shutil
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection, connections
from django.db.backends.postgresql.base import DatabaseWrapper

from exams.models import Exam
from results_portal.settings.base import transaction_pooled

pytestmark = pytest.mark.django_db

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def pgbouncer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Start PgBouncer (transaction pooling, two server connections) in front of 127.0.0.1:5432; its port."""
    folder = tmp_path_factory.mktemp("pgbouncer")
    folder.chmod(0o755)
    port = _free_port()
    settings = connection.settings_dict
    (folder / "users.txt").write_text(f'"{settings["USER"]}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 2\nmax_client_conn = 50\n"
        "ignore_startup_parameters = extra_float_digits\n"
    )
    for path in folder.iterdir():
        path.chmod(0o644)
    # PgBouncer refuses to run as root: it drops to the database's system user when started by root (CI).
    user = ["-u", "postgres"] if os.geteuid() == 0 and _user_exists("postgres") else []
    process = subprocess.Popen(  # noqa: S603 - Debian's pgbouncer with our config
        [PGBOUNCER, *user, str(folder / "pgbouncer.ini")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        _wait_for(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"pgbouncer exited: {out}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("pgbouncer did not listen")


@contextlib.contextmanager
def _through(port: int, settings: dict[str, Any], alias: str) -> Iterator[str]:
    """Name a Django connection to the test database through PgBouncer, with these settings, for ``using()``."""
    wrapper = DatabaseWrapper({**settings, "PORT": str(port), "CONN_MAX_AGE": 0}, alias=alias)
    connections[alias] = wrapper
    try:
        yield alias
    finally:
        wrapper.close()
        del connections[alias]


def _chunked_read_while_another_client_holds_the_connection(port: int, settings: dict[str, Any]) -> list[str]:
    """``QuerySet.iterator()`` two rows at a time while another client takes the server connection in between."""
    database = connection.settings_dict
    with (
        _through(port, settings, alias="pooled") as alias,
        psycopg.connect(
            host="127.0.0.1", port=port, user=database["USER"], dbname=database["NAME"], autocommit=True
        ) as other,
    ):
        rows = Exam.objects.using(alias).order_by("code").values_list("code", flat=True).iterator(chunk_size=2)
        codes = [next(rows)]
        # The other client begins a transaction on the server connection the reader used last, and keeps it.
        other.execute("BEGIN")
        other.execute("SELECT 1")
        codes += list(rows)
        other.execute("COMMIT")
        return codes


def test_chunked_reads_work_behind_transaction_pooling_with_the_settings(pgbouncer: int) -> None:
    expected = list(Exam.objects.order_by("code").values_list("code", flat=True))
    assert len(expected) > 4, "the catalogue has enough exams for three fetches"

    codes = _chunked_read_while_another_client_holds_the_connection(
        pgbouncer, transaction_pooled(connection.settings_dict)
    )

    assert codes == expected


def test_without_the_settings_a_held_cursor_is_lost_behind_transaction_pooling(pgbouncer: int) -> None:
    """The reason for the settings: Django's server-side cursor stays on a connection another client now has."""
    with pytest.raises(Exception, match=r"cursor .* does not exist") as failure:
        _chunked_read_while_another_client_holds_the_connection(pgbouncer, dict(connection.settings_dict))
    # The lost cursor cannot be closed on the server; let it go now, quietly, not in a later test's garbage.
    del failure
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def test_the_settings_turn_off_what_cannot_cross_transactions() -> None:
    pooled = transaction_pooled({"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"sslmode": "require"}})

    assert pooled["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert pooled["OPTIONS"] == {"sslmode": "require", "prepare_threshold": None}
