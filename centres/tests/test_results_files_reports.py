"""Results files (unit and qualification files: build, parse back, daily storage, download, embargo) and the
unitised centre reports."""

import csv
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from centres.models import Entry
from centres.services import certification_entry_create
from centres.tests.factories import EntryFactory
from centres.tests.test_unitised_pages import (
    BEFORE_RESULTS,
    CENTRE_RELEASE,
    MIDNIGHT,
    RESULTS_WEEK,
    World,
    build_world,
    csv_rows,
    late_june_series,
    results_in,
    student,
    url,
)
from results.centre_files import (
    QUALIFICATION_COLUMNS,
    UNIT_COLUMNS,
    ResultsFileFormatError,
    results_files_build,
    results_files_latest,
    results_files_parse,
    results_files_regenerate_all,
)
from results.centre_reports import SPECIAL_CONSIDERATION_COLUMNS, cumulative_report
from results.imports import results_import
from results.models import ComponentScore, Result
from results.services import result_hold
from results.tests.factories import UK
from results_portal.tests.formula_cells import BOM_BYTES, FORMULA_CELLS

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def cashed_in(world: World) -> World:
    results_in(world)
    certification_entry_create(entry=world.second, actor=None, now=BEFORE_RESULTS)
    return world


# --- Building and reading back -------------------------------------------------------------------------------
def test_files_hold_nothing_at_midnight_and_everything_at_00_01(world: World) -> None:
    cashed_in(world)

    at_midnight = results_files_build(centre=world.centre, series=world.june, now=MIDNIGHT)
    at_release = results_files_parse(*results_files_build(centre=world.centre, series=world.june, now=CENTRE_RELEASE))

    assert at_midnight == (
        "\ufeff" + ",".join(UNIT_COLUMNS) + "\r\n",
        "\ufeff" + ",".join(QUALIFICATION_COLUMNS) + "\r\n",
    )
    assert len(at_release.units) == 3 and len(at_release.qualifications) == 1


def test_files_parse_back_to_the_numbers_on_record(world: World) -> None:
    cashed_in(world)
    other = student(world, ["F240", "F241", "F243"], person__last_name='O\'Brien, "Jo"')
    results_import(text=csv_rows([(other, "F240", 12), (other, "F241", 3), (other, "F243", 59)]), now=BEFORE_RESULTS)

    files = results_files_parse(*results_files_build(centre=world.centre, series=world.june, now=RESULTS_WEEK))

    on_record = {
        (s.result.entry.candidate_id, s.component.code): (s.score, s.ums, s.component.ums_max, s.unit_grade)
        for s in ComponentScore.objects.filter(result__entry__session=world.june).select_related(
            "component", "result__entry"
        )
    }
    in_file = {(r.candidate_id, r.unit_code): (r.raw_mark, r.ums, r.ums_max, r.unit_grade) for r in files.units}
    assert in_file == on_record and len(on_record) == 6
    row = next(r for r in files.units if r.candidate_id == other.candidate_id)
    assert (row.surname, row.forenames, row.date_of_birth) == (
        other.person.last_name,
        other.person.first_name,
        other.person.date_of_birth,
    )
    assert {(r.centre_number, r.qualification_code, r.series, r.status) for r in files.units} == {
        (world.centre.number, "ANBUS", "2026-06-10", "R")
    }
    result = Result.objects.get(entry=world.second)
    (qualification,) = files.qualifications
    assert (qualification.candidate_id, qualification.total_ums, qualification.ums_max_total, qualification.grade) == (
        world.second.candidate_id,
        result.overall_score,
        300,
        result.grade,
    )
    assert (qualification.grade, qualification.total_ums, qualification.status) == ("Distinction", 225, "R")


def test_pending_units_and_held_results_are_q_rows(world: World) -> None:
    cashed_in(world)
    pending = student(world, ["F240", "F241", "F242"], person__last_name="Pending")
    results_import(text=csv_rows([(pending, "F240", 30)]), now=BEFORE_RESULTS)
    certification_entry_create(entry=pending, actor=None, now=BEFORE_RESULTS)
    held = student(world, ["F240"], person__last_name="Held")
    results_import(text=csv_rows([(held, "F240", 50)]), now=BEFORE_RESULTS)
    result_hold(result=Result.objects.get(entry=held), actor=None, reason="checking")

    files = results_files_parse(*results_files_build(centre=world.centre, series=world.june, now=RESULTS_WEEK))

    rows = {(r.candidate_id, r.unit_code): r for r in files.units}
    assert (rows[(pending.candidate_id, "F240")].raw_mark, rows[(pending.candidate_id, "F240")].status) == (30, "R")
    for key in [(pending.candidate_id, "F241"), (pending.candidate_id, "F242"), (held.candidate_id, "F240")]:
        assert (rows[key].raw_mark, rows[key].ums, rows[key].unit_grade, rows[key].status) == (None, None, "Q", "Q")
    qualification = {r.candidate_id: r for r in files.qualifications}
    assert (qualification[pending.candidate_id].grade, qualification[pending.candidate_id].status) == ("Q", "Q")
    assert held.candidate_id not in qualification  # no certification entry, so no qualification row


