"""The PostgreSQL write path (COPY, array look-ups) stores exactly what the ORM path (SQLite, ``make run``) stores."""

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from centres.services import unit_entries_set
from centres.tests.factories import EntryFactory, ExamSessionFactory
from results import importing
from results.imports import RESULT_COLUMNS, results_import
from results.models import ComponentScore, Result, ResultAmendment
from results.tests.factories import UK, unitised_qualification, unitised_series

# The COPY path is PostgreSQL's; the test settings never run on anything else.
pytestmark = [pytest.mark.django_db]

SKILLS = ("reading", "use_of_english", "writing", "listening", "speaking")
GROUP_SIZE = 30  # 150 lines a path


@pytest.fixture
def orm_path(monkeypatch: pytest.MonkeyPatch) -> Callable[[], Any]:
    """Return a context manager in which the import takes the path it takes on SQLite."""

    @contextmanager
    def on() -> Iterator[None]:
        with monkeypatch.context() as patch:
            patch.setattr(importing, "_postgresql", lambda: False)
            yield

    return on


def _fce_csv(entries: list[Any], *, shift: int) -> str:
    """Return a file with different scores for each entry, from the bottom of the scale (no result) to the top."""
    lines = [",".join(RESULT_COLUMNS)]
    for number, entry in enumerate(entries):
        for index, skill in enumerate(SKILLS):
            score = 80 + (number * 37 + index * 11 + shift) % 111
            lines.append(f"{entry.candidate_id},FCE,{entry.session.date},{skill},{score}")
    return "\n".join(lines) + "\n"


def _stored(entries: list[Any]) -> list[dict[str, Any]]:
    """Return each entry's result, component scores and amendments as stored, without ids."""
    stored = []
    for entry in entries:
        result = Result.objects.get(entry=entry)
        row = model_to_dict(result, exclude=["id", "entry"])
        row["scores"] = [model_to_dict(s, exclude=["id", "result"]) for s in result.component_scores.all()]
        row["amendments"] = [model_to_dict(a, exclude=["id", "result"]) for a in result.amendments.all()]
        stored.append(row)
    return stored


def _counts(summary: importing.ResultsImportSummary) -> tuple[int, int, int, int]:
    return summary.created, summary.replaced, summary.amended, summary.unchanged


def test_new_replaced_and_amended_results_are_stored_alike(orm_path: Callable[[], Any]) -> None:
    session = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=3), mode="paper")
    entries = [EntryFactory(session=session) for _ in range(2 * GROUP_SIZE)]
    copied, orm = entries[:GROUP_SIZE], entries[GROUP_SIZE:]
    before_release = session.window_start - dt.timedelta(days=1)
    after_release = session.window_start + dt.timedelta(days=1)

    # COPY first: the ORM's inserts after it show the ids taken from the sequence are not handed out again.
    for shift, now in [(0, before_release), (5, before_release), (9, after_release)]:
        copied_summary = results_import(text=_fce_csv(copied, shift=shift), now=now)
        with orm_path():
            orm_summary = results_import(text=_fce_csv(orm, shift=shift), now=now)

        assert _counts(copied_summary) == _counts(orm_summary)
        assert _stored(copied) == _stored(orm)

    assert _counts(copied_summary) == (0, 0, GROUP_SIZE, 0)
    assert {r.version for r in Result.objects.all()} == {2}
    assert ResultAmendment.objects.count() == 2 * GROUP_SIZE
    assert all(a.at is not None and a.after["components"] for a in ResultAmendment.objects.all())
    public_ids = set(Result.objects.values_list("public_id", flat=True))
    assert len(public_ids) == 2 * GROUP_SIZE and {u.version for u in public_ids} == {4}


def test_what_an_import_does_not_set_is_the_models_default(orm_path: Callable[[], Any]) -> None:
    session = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=3), mode="paper")
    copied, orm = [EntryFactory(session=session) for _ in range(3)], [EntryFactory(session=session) for _ in range(3)]

    results_import(text=_fce_csv(copied, shift=0))
    with orm_path():
        results_import(text=_fce_csv(orm, shift=0))

    for result in Result.objects.filter(entry__in=copied + orm):
        graded = ("entry", "overall_score", "grade", "cefr_level", "certificate")
        instants = ("ready_at", "released_at", "centre_released_at")
        made = Result(**{name: getattr(result, name) for name in graded + instants})
        assert model_to_dict(result, exclude=["id"]) == model_to_dict(made, exclude=["id"])
        for score in result.component_scores.all():
            made_score = ComponentScore(result=result, component=score.component, score=score.score)
            assert model_to_dict(score, exclude=["id"]) == model_to_dict(made_score, exclude=["id"])


def test_unit_scores_with_special_consideration_are_stored_alike(orm_path: Callable[[], Any]) -> None:
    exam = unitised_qualification()
    june = unitised_series(exam)
    copied, orm = EntryFactory(session=june), EntryFactory(session=june)
    for entry in (copied, orm):
        unit_entries_set(entry=entry, unit_codes=["F240", "F241", "F242"], actor=None)
    header = ",".join([*RESULT_COLUMNS, "consideration_tariff", "consideration_marks", "absent"])
    rows = [("F240", 45, "2.5", "1", "no"), ("F241", 8, "", "", "yes"), ("F242", 19, "0", "0", "")]

    def unit_csv(entry: Any) -> str:
        lines = [f"{entry.candidate_id},{exam.code},{june.date},{','.join(map(str, row))}" for row in rows]
        return "\n".join([header, *lines]) + "\n"

    now = dt.datetime(2026, 8, 1, 9, 0, tzinfo=UK)
    results_import(text=unit_csv(copied), now=now)
    with orm_path():
        results_import(text=unit_csv(orm), now=now)

    assert _stored([copied]) == _stored([orm])
    scores = _stored([copied])[0]["scores"]
    assert [
        (s["ums"], s["unit_grade"], str(s["consideration_tariff"]), s["calculated_for_absence"]) for s in scores
    ] == [
        (85, "distinction", "2.5", False),
        (80, "distinction", "None", True),
        (38, "U", "0.0", False),
    ]


def test_look_ups_are_one_query_each_however_many_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Array look-ups: no ``IN`` list per few thousand candidates, so the queries do not grow with the file."""
    monkeypatch.setattr(importing, "LOOKUP_CHUNK_SIZE", 2)  # IN lists would take a query per two entries
    session = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=3), mode="paper")
    few, many = [EntryFactory(session=session) for _ in range(2)], [EntryFactory(session=session) for _ in range(40)]
    counts: list[int] = []
    for entries in (few, many, few, many):  # new results, then replaced ones (locks, old scores, deletes)
        with CaptureQueriesContext(connection) as queries:
            results_import(text=_fce_csv(entries, shift=len(counts)))
        counts.append(len(queries))

    assert counts[0] == counts[1] and counts[2] == counts[3]
