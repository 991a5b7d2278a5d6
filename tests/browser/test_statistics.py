"""The public grade statistics as a visitor sees them: no small result named, small exams without figures."""

import datetime as dt
from typing import Any

from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from centres.tests.factories import EntryFactory, ExamSessionFactory
from exams.models import Exam
from results.tests.factories import result_for

from .helpers import BROWSER_DB, Journey

pytestmark = [BROWSER_DB]


def _results(session: Any, grade: str, n: int, cefr: str) -> None:
    for _ in range(n):
        result_for(EntryFactory(session=session), released_at=session.window_start, grade=grade, cefr=cefr)


def test_small_results_are_merged_and_a_one_candidate_exam_shows_no_figures(
    page: Page, journey: Journey, live_server: LiveServer
) -> None:
    closed = timezone.localdate() - dt.timedelta(days=90)
    first = ExamSessionFactory(date=closed)
    _results(first, "Grade B", 12, "B2")
    _results(first, "Grade C", 10, "B2")
    _results(first, "Grade A", 3, "C1")
    lonely = ExamSessionFactory(exam=Exam.objects.get(code="CPE"), date=closed)
    _results(lonely, "Grade A", 1, "C2")

    page.goto("/statistics/")

    first_table = page.get_by_role("region", name=f"B2 First — {closed.year}")
    rows = first_table.get_by_role("table").get_by_role("row")
    expect(rows).to_have_text(
        ["Result CEFR level Candidates", "Grade B B2 12", "Other results — 13", "Total 25"], use_inner_text=True
    )
    expect(first_table.get_by_role("img")).not_to_contain_text("Grade A")
    lonely_section = page.get_by_role("region", name=f"C2 Proficiency — {closed.year}")
    expect(lonely_section).to_contain_text("Fewer than 10 results — not shown.")
    expect(lonely_section.get_by_role("table")).to_have_count(0)
    expect(page.get_by_role("main")).not_to_contain_text("Grade A")
    journey.step(page, "statistics with small results merged")
