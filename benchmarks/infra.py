"""Processes and databases for the benchmarks and the fault tests: our own, on loopback, stopped by their ids.

Nothing here touches the shared servers beyond our own objects in them: databases named ``bench_*`` or
``faults_*`` in the PostgreSQL on 127.0.0.1:5432, and Redis database ``BENCH_REDIS_DB`` (default 5). A Redis
that a test restarts is a ``redis-server`` of our own on another port. Every process we start gets a session
of its own, so stopping it stops its children (gunicorn's and Celery's workers) and nothing else.
"""

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_SERVER = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "5"))
RUN_DIR = Path(os.environ.get("BENCH_RUN_DIR", "/tmp/results-portal-bench"))  # noqa: S108 - throwaway folder
# One file per service still running, named by its process group id: the runner stops what a module left.
PIDS_DIR = RUN_DIR / "pids"
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
CORES = os.cpu_count() or 1
# gunicorn's advice for sync workers: 2 × cores + 1 (pages wait on PostgreSQL and Redis as much as they compute).
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", str(2 * CORES + 1)))
# The `celery` queue's pool: four processes per core, as docker-compose.yml's worker: an email task spends most of
# its time waiting on SMTP, Redis and PostgreSQL (docs/decisions/0005-results-email-outbox.md, point 9).
TASK_WORKERS = int(os.environ.get("BENCH_TASK_WORKERS", str(4 * CORES)))
SECRET_KEY = "benchmark-only-secret-key-" + "x" * 40  # noqa: S105 - a throwaway key for local benchmark servers
# The web tier reaches PostgreSQL through PgBouncer in transaction pooling mode, as in production (docs/scaling.md);
# BENCH_PGBOUNCER=0 connects gunicorn straight to the database instead.
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
POOLED = os.environ.get("BENCH_PGBOUNCER", "1") != "0"
# The SMTP sink advertises PIPELINING (RFC 2920), as Postfix does; BENCH_SMTP_PIPELINING=0: it does not.
SMTP_PIPELINING = os.environ.get("BENCH_SMTP_PIPELINING", "1") != "0"


def scaled(count: int, *, minimum: int = 1) -> int:
    """Return ``count`` × BENCH_SCALE (at least ``minimum``): BENCH_SCALE=0.1 gives a quick run."""
    return max(minimum, round(count * SCALE))


