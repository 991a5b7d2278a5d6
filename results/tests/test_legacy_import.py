"""Legacy results end to end in the domain: import of raw paper marks, grading, release, statistics."""

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exams.models import Component, Exam
from results.imports import results_import
from results.legacy import legacy_results_import
from results.models import ComponentScore, Result
from results.presentation import result_view
from results.selectors import grade_statistics
from results_portal.csvimport import ImportRejected

from .legacy_data import (
    DELTA_MARKS,
    FIRST_MARKS,
    delta_2016_session,
    first_2013_session,
    legacy_csv,
    legacy_entry,
)

pytestmark = pytest.mark.django_db


def test_a_first_2013_result_is_weighted_to_40_graded_and_profiled() -> None:
    entry = legacy_entry(first_2013_session())

    summary = legacy_results_import(text=legacy_csv(entry, FIRST_MARKS))

    result = Result.objects.get(entry=entry)
    assert summary.created == 1
    # 19×40/40 + 31×40/40 + 35×40/42 + 24×40/30 + 8×40/20 = 19 + 31 + 33⅓ + 32 + 16 = 131⅓: Grade C (120–150).
    assert (result.grade, result.cefr_level, result.certificate) == ("Grade C", "B2", True)
    # Standardised: 60 + (131⅓ − 120) × (75 − 60) / (150 − 120) = 65⅔ → 66.
    assert result.overall_score == 66
    profiles = dict(ComponentScore.objects.filter(result=result).values_list("component__code", "unit_grade"))
    # 47.5 % → 48 Borderline, 77.5 % → 78 Good, 83 % Exceptional, 80 % Exceptional, 40 % Weak.
    assert profiles == {
        "paper1": "Borderline",
        "paper2": "Good",
        "paper3": "Exceptional",
        "paper4": "Exceptional",
        "paper5": "Weak",
    }


def test_the_one_presentation_shows_a_legacy_first_result_as_an_old_style_result() -> None:
    entry = legacy_entry(first_2013_session())
    legacy_results_import(text=legacy_csv(entry, FIRST_MARKS))
    result = Result.objects.select_related("entry__session__exam", "entry__person", "entry__centre").get(entry=entry)

    view = result_view(result=result)

    assert view.legacy and not view.scale
    assert (view.result, view.overall_display) == ("Grade C", "66")
    assert [(line.label, line.display) for line in view.components] == [
        ("Paper 1 Reading", "Borderline"),
        ("Paper 2 Writing", "Good"),
        ("Paper 3 Use of English", "Exceptional"),
        ("Paper 4 Listening", "Exceptional"),
        ("Paper 5 Speaking", "Weak"),
    ]


def test_a_delta_module_one_result_is_graded_on_its_total_of_200() -> None:
    entry = legacy_entry(delta_2016_session())

    legacy_results_import(text=legacy_csv(entry, DELTA_MARKS))

    result = Result.objects.get(entry=entry)
    # 72 + 61 = 133 of 200: Pass with Merit (130–149); Delta has no standardised score and no CEFR level.
    assert (result.grade, result.overall_score, result.cefr_level, result.certificate) == (
        "Pass with Merit",
        None,
        "",
        True,
    )


def test_a_total_below_the_lowest_threshold_is_a_fail() -> None:
    entry = legacy_entry(delta_2016_session())

    legacy_results_import(text=legacy_csv(entry, {"paper1": 50, "paper2": 49}))

    assert Result.objects.get(entry=entry).grade == "Fail"


def test_a_legacy_result_is_counted_in_the_grade_statistics() -> None:
    session = delta_2016_session()
    entries = [legacy_entry(session) for _ in range(2)]
    text = "".join(legacy_csv(e, DELTA_MARKS).split("\n", 1)[1] for e in entries)
    legacy_results_import(text="candidate_id,exam_code,session_date,component,score\n" + text)

    counts = [(c.exam_code, c.year, c.grade, c.count) for c in grade_statistics()]

    assert ("DELTA1", 2016, "Pass with Merit", 2) in counts


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("{id},DELTA1,2016-06-01,paper1,101", "score", "mark 101 is out of range for Paper 1 (0–100)"),
        ("{id},DELTA1,2016-06-01,paper3,10", "component", "'paper3' is not a component of Delta Module One"),
        ("{id},DELTA1,2016-06-01,paper1,x", "score", "'x' is not a whole number"),
        ("{id},FCE,2016-06-01,paper1,10", "session_date", "B2 First on 2016-06-01 is not graded from raw paper marks"),
    ],
)
def test_each_bad_line_is_named_and_nothing_is_written(line: str, column: str, message: str) -> None:
    entry = legacy_entry(delta_2016_session())
    text = "candidate_id,exam_code,session_date,component,score\n" + line.format(id=entry.candidate_id) + "\n"

    with pytest.raises(ImportRejected) as rejected:
        legacy_results_import(text=text)

    assert any(e.line == 2 and e.column == column and message in e.message for e in rejected.value.errors)
    assert not Result.objects.exists()