def test_a_malformed_file_is_reported_with_line_and_column(world: World) -> None:
    unit_text, qualification_text = results_files_build(centre=world.centre, series=world.june, now=MIDNIGHT)
    bad_row = "61234,0042,612340260042K,ABC123456,Doe,Jo,2008-02-30,ANBUS,2026-06-10,F240,10,20,100,U,R\r\n"

    with pytest.raises(ResultsFileFormatError, match="unit file, line 2, column date_of_birth"):
        results_files_parse(unit_text + bad_row, qualification_text)
    with pytest.raises(ResultsFileFormatError, match="qualification file, line 1: the header must be"):
        results_files_parse(unit_text, "candidate_id\r\n")


def test_building_the_files_takes_a_fixed_number_of_queries(world: World) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            results_files_build(centre=world.centre, series=world.june, now=RESULTS_WEEK)
        return len(queries)

    cashed_in(world)
    few = count()
    for number in range(10):
        entry = student(world, ["F240", "F241", "F242"], person__last_name=f"Many{number}")
        results_import(text=csv_rows([(entry, "F240", 30 + number)]), now=BEFORE_RESULTS)
        certification_entry_create(entry=entry, actor=None, now=BEFORE_RESULTS)

    assert count() == few <= 8


# --- Daily storage and download ----------------------------------------------------------------------------------
def test_files_are_stored_daily_in_the_post_results_period_only(world: World, media: Path) -> None:
    cashed_in(world)

    assert results_files_regenerate_all(now=MIDNIGHT) == 0
    assert results_files_latest(centre=world.centre, series=world.june) == {}
    assert results_files_regenerate_all(now=CENTRE_RELEASE) == 1
    assert results_files_regenerate_all(now=CENTRE_RELEASE + dt.timedelta(hours=2)) == 0  # today's files exist
    latest = results_files_latest(centre=world.centre, series=world.june)
    assert {kind: stored.day for kind, stored in latest.items()} == {
        "unit": dt.date(2026, 8, 12),
        "qualification": dt.date(2026, 8, 12),
    }
    folder = latest["unit"].path.split("/")[1]
    assert len(folder) == 40 and world.centre.number not in latest["unit"].path
    assert world.second.candidate_id not in str(list(media.rglob("*")))

    next_day = dt.datetime(2026, 8, 13, 0, 5, tzinfo=UK)
    assert results_files_regenerate_all(now=next_day) == 1
    days = sorted(p.parent.name for p in media.rglob("*.csv"))
    assert days == ["2026-08-13", "2026-08-13"]  # yesterday's personal data is not kept
    assert results_files_regenerate_all(now=dt.datetime(2026, 10, 1, 9, 0, tzinfo=UK)) == 0  # period over


def test_the_centre_downloads_the_latest_files_never_before_00_01(
    world: World, at: Callable[[dt.datetime], None]
) -> None:
    cashed_in(world)
    results_files_regenerate_all(now=CENTRE_RELEASE)
    # As if the board moved the restricted release later after the files were made: still nothing early.
    at(MIDNIGHT)
    page = world.client.get(url("files", world)).content.decode()
    assert world.client.get(url("files_unit", world)).status_code == 404
    assert "Download (CSV)" not in page

    at(RESULTS_WEEK)
    page = world.client.get(url("files", world)).content.decode()
    unit = world.client.get(url("files_unit", world))
    qualification = world.client.get(url("files_unit", world).replace("unit.csv", "qualification.csv"))

    assert page.count("Download (CSV)") == 2
    assert unit.status_code == 200 and unit["Content-Type"] == "text/csv; charset=utf-8"
    assert unit["Content-Disposition"].endswith(f'results-{world.centre.number}-ANBUS-2026-06-10-unit-2026-08-12.csv"')
    files = results_files_parse(unit.content.decode(), qualification.content.decode())
    assert {r.unit_code for r in files.units} == {"F240", "F241", "F242"}
    assert world.client.get(url("files_unit", world).replace("unit.csv", "other.csv")).status_code == 404
    assert default_storage.exists(results_files_latest(centre=world.centre, series=world.june)["unit"].path)