def say(message: str) -> None:
    """Print a progress line on stderr (the table alone goes to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- PostgreSQL -------------------------------------------------------------------------------------------
def database_url(name: str) -> str:
    return f"{PG_SERVER}/{name}"


def pg_connect(dbname: str = "postgres") -> psycopg.Connection:
    """Return an autocommit connection to one of our databases (or the maintenance database)."""
    return psycopg.connect(f"{PG_SERVER}/{dbname}", autocommit=True, connect_timeout=5)


def _own(name: str) -> None:
    if not re.fullmatch(r"(bench|faults)_[a-z0-9_]+", name):
        raise ValueError(f"{name!r} is not one of the benchmark or fault-test databases")


def database_exists(name: str) -> bool:
    with pg_connect() as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def database_terminate(name: str) -> int:
    """Close every connection to one of our databases; return how many were closed."""
    _own(name)
    with pg_connect() as connection:
        rows = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchall()
    return len(rows)


def database_drop(name: str) -> None:
    _own(name)
    database_terminate(name)
    with pg_connect() as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def database_create(name: str, *, template: str | None = None) -> None:
    """Create one of our databases, empty or as a copy of ``template`` (file copy: seconds for 1 GB)."""
    database_drop(name)
    with pg_connect() as connection:
        if template is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return
        _own(template)
        database_terminate(template)
        strategy = sql.SQL(" STRATEGY FILE_COPY") if connection.info.server_version >= 150000 else sql.SQL("")
        connection.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(
                sql.Identifier(name), sql.Identifier(template), strategy
            )
        )


def databases_like(prefix: str) -> list[str]:
    with pg_connect() as connection:
        rows = connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY datname", [prefix + "%"]
        ).fetchall()
    return [row[0] for row in rows]


def schema_fingerprint(*extra: str) -> str:
    """Return a short hash of every migration file and of ``extra``: a built data set is reused while it holds."""
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        if ".venv" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()[:10]


# --- Redis ------------------------------------------------------------------------------------------------
def redis_url(db: int = REDIS_DB, *, server: str = REDIS_SERVER) -> str:
    return f"{server}/{db}"


def redis_flush(url: str) -> None:
    """Empty one Redis database of ours (FLUSHDB on that number only)."""
    import redis

    redis.Redis.from_url(url).flushdb()


# --- Processes --------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_port(port: int, *, timeout: float = 30.0, process: "Service | None" = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.alive():
            raise RuntimeError(f"{process.name} exited early:\n{process.log_tail()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@dataclass
class Service:
    """A process we started, in a session (process group) of its own, with its output in a log file."""

    name: str
    args: list[str]
    env: Mapping[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> "Service":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it open
        self.popen = subprocess.Popen(  # noqa: S603 - our own command line
            self.args, env=dict(self.env), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        PIDS_DIR.mkdir(parents=True, exist_ok=True)
        (PIDS_DIR / str(self.popen.pid)).write_text(self.name)
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the whole group this service leads (its children included)."""
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signum)

    def stop(self, *, timeout: float = 15.0) -> None:
        if self.popen is None:
            return
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.popen.wait(timeout=10)
        # Children that outlived their leader (a killed master's workers) are in the same group.
        self.signal(signal.SIGKILL)
        (PIDS_DIR / str(self.pid)).unlink(missing_ok=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def wait_for_log(self, pattern: str, *, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        compiled = re.compile(pattern)
        while time.monotonic() < deadline:
            if compiled.search(self.log_path.read_text(errors="replace") if self.log_path.exists() else ""):
                return
            if not self.alive():
                raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
            time.sleep(0.2)
        raise TimeoutError(f"{self.name}: no {pattern!r} in its log after {timeout} s:\n{self.log_tail()}")


def services_left_stop() -> list[str]:
    """Stop every service a finished (or killed) module left running, by its process group id; name them."""
    stopped = []
    for path in sorted(PIDS_DIR.glob("*")) if PIDS_DIR.exists() else []:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.killpg(int(path.name), signal.SIGKILL)
            stopped.append(path.read_text())
        path.unlink(missing_ok=True)
    return stopped


@contextlib.contextmanager
def running(service: Service) -> Iterator[Service]:
    try:
        yield service
    finally:
        service.stop()


@functools.cache
def _signing_key_pem() -> str:
    """Return a throwaway Ed25519 key (PEM, one line with ``\\n`` escapes) for production's BOARD_SIGNING_KEY."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem.decode().replace("\n", "\\n")


def portal_env(
    *,
    database: str,
    redis: str | None = None,
    smtp_port: int | None = None,
    settings: str = "benchmarks.settings",
    **extra: str,
) -> dict[str, str]:
    """Return the environment of a production-like portal process on our database, Redis db and SMTP sink."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "EMAIL_"))}
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        SECRET_KEY=SECRET_KEY,
        BOARD_SIGNING_KEY=os.environ.get("BOARD_SIGNING_KEY") or _signing_key_pem(),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        DATABASE_URL=database_url(database) if "://" not in database else database,
        REDIS_URL=redis or redis_url(),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}" if smtp_port else "dummymail://",
        BENCH_RUN_DIR=str(RUN_DIR),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def pgbouncer_config(*, port: int, pool_size: int) -> Path:
    """Write a PgBouncer config: transaction pooling on 127.0.0.1:``port`` in front of the benchmark's server."""
    server = urllib.parse.urlsplit(PG_SERVER)
    folder = RUN_DIR / f"pgbouncer-{port}"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    users = folder / "users.txt"
    users.write_text(f'"{server.username or "postgres"}" ""\n')
    config = folder / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"* = host={server.hostname or '127.0.0.1'} port={server.port or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {users}\npool_mode = transaction\n"
        f"default_pool_size = {pool_size}\nmax_client_conn = 2000\n"
        "ignore_startup_parameters = extra_float_digits\n"
    )
    for path in (users, config):
        path.chmod(0o644)
    return config


