"""Public grade statistics: released sessions only, small cells merged or the table withheld, chart and CSV."""

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from centres.tests.factories import EntryFactory, ExamSessionFactory
from results.models import Result
from results.tests.factories import result_for
from results_portal.tests.formula_cells import BOM_BYTES, FORMULA_CELLS

pytestmark = pytest.mark.django_db


def _results(session: Any, grade: str, n: int, **kwargs: Any) -> None:
    for _ in range(n):
        result_for(EntryFactory(session=session), released_at=session.window_start, grade=grade, **kwargs)


def test_a_small_result_is_merged_into_other_results_on_the_page_and_in_the_csv(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    closed = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=90))
    _results(closed, "Grade B", 12)
    _results(closed, "Grade C", 10, cefr="B2")
    _results(closed, "Grade A", 3, cefr="C1")

    with django_assert_max_num_queries(3):
        html = client.get("/statistics/").content.decode()

    assert "<td>12</td>" in html
    # Grade A alone would be named (and computable from the total): it is merged with the next smallest.
    assert "Grade A" not in html and "Grade C" not in html
    assert '<th scope="row">Other results</th><td>—</td><td>13</td>' in html
    assert '<th scope="row">Total</th><td></td><td>25</td>' in html
    assert 'role="img"' in html
    rows = client.get("/statistics/grade-statistics.csv").content.decode("utf-8-sig").splitlines()
    assert rows[0] == "exam_code,exam_name,year,result,cefr_level,candidates"
    assert [r.split(",", 3)[3] for r in rows[1:]] == ["Grade B,B2,12", "Other results,,13", "Total,,25"]


def test_a_one_candidate_exam_shows_no_result_on_the_page_or_in_the_csv(client: Client) -> None:
    closed = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=90))
    _results(closed, "Grade A", 1, cefr="C1")

    html = client.get("/statistics/").content.decode()
    csv_text = client.get("/statistics/grade-statistics.csv").content.decode("utf-8-sig")

    assert "Fewer than 10 results — not shown." in html
    # The level as a word of its own: the page's CSRF token (letters and digits) may hold "C1" by chance.
    assert "Grade A" not in html and not re.search(r"\bC1\b", html) and 'role="img"' not in html
    assert "Grade A" not in csv_text and not re.search(r"\bC1\b", csv_text)
    assert csv_text.splitlines()[1].endswith(",Total,,<10")


def test_sessions_still_releasing_and_held_results_are_left_out(client: Client) -> None:
    open_window = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=36))
    _results(open_window, "Grade C", 15)
    closed = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=90))
    _results(closed, "Grade B", 11)
    Result.objects.filter(entry__session=closed).filter(
        pk__in=Result.objects.filter(entry__session=closed).values("pk")[:1]
    ).update(status=Result.Status.HELD, released_at=None)

    html = client.get("/statistics/").content.decode()

    assert "Grade C" not in html
    assert '<th scope="row">Grade B</th><td>B2</td><td>10</td>' in html


@pytest.mark.parametrize(("exam_name", "cell"), FORMULA_CELLS)
def test_statistics_csv_neutralises_an_exam_name_that_is_a_formula(client: Client, exam_name: str, cell: str) -> None:
    closed = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=90))
    closed.exam.name = exam_name
    closed.exam.save()
    _results(closed, "Grade B", 12)

    response = client.get("/statistics/grade-statistics.csv")

    assert response.content.startswith(BOM_BYTES)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert [(r["exam_code"], r["exam_name"], r["result"], r["candidates"]) for r in rows] == [
        ("FCE", cell, "Grade B", "12"),
        ("FCE", cell, "Total", "12"),
    ]
