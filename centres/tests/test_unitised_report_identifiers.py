"""The centre's unitised reports name students and series as the results files do (docs/domain.md §1.7, §13):
centre number, candidate number and UCI on the statement of marks, the results page, the paper copy, the cumulative
report and the special consideration CSV; a series by its date, so two sittings in one month stay apart."""

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from centres.models import Entry
from centres.services import certification_entry_create
from centres.tests.factories import EntryFactory
from centres.tests.test_unitised_pages import (
    BEFORE_RESULTS,
    RESULTS_WEEK,
    World,
    build_world,
    late_june_series,
    results_in,
    student,
    text_of,
    url,
)
from exams.models import ExamSession
from results.centre_files import results_files_build, results_files_parse
from results.centre_reports import SPECIAL_CONSIDERATION_COLUMNS
from results.imports import RESULT_COLUMNS, results_import
from results.tests.factories import result_for

pytestmark = pytest.mark.django_db

UCI = "612340260042K"


@pytest.fixture
def world() -> World:
    world = build_world()
    results_in(world)
    certification_entry_create(entry=world.second, actor=None, now=BEFORE_RESULTS)
    return world


def keyed(world: World, number: int, *, uci: str = "", session: ExamSession | None = None) -> Entry:
    """Return a student with candidate number ``number`` (and ``uci``) entered for F240, F241 and F242."""
    entry = student(
        world, ["F240", "F241", "F242"], session=session, person__last_name=f"Keyed{number}", person__uci=uci
    )
    Entry.objects.filter(pk=entry.pk).update(candidate_number=f"{number:04d}")
    entry.refresh_from_db()
    return entry


def considered(*entries: Entry) -> None:
    """Import results for the students, with special consideration on F240 (2.5 %, 1 mark), and cash them in."""
    header = ",".join([*RESULT_COLUMNS, "consideration_tariff", "consideration_marks", "absent"])
    lines = [
        f"{e.candidate_id},{e.session.exam.code},{e.session.date},{unit},{raw},{consideration}"
        for e in entries
        for unit, raw, consideration in [("F240", 45, "2.5,1,no"), ("F241", 8, ",0,no"), ("F242", 30, ",0,no")]
    ]
    results_import(text="\n".join([header, *lines]) + "\n", now=BEFORE_RESULTS)
    for entry in entries:
        certification_entry_create(entry=entry, actor=None, now=BEFORE_RESULTS)


def entry_url(name: str, world: World, entry: Entry) -> str:
    if name == "print":
        return f"/centre/entries/{entry.public_id}/results/"
    return url(name, world, entry)


def pdf_lines(response: Any) -> list[str]:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return [" ".join(line.split()) for line in text.splitlines()]


def special_rows(world: World, series: ExamSession | None = None) -> tuple[Any, list[dict[str, str]]]:
    path = url("special", world)
    if series is not None:
        path = path.replace(str(world.june.public_id), str(series.public_id))
    response = world.client.get(path)
    assert response.status_code == 200
    return response, list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


# --- Each report shows the identifiers ------------------------------------------------------------------------
def test_every_report_shows_the_centre_number_candidate_number_and_uci(
    world: World, at: Callable[[dt.datetime], None]
) -> None:
    entry = keyed(world, 42, uci=UCI)
    considered(entry)
    at(RESULTS_WEEK)
    number = world.centre.number

    slip = text_of(world.client.get(entry_url("slip", world, entry)))
    results = text_of(world.client.get(url("results", world)))
    paper = text_of(world.client.get(entry_url("print", world, entry)))
    cumulative = pdf_lines(world.client.get(entry_url("cumulative", world, entry)))
    _response, special = special_rows(world)

    for page in (slip, paper):
        assert f"<dt>Candidate ID</dt><dd>{entry.candidate_id}</dd>" in page
        assert "<dt>Candidate number</dt><dd>0042</dd>" in page
        assert f"<dt>UCI</dt><dd>{UCI}</dd>" in page
        assert f"<dt>Centre</dt><dd>{number} " in page
    assert "<dt>Series</dt><dd>2026-06-10</dd>" in slip
    section = results.split(f'id="student-{entry.candidate_id}"')[1].split("</section>")[0]
    assert "<dt>Candidate number</dt><dd>0042</dd>" in section and f"<dt>UCI</dt><dd>{UCI}</dd>" in section
    assert "Candidate number 0042" in cumulative and f"UCI {UCI}" in cumulative
    assert any(line.startswith(f"Centre {number} ") for line in cumulative), cumulative
    assert "Certification series 2026-06-10" in cumulative
    assert list(special[0]) == SPECIAL_CONSIDERATION_COLUMNS
    assert [
        (r["centre_number"], r["candidate_number"], r["uci"], r["candidate_id"], r["series"]) for r in special
    ] == [(number, "0042", UCI, entry.candidate_id, "2026-06-10")]


def test_the_reports_and_the_results_files_name_a_student_alike(
    world: World, at: Callable[[dt.datetime], None]
) -> None:
    entry = keyed(world, 42, uci=UCI)
    considered(entry)
    at(RESULTS_WEEK)

    _response, special = special_rows(world)
    files = results_files_parse(*results_files_build(centre=world.centre, series=world.june, now=RESULTS_WEEK))

    (f240,) = [r for r in files.units if r.candidate_id == entry.candidate_id and r.unit_code == "F240"]
    (row,) = special
    in_file = (f240.centre_number, f240.candidate_number, f240.uci, f240.candidate_id, f240.series)
    assert (row["centre_number"], row["candidate_number"], row["uci"], row["candidate_id"], row["series"]) == in_file


