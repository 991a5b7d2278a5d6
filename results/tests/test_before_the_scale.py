"""Sittings before the Cambridge English Scale are refused by the results import, never graded on the scale
(docs/domain.md §5.1, §6.4): each refusal names the line, the exam and the date, and import_legacy_results where
that import takes the sitting. Sittings on the scale import as before."""

import datetime as dt
from typing import Any

import pytest

from centres.tests.factories import EntryFactory, ExamSessionFactory
from exams.models import Exam
from results.imports import results_import
from results.legacy import legacy_results_import
from results.models import Result
from results_portal.csvimport import ImportRejected

pytestmark = pytest.mark.django_db

HEADER = "candidate_id,exam_code,session_date,component,score"
FIVE = {"reading": 176, "use_of_english": 181, "writing": 169, "listening": 172, "speaking": 180}
FOUR = {"reading": 140, "writing": 141, "listening": 139, "speaking": 142}


def _entry(code: str, day: dt.date) -> Any:
    return EntryFactory(session=ExamSessionFactory(exam=Exam.objects.get(code=code), date=day, mode="paper"))


def _lines(entry: Any, scores: dict[str, int]) -> list[str]:
    code, day = entry.session.exam.code, entry.session.date
    return [f"{entry.candidate_id},{code},{day},{component},{score}" for component, score in scores.items()]


def _problems(call: Any) -> list[str]:
    with pytest.raises(ImportRejected) as rejected:
        call()
    assert not Result.objects.exists()
    return [str(error) for error in rejected.value.errors]


def test_sittings_before_the_scale_are_refused_naming_line_exam_and_date() -> None:
    key_2013 = _entry("KET", dt.date(2013, 12, 7))
    first_2010 = _entry("FCE", dt.date(2010, 6, 12))
    advanced_2012 = _entry("CAE", dt.date(2012, 6, 16))
    first_2013 = _entry("FCE", dt.date(2013, 6, 12))
    business_2016 = _entry("BECV", dt.date(2016, 1, 30))
    # Whole results, as a file of the scale would give them: every line is refused on its own.
    lines = [
        *_lines(key_2013, FOUR),  # lines 2–5
        *_lines(first_2010, FIVE),  # lines 6–10
        *_lines(advanced_2012, FIVE),  # lines 11–15
        *_lines(first_2013, FIVE),  # lines 16–20
        *_lines(business_2016, FOUR),  # lines 21–24
    ]

    problems = _problems(lambda: results_import(text="\n".join([HEADER, *lines]) + "\n"))

    assert len(problems) == 23
    assert [problems[n] for n in (0, 3, 4, 9, 14, 19)] == [
        "line 2, column session_date: A2 Key on 2013-12-07 was sat before the exam was reported on the Cambridge "
        "English Scale (from 2016-02-01): the format of that sitting is not modelled, so its results cannot be "
        "imported",
        "line 5, column session_date: A2 Key on 2013-12-07 was sat before the exam was reported on the Cambridge "
        "English Scale (from 2016-02-01): the format of that sitting is not modelled, so its results cannot be "
        "imported",
        "line 6, column session_date: B2 First on 2010-06-12 was sat before the exam was reported on the Cambridge "
        "English Scale (from 2015-01-01) and before the raw-mark format import_legacy_results grades (from "
        "2011-03-01): the format of that sitting is not modelled, so its results cannot be imported",
        "line 11, column session_date: C1 Advanced on 2012-06-16 was sat before the exam was reported on the "
        "Cambridge English Scale (from 2015-01-01): the format of that sitting is not modelled, so its results "
        "cannot be imported",
        "line 16, column session_date: B2 First on 2013-06-12 is graded from raw paper marks: import its papers with "
        "import_legacy_results",
        "line 21, column session_date: B2 Business Vantage on 2016-01-30 was sat before the exam was reported on the "
        "Cambridge English Scale (from 2016-02-01): the format of that sitting is not modelled, so its results "
        "cannot be imported",
    ]
    assert [problem.split(",")[0] for problem in problems] == [f"line {n}" for n in range(2, 25)]


def test_the_legacy_import_refuses_them_too_rather_than_sending_them_back_to_import_results() -> None:
    key_2013 = _entry("KET", dt.date(2013, 12, 7))
    line = f"{key_2013.candidate_id},KET,2013-12-07,paper1,30"

    problems = _problems(lambda: legacy_results_import(text=f"{HEADER}\n{line}\n"))

    assert problems == [
        "line 2, column session_date: A2 Key on 2013-12-07 was sat before the exam was reported on the Cambridge "
        "English Scale (from 2016-02-01): the format of that sitting is not modelled, so its results cannot be "
        "imported"
    ]


@pytest.mark.parametrize(
    ("code", "day", "scores", "overall", "grade"),
    [
        # The first days on the scale import and grade as before (§5.4, §5.9).
        ("FCE", dt.date(2015, 1, 1), FIVE, 176, "Grade B"),
        (
            "CAE",
            dt.date(2015, 1, 1),
            {"reading": 200, "use_of_english": 201, "writing": 199, "listening": 202, "speaking": 198},
            200,
            "Grade A",
        ),
        # Key's three papers from its first day on the scale: (2 × 141 + 140 + 142) / 4 = 141.
        (
            "KET",
            dt.date(2016, 2, 1),
            {"reading_and_writing": 141, "listening": 140, "speaking": 142},
            141,
            "Pass with Distinction",
        ),
        (
            "BECV",
            dt.date(2016, 2, 1),
            {"reading": 175, "writing": 174, "listening": 176, "speaking": 173},
            175,
            "Grade B",
        ),
    ],
)
def test_sittings_on_the_scale_import_as_before(
    code: str, day: dt.date, scores: dict[str, int], overall: int, grade: str
) -> None:
    entry = _entry(code, day)

    results_import(text="\n".join([HEADER, *_lines(entry, scores)]) + "\n")

    result = Result.objects.get(entry=entry)
    assert (result.overall_score, result.grade) == (overall, grade)
