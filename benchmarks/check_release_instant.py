"""The release instant: 500 logged-in candidates ask for their statement as the window opens.

``check_release_soak`` runs the same scenario with 2 000 candidates, the web tier (5 sync workers) far past
its limit: it must still answer everyone, with no error and nothing early (no time goal).

The results are ready as after an import: their first views were drawn ahead, as the workers do when an import
makes results ready (``web.candidate.prerender``; the data set writes its rows without the import's event). Each
simulated candidate logs in through the real login page beforehand. The session's window is then moved to open a
few seconds ahead, on a whole second (``results_reschedule``, as the admin does when a window is edited), and the
event it records is handled at once, as a worker does (``result_event_dispatch``). From one second before the
instant, every candidate asks for their statement and asks again at once until they see it (a person pressing
reload), for at most ``PATIENCE`` seconds after the instant.

What must hold: no 5xx and no failed connection; no answer with the result before the instant; every request
sent after the instant gets the result; everyone sees their statement. The server's time of each answer is
taken from this machine's clock (client and server share it): a 200 received before the instant was produced
before it. The ``Date`` header (whole seconds) is checked as well: a 200 dated before the instant's second is
early.
"""

import asyncio
import datetime as dt
import email.utils
import math
import os
import re
import time
import urllib.parse

from .core import Check
from .data import INSTANT_COUNT, PASSWORD, candidate_id
from .http_async import Answer, request
from .infra import free_port, gunicorn, portal_env, running, say

LEAD_SECONDS = 4.0
EARLY_START = 1.0
PATIENCE = 20.0
LOGIN_CONCURRENCY = 8
MARGIN = 0.005  # a request sent within 5 ms after the instant may have been read by the server before it
GOAL_SECONDS = 2.0  # 99 % of the candidates see their statement within this long after the instant


async def _login_all(port: int, count: int) -> dict[str, str]:
    """Log ``count`` INS candidates in through /results/login/; return their session cookies by Candidate ID."""
    page = await request(port, "GET", "/results/login/")
    csrf_cookie = next(c.split(";", 1)[0] for c in page.headers.get("set-cookie", []) if c.startswith("csrftoken="))
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    if found is None:
        raise RuntimeError("no CSRF token on the login page")
    gate = asyncio.Semaphore(LOGIN_CONCURRENCY)
    cookies: dict[str, str] = {}

    async def one(cid: str) -> None:
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": found.group(1), "candidate_id": cid, "password": PASSWORD}
        )
        async with gate:
            answer = await request(
                port,
                "POST",
                "/results/login/",
                headers={"Cookie": csrf_cookie, "Content-Type": "application/x-www-form-urlencoded"},
                body=form,
            )
        session = [c.split(";", 1)[0] for c in answer.headers.get("set-cookie", []) if c.startswith("sessionid=")]
        if answer.status != 302 or not session:
            raise RuntimeError(f"login of {cid} answered {answer.status} {answer.error}")
        cookies[cid] = session[0]

    await asyncio.gather(*(one(candidate_id("INS", n)) for n in range(count)))
    return cookies


async def _candidate(port: int, path: str, cookie: str, *, start: float, stop: float) -> list[Answer]:
    await asyncio.sleep(max(0.0, start - time.time()))
    answers: list[Answer] = []
    while time.time() < stop:
        answer = await request(port, "GET", path, headers={"Cookie": cookie})
        answers.append(answer)
        if answer.status == 200 or answer.status >= 500 or answer.error:
            break
    return answers


def _date(answer: Answer) -> float:
    parsed = email.utils.parsedate_to_datetime(answer.header("date")) if answer.header("date") else None
    return parsed.timestamp() if parsed else math.nan


def run() -> list[Check]:
    """Run the release-instant scenario for 500 candidates: no error, nothing early, 99 % within 2 s."""
    return release_instant(count=INSTANT_COUNT, goal_seconds=GOAL_SECONDS, name="release instant")


