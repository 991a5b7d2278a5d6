"""Run the test suite again with the machine's clock moved to a day that breaks date arithmetic.

A test that builds its dates from the real today, or compares a fixed date with it, passes on the day it was
written and fails on a later one: a 29 February (``date.replace(year=…)`` raises), or the day a hard-coded
date falls into the past. This runs ``python -m pytest`` (with any arguments given here) under Debian's
libfaketime, so every clock the process and its children read (Python's, the C library's, the PDF tools')
says the day chosen, at 09:00 UTC, and keeps ticking from there.

    python scripts/moved_clock.py                    # the first 29 February at least a year from today
    python scripts/moved_clock.py --day mid-year     # the first 1 July more than six months from today
    python scripts/moved_clock.py --day 2031-12-31 --time 23:58   # any moment (UTC)
    python scripts/moved_clock.py -- -q certificates   # arguments after ``--`` go to pytest

PostgreSQL and Redis keep the real time: the portal reads only Python's clock (``timezone.now()``), and
Redis expiries are relative, so nothing compares the two.
"""

import argparse
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

# Debian's package ``libfaketime`` (in the machine's multiarch folder); the multi-threaded build, because the
# suite starts threads.
LIBFAKETIME = next(Path("/usr/lib").glob("*/faketime/libfaketimeMT.so.1"), None)
ROOT = Path(__file__).resolve().parent.parent
# Under Debian 12's libfaketime (0.9.10) a timed wait on a thread that is still blocked (``join(timeout=…)``,
# ``Event.wait(timeout=…)``) never times out: it moves the monotonic clock but does not intercept sem_clockwait,
# which Python 3.11 waits with (libfaketime issue 390). Tests therefore wait with ``conftest.wait_until``, which
# polls with ``time.sleep``, never with a timed join.


def first_29_february(*, after: dt.date) -> dt.date:
    """Return the first 29 February at least a year (365 days) after ``after``."""
    earliest = after + dt.timedelta(days=365)
    year = earliest.year
    while True:
        try:
            day = dt.date(year, 2, 29)
        except ValueError:
            year += 1
            continue
        if day >= earliest:
            return day
        year += 1


def first_mid_year(*, after: dt.date) -> dt.date:
    """Return the first 1 July more than six months (183 days) after ``after``."""
    earliest = after + dt.timedelta(days=184)
    day = dt.date(earliest.year, 7, 1)
    return day if day >= earliest else dt.date(earliest.year + 1, 7, 1)


def moved_day(name: str, *, today: dt.date) -> dt.date:
    """Return the day ``--day`` names: ``29-february``, ``mid-year`` or a date in the form YYYY-MM-DD."""
    if name == "29-february":
        return first_29_february(after=today)
    if name == "mid-year":
        return first_mid_year(after=today)
    return dt.date.fromisoformat(name)


def faked_environment(*, library: Path, moment: dt.datetime) -> dict[str, str]:
    """Return this process's environment with libfaketime preloaded, its clock offset to reach ``moment``.

    An offset rather than a start time: every process of the run (pytest and the tools it starts) then reads
    the same clock, and no time zone is involved in reading the setting.
    """
    offset = round((moment - dt.datetime.now(dt.UTC)).total_seconds())
    env = dict(os.environ)
    env["LD_PRELOAD"] = " ".join(filter(None, [str(library), env.get("LD_PRELOAD", "")]))
    env["FAKETIME"] = f"{offset:+d}"
    # libfaketime also moves the monotonic clock; keeping it real breaks sleeps (EINVAL from clock_nanosleep).
    env.pop("FAKETIME_DONT_FAKE_MONOTONIC", None)
    return env


def clock_seen(env: dict[str, str]) -> dt.datetime:
    """Return the time a Python process started with ``env`` reads: proof that the clock really moved."""
    code = "import datetime as dt; print(dt.datetime.now(dt.UTC).isoformat())"
    seen = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return dt.datetime.fromisoformat(seen.stdout.strip())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--day", default="29-february", help="29-february (the default), mid-year, or a date YYYY-MM-DD"
    )
    parser.add_argument("--time", default="09:00", help="the time of day the clock starts at, UTC (default 09:00)")
    parser.add_argument("pytest_args", nargs="*", help="arguments for pytest (put them after --)")
    args = parser.parse_args(argv)

    if LIBFAKETIME is None:
        print("libfaketimeMT.so.1 is missing: apt-get install libfaketime (make system-deps installs it)")
        return 2
    day = moved_day(args.day, today=dt.datetime.now(dt.UTC).date())
    moment = dt.datetime.combine(day, dt.time.fromisoformat(args.time), tzinfo=dt.UTC)
    env = faked_environment(library=LIBFAKETIME, moment=moment)
    seen = clock_seen(env)
    if abs(seen - moment) > dt.timedelta(minutes=5):
        print(f"The clock did not move: a process under libfaketime reads {seen:%Y-%m-%d %H:%M} UTC, not {moment}")
        return 2
    print(f"Running the tests with the clock at {moment:%A %d %B %Y, %H:%M} UTC", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *args.pytest_args], cwd=ROOT, env=env)  # noqa: S603


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