@pytest.mark.parametrize(("surname", "cell"), FORMULA_CELLS)
def test_the_results_files_neutralise_a_name_that_is_a_formula(
    world: World, at: Callable[[dt.datetime], None], surname: str, cell: str
) -> None:
    cashed_in(world)
    world.second.person.last_name = surname
    world.second.person.save()
    results_files_regenerate_all(now=CENTRE_RELEASE)
    at(RESULTS_WEEK)

    unit = world.client.get(url("files_unit", world))
    qualification = world.client.get(url("files_unit", world).replace("unit.csv", "qualification.csv"))

    assert unit.content.startswith(BOM_BYTES) and qualification.content.startswith(BOM_BYTES)
    units = list(csv.DictReader(io.StringIO(unit.content.decode("utf-8-sig"), newline="")))
    qualifications = list(csv.DictReader(io.StringIO(qualification.content.decode("utf-8-sig"), newline="")))
    assert [(r["unit_code"], r["surname"], r["raw_mark"]) for r in units] == [
        ("F240", cell, "45"),
        ("F241", cell, "8"),
        ("F242", cell, "30"),
    ]
    assert [(r["surname"], r["status"]) for r in qualifications] == [(cell, "R")]


# --- Reports ------------------------------------------------------------------------------------------------------
def test_cumulative_report_lists_every_series_and_marks_the_counted_units(
    world: World, at: Callable[[dt.datetime], None]
) -> None:
    cashed_in(world)  # January F240 = 40 UMS; June F240 = 85 UMS counts instead
    at(RESULTS_WEEK)

    response = world.client.get(url("cumulative", world))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "Cumulative specification results report" in text
    assert "Distinction" in text and "225 / 300" in text
    assert "Series with unit results 2026-01-10, 2026-06-10" in lines  # named as the results files name them
    assert any(line.startswith("2026-01-10 F240") and line.endswith("No") for line in lines), lines
    for unit in ["F240", "F241", "F242"]:
        assert any(line.startswith(f"2026-06-10 {unit}") and line.endswith("Yes") for line in lines), (unit, lines)


def test_cumulative_report_needs_a_cash_in_and_the_release(world: World, at: Callable[[dt.datetime], None]) -> None:
    results_in(world)
    at(RESULTS_WEEK)
    assert world.client.get(url("cumulative", world)).status_code == 404

    certification_entry_create(entry=world.second, actor=None)
    at(MIDNIGHT)
    assert world.client.get(url("cumulative", world)).status_code == 404


def test_special_consideration_report(world: World, at: Callable[[dt.datetime], None]) -> None:
    results_in(world)
    other = student(world, ["F240", "F241", "F243"], person__last_name="Considered")
    text = csv_rows([(other, "F240", 30), (other, "F241", 6), (other, "F243", 20)], extra="c1,c2,c3")
    text = text.replace("c1,c2,c3", "consideration_tariff,consideration_marks,absent")
    text = text.replace(",F240,30\n", ",F240,30,2.5,1,no\n").replace(",F241,6\n", ",F241,6,,0,no\n")
    text = text.replace(",F243,20\n", ",F243,20,,0,yes\n")
    results_import(text=text, now=BEFORE_RESULTS)

    at(MIDNIGHT)
    embargoed = list(csv.reader(io.StringIO(world.client.get(url("special", world)).content.decode("utf-8-sig"))))
    at(RESULTS_WEEK)
    response = world.client.get(url("special", world))
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))

    assert embargoed == [SPECIAL_CONSIDERATION_COLUMNS]
    assert response["Content-Disposition"].endswith(
        f'special-consideration-{world.centre.number}-ANBUS-2026-06-10.csv"'
    )
    assert [
        (r["candidate_id"], r["unit_code"], r["tariff_percent"], r["marks_awarded"], r["calculated_for_absence"])
        for r in rows
    ] == [
        (other.candidate_id, "F240", "2.5", "1", "no"),
        (other.candidate_id, "F243", "", "0", "yes"),
    ]
    assert {r["series"] for r in rows} == {"2026-06-10"}


@pytest.mark.parametrize(("surname", "cell"), FORMULA_CELLS)
def test_special_consideration_csv_neutralises_a_name_that_is_a_formula(
    world: World, at: Callable[[dt.datetime], None], surname: str, cell: str
) -> None:
    other = student(world, ["F240"], person__last_name=surname)
    text = csv_rows([(other, "F240", 30)], extra="consideration_tariff,consideration_marks,absent")
    results_import(text=text.replace(",F240,30\n", ",F240,30,2.5,1,no\n"), now=BEFORE_RESULTS)
    at(RESULTS_WEEK)

    response = world.client.get(url("special", world))

    assert response.content.startswith(BOM_BYTES)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert [
        (r["candidate_id"], r["surname"], r["raw_mark"], r["tariff_percent"], r["marks_awarded"]) for r in rows
    ] == [(other.candidate_id, cell, "30", "2.5", "1")]


