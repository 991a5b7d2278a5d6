"""In-process profile of the verification API beside its floor: CPU per request, statements and round trips.

``python -m benchmarks.profile_api --database NAME [--redis URL] [--requests N]`` runs in one process, through
the WSGI application gunicorn runs (production settings, every middleware), the requests ``bench_pages`` sends
(``POST /api/v1/verifications`` for a rotation of candidates, and ``GET /bench/floor/<id>/``), on a copy of the
benchmark data set (``createdb -T bench_tpl_… NAME``; no server, no PgBouncer). It prints, per request:

- the CPU of this process (``time.process_time``) and of its PostgreSQL backend (``/proc/<pid>/stat``); with
  ``--database postgres://…:<PgBouncer's port>/NAME --pgbouncer-pid PID``, of PgBouncer and every backend of NAME;
- PostgreSQL round trips (libpq's protocol trace: one ``Query`` message each, ``BEGIN``/``COMMIT`` and the
  connection health check included) and Redis round trips (commands or pipelines sent).

Then with ``--serve`` it waits on stdin for lines ``api N``, ``floor N`` or ``profile api N`` and answers each with
one JSON line, so that a driver can alternate two checkouts (old code, new code) in two warm processes.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from benchmarks.infra import portal_env

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    """Return the CPU seconds (user and system) a process has used so far, 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _setup(database: str, redis: str) -> None:
    os.environ.update(portal_env(database=database, redis=redis, DATABASE_TRANSACTION_POOLING="true"))
    import django

    django.setup()


def _environ(method: str, path: str, body: bytes) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if body:
        environ["CONTENT_TYPE"] = "application/json"
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


class Portal:
    """The WSGI application with the requests of bench_pages, and counters of what each request sends."""

    def __init__(self, count: int, *, pooler_pid: int | None = None) -> None:
        from django.core.wsgi import get_wsgi_application
        from django.db import connection

        from benchmarks.data import candidate_id
        from benchmarks.pages import verification_body
        from centres.models import Entry
        from results.models import Result

        ids = [candidate_id("REL", n) for n in range(count)]
        Result.objects.filter(entry__candidate_id__in=ids).update(status=Result.Status.RELEASED)
        public_ids = list(Entry.objects.filter(candidate_id__in=ids).values_list("public_id", flat=True))
        self.api = [("POST", "/api/v1/verifications", verification_body(cid).encode()) for cid in ids]
        self.floor = [("GET", f"/bench/floor/{public_id}/", b"") for public_id in public_ids]
        self.app = get_wsgi_application()
        self.connection = connection
        self.redis_sent = 0
        self._redis_count()
        self.statuses: dict[str, int] = {}
        self.pooler_pid = pooler_pid

    def _redis_count(self) -> None:
        from redis.connection import AbstractConnection

        original = AbstractConnection.send_packed_command
        portal = self

        def counted(self: Any, command: Any, check_health: bool = True) -> None:
            portal.redis_sent += 1
            original(self, command, check_health)

        AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]

    def call(self, method: str, path: str, body: bytes) -> str:
        answer: list[str] = []

        def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], object]:
            answer.append(status)
            return lambda data: None

        result = self.app(_environ(method, path, body), start_response)
        try:
            b"".join(result)
        finally:
            result.close()  # type: ignore[attr-defined]
        return answer[0]

    def backend_cpu(self) -> float:
        """Return the CPU seconds used so far by this connection's PostgreSQL backend or, through PgBouncer (whose
        backend ids are its own), by every backend of the database, read on a direct connection."""
        self.connection.ensure_connection()
        if self.pooler_pid is None:
            return _process_cpu(self.connection.connection.info.backend_pid)
        settings = self.connection.settings_dict
        with psycopg.connect(
            host="127.0.0.1", port=5432, user=settings["USER"] or "postgres", dbname=settings["NAME"], autocommit=True
        ) as direct:
            pids = direct.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"
            ).fetchall()
        return sum(_process_cpu(pid) for (pid,) in pids)

    @contextmanager
    def traced(self) -> Iterator[Callable[[], int]]:
        """Count the Query messages libpq sends (every round trip to PostgreSQL) while inside."""
        self.connection.ensure_connection()
        pgconn = self.connection.connection.pgconn
        with tempfile.TemporaryFile("w+") as trace:
            pgconn.trace(trace.fileno())
            count = [0]
            try:
                yield lambda: count[0]
            finally:
                pgconn.untrace()
                trace.seek(0)
                count[0] = sum(1 for line in trace if "\tF\t" in line and "\tQuery\t" in line)

    def round(self, which: str, n: int, *, offset: int = 0) -> dict[str, float]:
        requests = self.api if which == "api" else self.floor
        statuses: dict[str, int] = {}
        redis_before = self.redis_sent
        backend_before = self.backend_cpu()
        pooler_before = _process_cpu(self.pooler_pid) if self.pooler_pid else 0.0
        with self.traced() as queries:
            started = time.process_time()
            for i in range(n):
                status = self.call(*requests[(offset + i) % len(requests)])
                statuses[status] = statuses.get(status, 0) + 1
            cpu = time.process_time() - started
        backend = self.backend_cpu() - backend_before
        pooler = (_process_cpu(self.pooler_pid) if self.pooler_pid else 0.0) - pooler_before
        return {
            "which": which,  # type: ignore[dict-item]
            "cpu_ms": cpu / n * 1000,
            "backend_ms": backend / n * 1000,
            "pgbouncer_ms": pooler / n * 1000,
            "pg_round_trips": queries() / n,
            "redis_round_trips": (self.redis_sent - redis_before) / n,
            "statuses": statuses,  # type: ignore[dict-item]
        }

    def profile(self, which: str, n: int, *, top: int = 40) -> str:
        requests = self.api if which == "api" else self.floor
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for i in range(n):
            self.call(*requests[i % len(requests)])
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
        return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--serve", action="store_true")
    parser.add_argument(
        "--pgbouncer-pid",
        type=int,
        help="--database goes through this PgBouncer (transaction pooling): count its CPU and every backend's",
    )
    args = parser.parse_args()
    _setup(args.database, args.redis)
    portal = Portal(args.candidates, pooler_pid=args.pgbouncer_pid)
    for which in ("api", "floor"):  # warm: imports, connections, compiled queries
        portal.round(which, 50)
    if not args.serve:
        for which in ("api", "floor", "api", "floor"):
            print(json.dumps(portal.round(which, args.requests)), flush=True)
        return 0
    offset = 0
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "profile":
            print(json.dumps({"profile": portal.profile(words[1], int(words[2]))}), flush=True)
            continue
        n = int(words[1])
        print(json.dumps(portal.round(words[0], n, offset=offset)), flush=True)
        offset += n
    return 0


if __name__ == "__main__":
    sys.exit(main())
