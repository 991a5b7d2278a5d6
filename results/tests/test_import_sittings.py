"""The results import looks a sitting up once (its format, legacy or not) and a candidate's lines once, grades each
result with its own sitting's format, still names every bad line, and takes the same queries for 3 candidates or
30 (docs/domain.md §5.9, §14)."""

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from centres.models import Entry
from centres.tests.factories import EntryFactory, ExamSessionFactory
from exams.models import Exam
from results import imports
from results.imports import RESULT_COLUMNS, ImportRejected, results_import
from results.models import ComponentScore, Result

pytestmark = pytest.mark.django_db

HEADER = ",".join(RESULT_COLUMNS)
KET_PAPERS = ("reading_and_writing", "listening", "speaking")  # three papers from 2016 on (docs/domain.md §5.9)


def _entries(code: str, date: dt.date, count: int) -> list[Entry]:
    session = ExamSessionFactory(exam=Exam.objects.get(code=code), date=date, mode="paper")
    return [EntryFactory(session=session) for _ in range(count)]


def _lines(entries: list[Entry], scores: dict[str, int]) -> list[str]:
    return [
        f"{entry.candidate_id},{entry.session.exam.code},{entry.session.date},{skill},{score}"
        for entry in entries
        for skill, score in scores.items()
    ]


def _counting(monkeypatch: pytest.MonkeyPatch, name: str) -> Counter[Any]:
    """Count the calls the import makes to its function ``name``, by the arguments they name a sitting with."""
    calls: Counter[Any] = Counter()
    real = getattr(imports, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[(*args, *sorted(kwargs.items()))] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, name, counted)
    return calls


def test_each_sitting_is_looked_up_once_and_graded_with_its_own_format(monkeypatch: pytest.MonkeyPatch) -> None:
    old = _entries("KET", dt.date(2019, 6, 15), 4)
    new = _entries("KET", timezone.localdate() - dt.timedelta(days=40), 4)
    first = _entries("FCE", timezone.localdate() - dt.timedelta(days=40), 4)
    formats = _counting(monkeypatch, "scale_exam")
    legacy = _counting(monkeypatch, "legacy_format")
    # Reading and Writing counts twice in both: 2019 (2 × 136 + 137 + 135) / 4 = 136, Pass with Merit (the names
    # before 2020); 2020 (2 × 132 + 134 + 135) / 4 = 133.25 → 133, Grade B. First: 878 / 5 = 175.6 → 176, Grade B.
    lines = [
        *_lines(old, dict(zip(KET_PAPERS, (136, 137, 135), strict=True))),
        *_lines(new, dict(zip(KET_PAPERS, (132, 134, 135), strict=True))),
        *_lines(first, {"reading": 176, "use_of_english": 181, "writing": 169, "listening": 172, "speaking": 180}),
    ]

    summary = results_import(text="\n".join([HEADER, *sorted(lines)]) + "\n")

    assert summary.created == 12
    assert sorted(formats.values()) == [1, 1, 1]  # KET 2019, KET 2020, FCE: once each, not once a line
    assert sorted(legacy.values()) == [1, 1, 1]
    graded = {
        (entry.session.date.year, entry.session.exam.code, r.overall_score, r.grade, r.cefr_level, r.certificate)
        for entry in old + new + first
        for r in [Result.objects.get(entry=entry)]
    }
    assert graded == {
        (2019, "KET", 136, "Pass with Merit", "A2", True),
        (new[0].session.date.year, "KET", 133, "Grade B", "A2", True),
        (first[0].session.date.year, "FCE", 176, "Grade B", "B2", True),
    }
    assert ComponentScore.objects.count() == 4 * 3 + 4 * 3 + 4 * 5


def test_every_line_of_a_candidate_that_does_not_fit_is_named() -> None:
    (entry,) = _entries("FCE", timezone.localdate() - dt.timedelta(days=40), 1)
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.WITHDRAWN)
    text = "\n".join(
        [
            HEADER,
            f"{entry.candidate_id},FCE,{entry.session.date},reading,170",
            f"NOB000001,FCE,{entry.session.date},reading,170",
            f"{entry.candidate_id},FCE,{entry.session.date},writing,170",
            f"nob000001,FCE,{entry.session.date},writing,170",
            f"{entry.candidate_id},CAE,{entry.session.date},writing,170",
        ]
    )

    with pytest.raises(ImportRejected) as rejected:
        results_import(text=text + "\n")

    withdrawn = f"Candidate ID {entry.candidate_id} is withdrawn from this exam"
    assert [str(error) for error in rejected.value.errors] == [
        f"line 2, column candidate_id: {withdrawn}",
        "line 3, column candidate_id: unknown Candidate ID NOB000001",
        f"line 4, column candidate_id: {withdrawn}",
        "line 5, column candidate_id: unknown Candidate ID NOB000001",
        f"line 6, column candidate_id: {withdrawn}",
    ]
    assert not Result.objects.exists()


def test_a_line_after_a_good_line_of_the_same_candidate_is_checked_column_by_column() -> None:
    (entry,) = _entries("FCE", timezone.localdate() - dt.timedelta(days=40), 1)
    cid, date = entry.candidate_id, entry.session.date
    text = "\n".join(
        [
            f"{HEADER},status",
            f"{cid},FCE,{date},reading,170,",
            f"{cid},FCE,{date},,170,late",  # its own columns: component, then status
            f"{cid},FCE,{date},writing,,",
            f"{cid.lower()},FCE,{date},listening,abc,",  # the Candidate ID written otherwise: checked afresh
            f"{cid},FCE,{date},grammar,170,",
            f"{cid},FCE,2026-02-30,speaking,170,",  # another date as written: checked afresh
        ]
    )

    with pytest.raises(ImportRejected) as rejected:
        results_import(text=text + "\n")

    assert [str(error) for error in rejected.value.errors] == [
        f"line 2, column component: Candidate ID {cid} has no use_of_english, writing, speaking score: every "
        "component of B2 First is needed",
        "line 3, column component: this value must not be empty",
        "line 3, column status: 'late' is not a status: leave it empty, or write absent, pending or withheld",
        "line 4, column score: a score is needed, or a status: absent, pending or withheld",
        "line 5, column score: 'abc' is not a whole number",
        "line 6, column component: 'grammar' is not a component of B2 First (its components are reading, "
        "use_of_english, writing, listening, speaking)",
        "line 7, column session_date: 2026-02-30 is not a real date",
    ]


def test_an_import_takes_the_same_queries_for_3_candidates_or_30() -> None:
    date = timezone.localdate() - dt.timedelta(days=40)
    few, many = _entries("FCE", date, 3), _entries("FCE", date, 30)
    scores = {"reading": 176, "use_of_english": 181, "writing": 169, "listening": 172, "speaking": 180}
    counts = []
    for entries in (few, many):
        text = "\n".join([HEADER, *_lines(entries, scores)]) + "\n"
        with CaptureQueriesContext(connection) as queries:
            results_import(text=text)
        counts.append(len(queries))

    # Reading: entries, their sessions with exams, exams, components, units. Writing (in a savepoint here, the test
    # being a transaction): results locked, components, ids from the sequence, the column types of each COPY, the
    # event and the audit row. The two COPYs themselves are not counted: they run on the driver's cursor.
    assert counts == [14, 14]
