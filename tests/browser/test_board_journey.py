"""The board's results team, in the browser only: timetable, results upload with its dry run, release preview,
two-person approval of a bulk release of held results, and the live release progress."""

import datetime as dt
import re
from pathlib import Path

from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from centres.tests.factories import EntryFactory
from exams.models import ExamSession
from results.models import Result
from results.tests.factories import FCE_SCORES

from .helpers import BROWSER_DB, Journey

pytestmark = [BROWSER_DB]


def _board_user(email: str) -> tuple[str, str]:
    """A board superuser with an authenticator of its own; return (username, current code)."""
    user = UserFactory(username=email, email=email, is_staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return email, f"{totp(device.bin_key):06d}"


def _log_in(page: Page, username: str, code: str) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_label("Authentication code").fill(code)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def test_results_team_from_an_empty_session_to_released_results(
    page: Page, browser: Browser, journey: Journey, live_server: LiveServer, tmp_path: Path
) -> None:
    first, first_code = _board_user("results-lead@board.example")
    second, second_code = _board_user("results-check@board.example")
    _log_in(page, first, first_code)

    # 1. The timetable: a paper session whose release window opened yesterday.
    day = timezone.localdate() - dt.timedelta(days=36)
    timetable = tmp_path / "timetable.csv"
    timetable.write_text(f"exam_code,session_date,mode\nXYZ,{day},paper\nFCE,{day},paper\n", encoding="utf-8")
    page.goto("/admin/exams/examsession/")
    page.get_by_role("link", name="Import a timetable (CSV)").click()
    page.get_by_label("Timetable file (CSV, UTF-8)").set_input_files(str(timetable))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("line 2, column exam_code: unknown exam code 'XYZ'")
    journey.step(page, "timetable with a bad line", check=False)
    assert not ExamSession.objects.filter(date=day).exists()
    timetable.write_text(f"exam_code,session_date,mode\nFCE,{day},paper\n", encoding="utf-8")
    page.get_by_label("Timetable file (CSV, UTF-8)").set_input_files(str(timetable))
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".messagelist")).to_contain_text("1 sessions created")
    session = ExamSession.objects.get(exam__code="FCE", date=day, mode="paper")

    # Centres entered three candidates (their own journey: tests/browser/test_centre_journey.py).
    entries = [EntryFactory(session=session) for _ in range(3)]

    # 2. The results file: checked first, imported on the second click.
    results = tmp_path / "results.csv"
    lines = ["candidate_id,exam_code,session_date,component,score"]
    lines += [f"{e.candidate_id},FCE,{day},{skill},{score}" for e in entries for skill, score in FCE_SCORES.items()]
    results.write_text("\n".join(lines) + "\n", encoding="utf-8")
    page.goto("/admin/results/result/")
    page.get_by_role("link", name="Upload results (checked first)").click()
    page.get_by_label(re.compile("Results file")).set_input_files(str(results))
    page.get_by_role("button", name="Check this file").click()
    expect(page.get_by_text("3 results created, 0 replaced before release, 0 amended after release")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("share of each result"))).to_be_visible()
    journey.step(page, "dry run preview", check=False)
    assert not Result.objects.exists()
    page.get_by_role("button", name="Import these results").click()
    expect(page.get_by_role("status")).to_contain_text("3 results created")
    assert Result.objects.filter(entry__session=session).count() == 3
    journey.step(page, "imported", check=False)

    # 3. Two results are held, then released again in bulk: that waits for a second board user.
    page.goto("/admin/results/result/")
    for entry in entries[:2]:
        page.get_by_role("row").filter(has_text=entry.candidate_id).get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option("hold")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("Reason").fill("marking query from the examiner")
    page.get_by_role("button", name="Hold results").click()
    expect(page.locator(".messagelist")).to_contain_text("2 result(s)")
    assert Result.objects.filter(status="held").count() == 2
    for entry in entries[:2]:
        page.get_by_role("row").filter(has_text=entry.candidate_id).get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option("unhold")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("Reason").fill("query answered: marks confirmed")
    page.get_by_role("button", name="Release held results").click()
    expect(page.locator(".messagelist")).to_contain_text("needs a second board user")
    assert Result.objects.filter(status="held").count() == 2

    checker = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    other = checker.new_page()
    _log_in(other, second, second_code)
    other.goto("/admin/accounts/approval/")
    other.get_by_role("row").filter(has_text="Release 2 held results again").get_by_role("checkbox").check()
    other.locator("select[name=action]").select_option("approve")
    other.get_by_role("button", name="Go").click()
    expect(other.locator(".messagelist")).to_contain_text("Approved and applied")
    journey.step(other, "second board user approved", check=False)
    checker.close()
    assert not Result.objects.filter(status="held").exists()

    # 4. The release preview and the session's live progress.
    page.goto("/admin/results/result/release-preview/")
    expect(page.get_by_role("row").filter(has_text=str(session))).to_be_visible()
    journey.step(page, "release preview", check=False)
    page.get_by_role("row").filter(has_text=str(session)).get_by_role("link", name="progress").click()
    expect(page.get_by_text(re.compile(r"3 of 3 results visible"))).to_be_visible()
    journey.step(page, "release progress", check=False)