def _pooled(env: Mapping[str, str], *, workers: int) -> tuple[dict[str, str], list[str]]:
    """The web tier's environment and command prefix to reach PostgreSQL through a PgBouncer of its own."""
    url = urllib.parse.urlsplit(env["DATABASE_URL"])
    if not POOLED or url.port not in (None, 5432) or not shutil.which(PGBOUNCER):
        return dict(env), []
    port = free_port()
    config = pgbouncer_config(port=port, pool_size=workers + 2)
    # PgBouncer refuses to run as root; started by root it drops to the database's system user.
    user = ["-u", "postgres"] if os.geteuid() == 0 else []
    pooled_url = url._replace(netloc=f"{url.username or 'postgres'}@127.0.0.1:{port}").geturl()
    # One process group: PgBouncer starts first, then the shell becomes gunicorn; stopping the service stops both.
    prefix = ["sh", "-c", f'{PGBOUNCER} {" ".join(user)} {config} & exec "$0" "$@"']
    return {**env, "DATABASE_URL": pooled_url, "DATABASE_TRANSACTION_POOLING": "true"}, prefix


def gunicorn(*, env: Mapping[str, str], port: int, workers: int = WEB_WORKERS, name: str = "gunicorn") -> Service:
    """Start the web app as production does (``gunicorn results_portal.wsgi``, sync workers) and wait for it.

    Behind PgBouncer in transaction pooling mode unless BENCH_PGBOUNCER=0 (one per gunicorn, in its process group).
    """
    env, prefix = _pooled(env, workers=workers)
    service = Service(
        name,
        [
            *prefix,
            str(BIN / "gunicorn"),
            "results_portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--backlog",
            "2048",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
        ],
        env,
        RUN_DIR / "logs" / f"{name}-{port}.log",
    ).start()
    http_wait(f"http://127.0.0.1:{port}/healthz", timeout=60, process=service)
    return service


def celery_worker(
    *, env: Mapping[str, str], concurrency: int | None = None, name: str = "worker", queues: str = "celery"
) -> Service:
    """Start a Celery worker for ``queues`` (comma-separated) as production does and wait until it takes tasks.

    Prefork pool of ``TASK_WORKERS`` processes (unless ``concurrency`` says otherwise), Redis broker, as
    docker-compose.yml's ``worker``.
    """
    if concurrency is None:
        concurrency = TASK_WORKERS
    service = Service(
        name,
        [
            str(BIN / "celery"),
            "-A",
            "results_portal",
            "worker",
            "--queues",
            queues,
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"{name}-{os.getpid()}@%h",
        ],
        env,
        RUN_DIR / "logs" / f"{name}-{os.getpid()}.log",
    ).start()
    service.wait_for_log(r"ready\.", timeout=60)
    return service