def test_grade_boundaries_report(world: World, at: Callable[[dt.datetime], None]) -> None:
    cashed_in(world)
    EntryFactory(session=world.june)  # another centre's student is not counted
    at(RESULTS_WEEK)

    page = " ".join(world.client.get(url("boundaries", world)).content.decode().split())

    assert "<td>60</td> <td>20 / 30 / 40</td> <td>100</td> <td>40 / 60 / 80</td>" in page  # F240
    assert "<td>12</td> <td>4 / 6 / 8</td>" in page  # F241 (NEA: criteria achieved)
    assert "distinction: 1, merit: 0, pass: 0, U: 0" in page  # F240 and F241 at this centre
    assert '<th scope="row">Distinction</th><td>210</td><td>1</td>' in page
    assert '<th scope="row">Distinction*</th><td>255</td><td>0</td>' in page
    assert "1 student at your centre in this series, 1 with a certification entry." in page


def test_rows_are_keyed_by_centre_number_candidate_number_uci_and_series(world: World) -> None:
    keyed = student(world, ["F240", "F241", "F242"], person__uci="612340260042K")
    Entry.objects.filter(pk=keyed.pk).update(candidate_number="0042")
    results_import(text=csv_rows([(keyed, "F240", 45), (keyed, "F241", 8), (keyed, "F242", 30)]), now=BEFORE_RESULTS)
    certification_entry_create(entry=keyed, actor=None, now=BEFORE_RESULTS)

    files = results_files_parse(*results_files_build(centre=world.centre, series=world.june, now=RESULTS_WEEK))

    rows = [r for r in files.units if r.candidate_id == keyed.candidate_id]
    assert {(r.centre_number, r.candidate_number, r.uci, r.series) for r in rows} == {
        (world.centre.number, "0042", "612340260042K", "2026-06-10")
    }
    (qualification,) = [r for r in files.qualifications if r.candidate_id == keyed.candidate_id]
    assert (qualification.candidate_number, qualification.uci, qualification.series) == (
        "0042",
        "612340260042K",
        "2026-06-10",
    )


def test_an_absent_unit_and_a_partial_absence_in_the_files(world: World) -> None:
    absent = student(world, ["F240", "F241", "F242"])
    text = csv_rows([(absent, "F240", 60), (absent, "F242", 60)], extra="status").replace("\n", ",\n")
    text = text.replace("status,\n", "status\n") + f"{absent.candidate_id},ANBUS,{world.june.date},F241,,absent\n"
    results_import(text=text, now=BEFORE_RESULTS)
    certification_entry_create(entry=absent, actor=None, now=BEFORE_RESULTS)

    files = results_files_parse(*results_files_build(centre=world.centre, series=world.june, now=RESULTS_WEEK))

    units = {r.unit_code: r for r in files.units if r.candidate_id == absent.candidate_id}
    assert (units["F241"].raw_mark, units["F241"].ums, units["F241"].unit_grade, units["F241"].status) == (
        0,
        0,
        "absent",
        "R",
    )
    (qualification,) = [r for r in files.qualifications if r.candidate_id == absent.candidate_id]
    # 100 + 0 + 100 = 200 of 300: Merit (165–209), with '#' for the absent unit counted at 0 UMS.
    assert (qualification.total_ums, qualification.grade, qualification.status) == (200, "Merit #", "R")


def test_cumulative_report_tells_two_sittings_in_one_month_apart(
    world: World, at: Callable[[dt.datetime], None]
) -> None:
    late_june = late_june_series(world)
    early = student(world, ["F240"], person__last_name="Twice")
    late = student(world, ["F240", "F241", "F242"], session=late_june, person=early.person)
    results_import(text=csv_rows([(early, "F240", 20)]), now=BEFORE_RESULTS)  # 40 UMS
    results_import(text=csv_rows([(late, "F240", 45), (late, "F241", 8), (late, "F242", 30)]), now=BEFORE_RESULTS)
    certification_entry_create(entry=late, actor=None, now=BEFORE_RESULTS)
    at(RESULTS_WEEK)

    report = cumulative_report(centre=world.centre, restricted=False, entry=late, now=RESULTS_WEEK)

    assert report is not None
    f240 = {line.series.date: line.counted for line in report.lines if line.score.component.code == "F240"}
    assert f240 == {dt.date(2026, 6, 10): False, dt.date(2026, 6, 24): True}