def test_a_missing_paper_and_missing_board_figures_are_named() -> None:
    delta = legacy_entry(delta_2016_session())
    first_session = first_2013_session()
    Component.objects.filter(exam__code="FCE", code="paper3").update(max_mark=None)
    first = legacy_entry(first_session)
    text = legacy_csv(delta, {"paper1": 70}) + legacy_csv(first, FIRST_MARKS).split("\n", 1)[1]

    with pytest.raises(ImportRejected) as rejected:
        legacy_results_import(text=text)

    messages = {(e.line, e.column): e.message for e in rejected.value.errors}
    assert "has no mark for paper2" in messages[(2, "component")]
    assert "has not entered the maximum mark of Paper 3 Use of English" in messages[(5, "component")]
    assert not Result.objects.exists()


def test_a_session_without_the_boards_thresholds_is_refused() -> None:
    entry = legacy_entry(first_2013_session())
    entry.session.boundary_tables.filter(kind="aggregate").delete()

    with pytest.raises(ImportRejected) as rejected:
        legacy_results_import(text=legacy_csv(entry, FIRST_MARKS))

    assert "has not entered the aggregate grade thresholds" in rejected.value.errors[0].message


def test_the_command_imports_and_reports(tmp_path: Any, capsys: Any) -> None:
    entry = legacy_entry(delta_2016_session())
    path = tmp_path / "legacy.csv"
    path.write_text(legacy_csv(entry, DELTA_MARKS))

    call_command("import_legacy_results", str(path))

    assert "1 results created" in capsys.readouterr().out
    path.write_text(legacy_csv(entry, {"paper1": 500, "paper2": 1}))
    with pytest.raises(CommandError):
        call_command("import_legacy_results", str(path))


def test_the_catalogue_holds_the_legacy_exams_and_first_papers() -> None:
    delta = Exam.objects.get(code="DELTA1")
    assert list(delta.components.values_list("code", "max_mark")) == [("paper1", 100), ("paper2", 100)]
    assert Exam.objects.get(code="ILEC").offered_until.isoformat() == "2016-12-09"
    assert Exam.objects.get(code="ICFE").offered_until.isoformat() == "2016-12-31"
    assert list(Exam.objects.get(code="FCE").components.filter(kind="paper").values_list("code", flat=True)) == [
        "paper1",
        "paper2",
        "paper3",
        "paper4",
        "paper5",
    ]


def test_import_results_sends_a_legacy_sitting_to_the_legacy_import() -> None:
    entry = legacy_entry(first_2013_session())
    text = f"candidate_id,exam_code,session_date,component,score\n{entry.candidate_id},FCE,2013-06-12,reading,176\n"

    with pytest.raises(ImportRejected) as rejected:
        results_import(text=text)

    (error,) = rejected.value.errors
    assert (error.line, error.column) == (2, "session_date")
    assert "graded from raw paper marks: import its papers with import_legacy_results" in error.message


def test_the_legacy_import_query_count_does_not_grow_with_rows() -> None:
    session = first_2013_session()
    small = [legacy_entry(session) for _ in range(2)]
    large = [legacy_entry(session) for _ in range(40)]

    def text(entries: list[Any]) -> str:
        return "candidate_id,exam_code,session_date,component,score\n" + "".join(
            legacy_csv(e, FIRST_MARKS).split("\n", 1)[1] for e in entries
        )

    with CaptureQueriesContext(connection) as few:
        legacy_results_import(text=text(small))
    with CaptureQueriesContext(connection) as many:
        legacy_results_import(text=text(large))
    assert Result.objects.count() == 42
    assert len(many.captured_queries) == len(few.captured_queries) <= 20
