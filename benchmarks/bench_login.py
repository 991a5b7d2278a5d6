"""Candidate logins per second through the real login page, against Argon2id itself on the same cores.

Ours: wrk POSTs the login form (``/results/login/``, CSRF token and cookie included) for rotating candidates
to gunicorn with production settings; each answer must be the 302 to the dashboard. Every login runs the
brute-force guard (a locked row per Candidate ID), one Argon2id verify (m=19 MiB, t=2, p=1), writes the
session (database + Redis) and ``last_login``. Floor: bare ``argon2-cffi`` verifies of a hash with the same
parameters, one process per core, for the same time. Logins are CPU-bound, so logins/s per core is the figure
that sizes the web tier on results morning (docs/scaling.md).

A second line keeps the earlier in-process comparison: Django's ``check_password`` against one bare verify.
"""

import multiprocessing
import os
import re
import time
import urllib.parse

import argon2
from django.contrib.auth.hashers import check_password, make_password

from .core import Figure, rate
from .data import PAGE_USERS, PASSWORD, candidate_id
from .infra import CORES, free_port, gunicorn, portal_env, running, say, wrk
from .pages import get, seconds

TARGET = 0.6  # logins through the page ≥ 0.6 × bare Argon2id verifications (issue 22)

LOGIN_PATH = "/results/login/"
CONNECTIONS = 2 * CORES


def _hasher() -> argon2.PasswordHasher:
    from accounts.hashers import Argon2idOWASPHasher

    ours = Argon2idOWASPHasher()
    return argon2.PasswordHasher(time_cost=ours.time_cost, memory_cost=ours.memory_cost, parallelism=ours.parallelism)


def _verify_for(duration: float) -> int:
    hasher = _hasher()
    encoded = hasher.hash(PASSWORD)
    count = 0
    deadline = time.perf_counter() + duration
    while time.perf_counter() < deadline:
        hasher.verify(encoded, PASSWORD)
        count += 1
    return count


def argon2_per_second_all_cores(duration: float) -> float:
    """Return bare Argon2id verifies per second with one process per core (the floor of logins/s)."""
    with multiprocessing.get_context("spawn").Pool(CORES) as pool:
        started = time.perf_counter()
        counts = pool.map(_verify_for, [duration] * CORES)
        return sum(counts) / (time.perf_counter() - started)


def run() -> list[Figure]:
    """Measure logins/s through the login page against Argon2id on every core, and check_password alone."""
    database = os.environ["BENCH_DATABASE"]
    duration = seconds(10)
    port = free_port()
    with running(gunicorn(env=portal_env(database=database), port=port)):
        status, headers, body = get(port, LOGIN_PATH)
        cookie = headers.get("set-cookie", "").split(";", 1)[0]
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or not cookie.startswith("csrftoken=") or found is None:
            raise RuntimeError(f"the login page answered {status} without a CSRF token")
        token = found.group(1)
        lines = [
            (
                LOGIN_PATH,
                cookie,
                urllib.parse.urlencode(
                    {"csrfmiddlewaretoken": token, "candidate_id": candidate_id("REL", n), "password": PASSWORD}
                ),
            )
            for n in range(PAGE_USERS)
        ]
        os.environ["WRK_CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        wrk(base_url=f"http://127.0.0.1:{port}", lines=lines, connections=CONNECTIONS, seconds=2, method="POST")
        logins = wrk(
            base_url=f"http://127.0.0.1:{port}", lines=lines, connections=CONNECTIONS, seconds=duration, method="POST"
        )
    say(f"login page: {logins.describe()}")
    floor = argon2_per_second_all_cores(duration)
    say(f"argon2id verify on {CORES} cores: {floor:,.1f}/s")
    errors = logins.errors(ok=(302,))

    from accounts.hashers import Argon2idOWASPHasher

    encoded = make_password(PASSWORD, hasher="argon2")
    bare = _hasher()
    raw = bare.hash(PASSWORD)
    ours_check = rate(lambda: check_password(PASSWORD, encoded), seconds=3)
    floor_check = rate(lambda: bare.verify(raw, PASSWORD), seconds=3)
    hasher = Argon2idOWASPHasher()
    params = f"m={hasher.memory_cost // 1024} MiB t={hasher.time_cost} p={hasher.parallelism}"
    return [
        Figure(
            f"login through /results/login/ (Argon2id {params}), {CONNECTIONS} concurrent, {errors} errors",
            "/s",
            logins.statuses.get(302, 0) / logins.seconds,
            floor,
            target=f"≥ {TARGET:g} × bare Argon2id, 0 errors",
            met=logins.statuses.get(302, 0) / logins.seconds >= TARGET * floor and errors == 0,
        ),
        Figure(
            f"password check in-process (Django check_password vs one Argon2id verify, {params})",
            "/s",
            ours_check,
            floor_check,
        ),
    ]
