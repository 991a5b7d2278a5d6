"""Run every benchmark and scenario and print one table (``make bench``).

Each ``benchmarks/bench_*.py`` (figures) and ``benchmarks/check_*.py`` (pass/fail scenarios) runs in a process
of its own, on a fresh copy (``bench_run``) of the data set built by ``benchmarks/data.py`` into a template
database, with Redis database ``BENCH_REDIS_DB`` (5) emptied first. The template is built once per day and
schema (``bench_tpl_<scale>_<fingerprint>``) and reused by later runs. ``python -m benchmarks bench_import`` runs only
the modules named. BENCH_SCALE=0.1 divides every count by ten for a quick run.
"""

import dataclasses
import datetime as dt
import json
import os
import pkgutil
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import infra
from .core import Check, Figure, checks_text, table
from .infra import RUN_DIR, say

MODULE_TIMEOUT = int(os.environ.get("BENCH_MODULE_TIMEOUT", "420"))
# Two runs at once (one module each, say) need their own copy: BENCH_RUN_DATABASE=bench_run_b, with their own
# BENCH_RUN_DIR and BENCH_REDIS_DB too.
RUN_DATABASE = os.environ.get("BENCH_RUN_DATABASE", "bench_run")


# The order of the table (issue 9); modules not named here run after these, by name.
ORDER = ["bench_pages", "bench_login", "bench_import", "bench_release_email", "bench_webhooks", "bench_pdf"]


def _modules(wanted: list[str]) -> list[str]:
    found = [m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])]
    names = sorted(
        (name for name in found if name.startswith(("bench_", "check_"))),
        key=lambda name: (ORDER.index(name) if name in ORDER else len(ORDER), name),
    )
    return [n for n in names if not wanted or n in wanted]


def _template() -> str:
    """Return the template database holding the data set, building it when this day and schema have none.

    Templates are named by scale, so runs at another scale (another engineer's, at the same time) keep theirs;
    a build works in a database of its own process and only then takes the template's name.
    """
    source = (Path(__file__).parent / "data.py").read_text()
    today = dt.datetime.now(dt.UTC).date().isoformat()
    scale = f"{infra.SCALE:g}".replace(".", "p")
    name = f"bench_tpl_{scale}_{infra.schema_fingerprint(source, str(infra.SCALE), today)}"
    if infra.database_exists(name):
        say(f"data set: reusing {name} (migrate: this code's kept plans, as a deploy writes them)")
        infra.manage("migrate", "--no-input", "-v0", env=infra.portal_env(database=name))
        return name
    building = f"bench_build_{os.getpid()}"
    say(f"data set: building {name} (migrate, then write the rows)")
    infra.database_create(building)
    env = infra.portal_env(database=building)
    infra.manage("migrate", "--no-input", "-v0", env=env)
    subprocess.run([sys.executable, "-m", "benchmarks.data"], env=env, cwd=infra.ROOT, check=True, timeout=900)  # noqa: S603
    for old in infra.databases_like(f"bench_tpl_{scale}_"):
        if old != name:
            infra.database_drop(old)
    if infra.database_exists(name):  # another run at this scale built it meanwhile
        infra.database_drop(building)
        return name
    with infra.pg_connect() as connection:
        connection.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    return name


def _machine() -> str:
    memory = ""
    with open("/proc/meminfo") as meminfo:
        found = re.search(r"MemTotal:\s+(\d+)", meminfo.read())
        if found:
            memory = f"{int(found.group(1)) / 1024 / 1024:.0f} GiB RAM"
    cpu = ""
    with open("/proc/cpuinfo") as cpuinfo:
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read())
        if found:
            cpu = found.group(1).strip()
    with infra.pg_connect() as connection:
        postgres = str(connection.execute("SHOW server_version").fetchone()[0]).split()[0]  # type: ignore[index]
    import redis

    redis_version = redis.Redis.from_url(infra.redis_url()).info("server")["redis_version"]
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory}, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, PostgreSQL {postgres}, Redis {redis_version}; "
        f"gunicorn {infra.WEB_WORKERS} sync workers; BENCH_SCALE={infra.SCALE:g}"
    )


def _run_one(name: str, template: str) -> list[Figure | Check]:
    infra.database_create(RUN_DATABASE, template=template)
    infra.redis_flush(infra.redis_url())
    env = infra.portal_env(database=RUN_DATABASE, BENCH_DATABASE=RUN_DATABASE, BENCH_TEMPLATE=template)
    started = time.monotonic()
    module = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "benchmarks.one", name], env=env, cwd=infra.ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        output, _ = module.communicate(timeout=MODULE_TIMEOUT)
        failure = "" if module.returncode == 0 else f"exit status {module.returncode}"
    except subprocess.TimeoutExpired:
        module.terminate()  # the module stops its servers and workers on SIGTERM
        try:
            output, _ = module.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            module.kill()
            output, _ = module.communicate()
        failure = f"stopped after {MODULE_TIMEOUT} s"
    left = infra.services_left_stop()
    if left:
        say(f"{name}: stopped what it left running: {', '.join(left)}")
    say(f"{name}: {time.monotonic() - started:.0f} s")
    lines = [line for line in output.splitlines() if line.startswith("BENCH-RESULT ")]
    if failure or not lines:
        return [Check(name, False, f"did not finish ({failure or 'no result'}); see the log above")]
    items: list[Figure | Check] = []
    for item in json.loads(lines[-1].removeprefix("BENCH-RESULT ")):
        kind = item.pop("kind")
        items.append(Figure(**item) if kind == "figure" else Check(**item))
    return items


def main() -> int:
    started = time.monotonic()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    for tool in ("wrk", "redis-server"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: apt-get install wrk redis-server", file=sys.stderr)
            return 2
    (RUN_DIR / "logs").mkdir(parents=True, exist_ok=True)
    say(f"collectstatic into {RUN_DIR / 'static'}")
    infra.manage("collectstatic", "--no-input", "-v0", env=infra.portal_env(database="bench_unused"))
    template = _template()
    items: list[Figure | Check] = []
    for name in _modules(sys.argv[1:]):
        say(f"running {name} …")
        items.extend(_run_one(name, template))
    infra.database_drop(RUN_DATABASE)
    figures = [i for i in items if isinstance(i, Figure)]
    checks = [i for i in items if isinstance(i, Check)]
    elapsed = time.monotonic() - started
    print(f"machine: {_machine()}")
    print(table(figures))
    if checks:
        print()
        print(checks_text(checks))
    print(f"\n`make bench` took {elapsed / 60:.1f} min")
    (RUN_DIR / "last-run.json").write_text(
        json.dumps([{"kind": type(i).__name__.lower(), **dataclasses.asdict(i)} for i in items], indent=2)
    )
    return 0 if all(c.passed for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