def test_a_student_without_a_uci_shows_an_empty_cell_not_none(world: World, at: Callable[[dt.datetime], None]) -> None:
    entry = keyed(world, 7)  # a candidate number, no UCI
    considered(entry)
    at(RESULTS_WEEK)

    response, special = special_rows(world)
    slip = text_of(world.client.get(entry_url("slip", world, entry)))
    paper = text_of(world.client.get(entry_url("print", world, entry)))
    cumulative = pdf_lines(world.client.get(entry_url("cumulative", world, entry)))

    assert [(r["candidate_number"], r["uci"]) for r in special] == [("0007", "")]
    assert ",0007,," in response.content.decode("utf-8-sig")
    for page in (slip, paper):
        assert "<dt>Candidate number</dt><dd>0007</dd>" in page and "<dt>UCI</dt><dd>—</dd>" in page
    assert "UCI —" in cumulative
    for text in (response.content.decode("utf-8-sig"), slip, paper, "\n".join(cumulative)):
        assert "None" not in text


def test_a_scale_score_paper_copy_shows_no_unitised_identifiers(world: World) -> None:
    entry = EntryFactory(person__centre=world.centre, centre=world.centre)
    result_for(entry, released_at=timezone.now() - dt.timedelta(minutes=1))

    paper = text_of(world.client.get(entry_url("print", world, entry)))

    assert f"<dt>Candidate ID</dt><dd>{entry.candidate_id}</dd>" in paper
    assert "Candidate number" not in paper and "UCI" not in paper


# --- Series by date ----------------------------------------------------------------------------------------------
def test_two_series_in_the_same_month_stay_apart_in_the_special_consideration_csv(
    world: World, at: Callable[[dt.datetime], None]
) -> None:
    late = late_june_series(world)
    early_student, late_student = keyed(world, 1, uci=UCI), keyed(world, 2, session=late)
    considered(early_student, late_student)
    at(RESULTS_WEEK)

    early_response, early_rows = special_rows(world)
    late_response, late_rows = special_rows(world, late)

    assert [(r["candidate_id"], r["series"]) for r in early_rows] == [(early_student.candidate_id, "2026-06-10")]
    assert [(r["candidate_id"], r["series"]) for r in late_rows] == [(late_student.candidate_id, "2026-06-24")]
    number = world.centre.number
    assert early_response["Content-Disposition"].endswith(f'special-consideration-{number}-ANBUS-2026-06-10.csv"')
    assert late_response["Content-Disposition"].endswith(f'special-consideration-{number}-ANBUS-2026-06-24.csv"')


def test_two_series_in_the_same_month_stay_apart_in_the_cumulative_report(
    world: World, at: Callable[[dt.datetime], None]
) -> None:
    late = late_june_series(world)
    early = student(world, ["F240"], person__last_name="Twice")
    again = student(world, ["F240", "F241", "F242"], session=late, person=early.person)
    header = ",".join(RESULT_COLUMNS)
    rows = [f"{early.candidate_id},ANBUS,2026-06-10,F240,20"] + [
        f"{again.candidate_id},ANBUS,2026-06-24,{unit},{raw}"
        for unit, raw in [("F240", 45), ("F241", 8), ("F242", 30)]
    ]
    results_import(text="\n".join([header, *rows]) + "\n", now=BEFORE_RESULTS)
    certification_entry_create(entry=again, actor=None, now=BEFORE_RESULTS)
    at(RESULTS_WEEK)

    response = world.client.get(entry_url("cumulative", world, again))
    lines = pdf_lines(response)

    assert response["Content-Disposition"].endswith(f'cumulative-{again.candidate_id}-ANBUS-2026-06-24.pdf"')
    assert "Certification series 2026-06-24" in lines
    assert "Series with unit results 2026-06-10, 2026-06-24" in lines
    assert any(line.startswith("2026-06-10 F240") and line.endswith("No") for line in lines), lines
    assert any(line.startswith("2026-06-24 F240") and line.endswith("Yes") for line in lines), lines


# --- Query counts ------------------------------------------------------------------------------------------------
def test_the_reports_take_the_same_number_of_queries_for_2_and_20_students(
    world: World, at: Callable[[dt.datetime], None]
) -> None:
    def counts(target: Entry) -> dict[str, int]:
        found = {}
        for name in ["results", "special", "slip", "cumulative", "print"]:
            with CaptureQueriesContext(connection) as queries:
                assert world.client.get(entry_url(name, world, target)).status_code == 200
            # Sessions live in the shared Redis cache first: a cache cleared by another run costs one session read.
            found[name] = sum("django_session" not in query["sql"] for query in queries.captured_queries)
        with CaptureQueriesContext(connection) as queries:
            results_files_build(centre=world.centre, series=world.june, now=RESULTS_WEEK)
        found["results files"] = len(queries)
        return found

    first = keyed(world, 1, uci=UCI)
    considered(first)
    at(RESULTS_WEEK)
    assert Entry.objects.filter(session=world.june, centre=world.centre).count() == 2
    two = counts(first)

    considered(*[keyed(world, number, uci=f"61234026{number:04d}K") for number in range(2, 20)])
    assert Entry.objects.filter(session=world.june, centre=world.centre).count() == 20
    twenty = counts(first)

    assert twenty == two
    assert max(twenty.values()) <= 16