def release_instant(*, count: int, goal_seconds: float | None, name: str) -> list[Check]:
    """Run the release-instant scenario for ``count`` candidates and return what was observed."""
    from centres.models import Entry
    from exams.models import ExamSession
    from results.events import result_event_dispatch
    from results.models import Result, ResultEvent
    from results.services import results_reschedule
    from web.candidate.prerender import pages_prerender

    database = os.environ["BENCH_DATABASE"]
    port = free_port()
    entries = dict(Entry.objects.filter(candidate_id__startswith="INS").values_list("candidate_id", "public_id"))
    began = time.time()
    ready = Result.objects.filter(entry__candidate_id__startswith="INS").values_list("pk", flat=True)
    drawn = pages_prerender(result_ids=ready)
    say(f"{name}: {drawn} pages drawn ahead, as after the import ({time.time() - began:.1f} s)")
    with running(gunicorn(env=portal_env(database=database), port=port)):
        began = time.time()
        cookies = asyncio.run(_login_all(port, count))
        logins = len(cookies) / (time.time() - began)
        say(f"{name}: {len(cookies)} candidates logged in through the login page ({logins:.1f}/s)")
        instant = math.ceil(time.time() + LEAD_SECONDS)
        session = ExamSession.objects.get(entries__candidate_id=candidate_id("INS", 0))
        session.window_start = dt_from(instant)
        session.save(update_fields=["window_start"])
        moved = results_reschedule(session=session)
        rescheduled = time.time()
        event = ResultEvent.objects.filter(kind=ResultEvent.Kind.RESCHEDULED).latest("pk")
        result_event_dispatch(event_id=event.pk)
        say(
            f"{name}: {moved} results now visible from {time.strftime('%H:%M:%S', time.localtime(instant))} "
            f"(moved {instant - rescheduled:.2f} s ahead; its event handled in {time.time() - rescheduled:.2f} s)"
        )

        async def everyone() -> list[list[Answer]]:
            return await asyncio.gather(
                *(
                    _candidate(
                        port, f"/results/{entries[cid]}/", cookie, start=instant - EARLY_START, stop=instant + PATIENCE
                    )
                    for cid, cookie in cookies.items()
                )
            )

        histories = asyncio.run(everyone())
    answers = [a for history in histories for a in history]
    failures = [a for a in answers if a.error or a.status >= 500]
    early = [a for a in answers if a.status == 200 and (a.received < instant or _date(a) < instant)]
    hidden_late = [a for a in answers if a.status != 200 and a.sent > instant + MARGIN and not a.error]
    leaked = [a for a in answers if a.status == 404 and "Grade B" in a.body]
    served = sum(1 for history in histories if history and history[-1].status == 200)
    before = sum(1 for a in answers if a.received < instant)
    waits = sorted(history[-1].received - instant for history in histories if history and history[-1].status == 200)
    p99_wait = waits[min(len(waits) - 1, math.ceil(0.99 * len(waits)) - 1)] if waits else math.nan
    statuses: dict[int, int] = {}
    for a in answers:
        statuses[a.status] = statuses.get(a.status, 0) + 1
    detail = (
        f"{len(cookies)} candidates, {len(answers):,} requests ({before:,} answered before the instant), statuses "
        f"{dict(sorted(statuses.items()))}; 5xx/connection errors {len(failures)}; results shown early "
        f"{len(early)}; hidden after the instant {len(hidden_late)}; result text in a 404 {len(leaked)}; "
        f"{served}/{len(cookies)} saw their statement, 99% within {p99_wait:.2f} s of the instant "
        "(server time = this machine's clock, shared by client and server; Date header checked too)"
    )
    say(f"{name}: {detail}")
    if failures:
        say(f"{name}: first failure: {failures[0].status} {failures[0].error} {failures[0].body[:300]}")
    on_time = goal_seconds is None or p99_wait <= goal_seconds
    passed = not failures and not early and not hidden_late and not leaked and served == len(cookies) and on_time
    goal = f"99 % within {goal_seconds:g} s, " if goal_seconds is not None else ""
    return [
        Check(
            f"{name} ({count:,} candidates, 1 s early to {PATIENCE:.0f} s after; {goal}0 errors, 0 early)",
            passed,
            detail,
        )
    ]


def dt_from(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