def smtp_sink(*, port: int, log_path: Path, impl: str = "fast", pipelining: bool = SMTP_PIPELINING) -> Service:
    """Start the SMTP sink (benchmarks/smtp_sink.py) on 127.0.0.1:``port``; ``pipelining``: advertise PIPELINING."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.unlink(missing_ok=True)
    options = [] if pipelining else ["--no-pipelining"]
    service = Service(
        f"smtp-sink-{impl}",
        [sys.executable, "-m", "benchmarks.smtp_sink", "--port", str(port), "--log", str(log_path), "--impl", impl]
        + options,
        {**os.environ, "PYTHONPATH": str(ROOT)},
        RUN_DIR / "logs" / f"smtp-sink-{port}.log",
    ).start()
    wait_port(port, process=service)
    return service


def redis_server(*, port: int) -> Service:
    """Start a redis-server of our own on 127.0.0.1:``port`` (nothing kept on disk) and wait for it."""
    executable = shutil.which("redis-server") or "/usr/bin/redis-server"
    folder = RUN_DIR / f"redis-{port}"
    folder.mkdir(parents=True, exist_ok=True)
    service = Service(
        f"redis-{port}",
        [
            executable,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        dict(os.environ),
        RUN_DIR / "logs" / f"redis-{port}.log",
    ).start()
    wait_port(port, process=service)
    return service


def http_wait(url: str, *, timeout: float = 30.0, process: Service | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.alive():
            raise RuntimeError(f"{process.name} exited early:\n{process.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback URL of our own server
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer in {timeout} s")


def manage(*args: str, env: Mapping[str, str], timeout: float = 600) -> str:
    """Run ``manage.py`` with ``env``; return its output, raise with it when it fails."""
    completed = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "manage.py", *args], env=dict(env), cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    if completed.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


# --- wrk ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured: throughput, latency percentiles (ms) and every answer that was not wanted."""

    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[int, int]
    socket_errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def errors(self, *, ok: tuple[int, ...] = (200,)) -> int:
        """Return socket errors plus every answer whose status is not in ``ok``."""
        return self.socket_errors + sum(count for status, count in self.statuses.items() if status not in ok)

    def describe(self) -> str:
        codes = ", ".join(f"{status}×{count}" for status, count in sorted(self.statuses.items()))
        return (
            f"{self.per_second:,.0f} req/s, p50 {self.p50_ms:.0f} ms, p99 {self.p99_ms:.0f} ms, "
            f"max {self.max_ms:.0f} ms; {codes}; socket errors {self.socket_errors}"
        )


def wrk(
    *,
    base_url: str,
    lines: list[tuple[str, str, str]],
    connections: int,
    seconds: float,
    method: str = "GET",
    threads: int = 2,
    timeout_s: int = 10,
) -> WrkResult:
    """Run wrk against ``base_url`` rotating over ``(path, cookie, body)`` lines; return what it measured."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    lines_path = RUN_DIR / f"wrk-lines-{os.getpid()}.tsv"
    lines_path.write_text("".join(f"{path}\t{cookie}\t{body}\n" for path, cookie, body in lines))
    env = {**os.environ, "WRK_LINES": str(lines_path), "WRK_METHOD": method}
    completed = subprocess.run(  # noqa: S603 - our own command line
        [
            shutil.which("wrk") or "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            f"--timeout={timeout_s}s",
            "-s",
            str(Path(__file__).parent / "wrk" / "rotate.lua"),
            base_url,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    out = completed.stdout
    if completed.returncode != 0 or "SUMMARY" not in out:
        raise RuntimeError(f"wrk failed:\n{out}\n{completed.stderr}")
    summary = dict(re.findall(r"(\w+)=(\d+)", out.split("SUMMARY", 1)[1].splitlines()[0]))
    latency = dict(re.findall(r"(\w+)=(\d+)", out.split("LATENCY", 1)[1].splitlines()[0]))
    statuses = {int(k): int(v) for k, v in re.findall(r"(\d+)=(\d+)", out.split("STATUSES", 1)[1].splitlines()[0])}
    return WrkResult(
        requests=int(summary["requests"]),
        seconds=int(summary["duration_us"]) / 1e6,
        p50_ms=int(latency["p50"]) / 1000,
        p90_ms=int(latency["p90"]) / 1000,
        p99_ms=int(latency["p99"]) / 1000,
        max_ms=int(latency["max"]) / 1000,
        statuses=statuses,
        socket_errors=sum(int(summary[k]) for k in ("connect", "read", "write", "timeout")),
    )


def result_line(payload: object) -> str:
    """Return the line a benchmark subprocess prints last for the runner (benchmarks/__main__.py)."""
    return "BENCH-RESULT " + json.dumps(payload)
