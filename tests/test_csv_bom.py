"""Every CSV reader of ours accepts a file that starts with a UTF-8 byte-order mark (Excel's "CSV UTF-8").

Every CSV the portal writes starts with one (``results_portal.downloads.csv_text``), so a file a person saves
from a spreadsheet, or one of our own files given back to us, must read the same with or without it.
"""

import datetime as dt

import pytest
from django.utils import timezone

from centres.imports import ENTRY_COLUMNS, centres_import, entries_import
from centres.models import Centre, Entry
from centres.tests.factories import CentreFactory, EntryFactory, ExamSessionFactory, csv_text, entry_row
from exams.models import Exam
from results.centre_files import results_files_parse
from results.imports import results_import
from results.models import Result
from verification.services import bulk_rows_read

pytestmark = pytest.mark.django_db


def test_the_centres_import_reads_a_file_with_a_bom() -> None:
    count = centres_import(text="\ufeffcentre_number,name,country,email\r\nGB901,Colegio Uno,Spain,\r\n")

    assert count == 1
    assert Centre.objects.get(number="GB901").name == "Colegio Uno"


def test_the_entries_import_reads_a_file_with_a_bom() -> None:
    CentreFactory.create(number="GB900")
    ExamSessionFactory.create(exam=Exam.objects.get(code="FCE"), date=dt.date(2027, 6, 12))
    text = csv_text([entry_row(candidate_id="SIR094701")], columns=list(ENTRY_COLUMNS))

    issued = entries_import(text="\ufeff" + text)

    assert [entry.candidate_id for entry in issued] == ["SIR094701"]
    assert Entry.objects.get().candidate_id == "SIR094701"


def test_the_results_import_reads_a_file_with_a_bom() -> None:
    session = ExamSessionFactory(date=timezone.localdate() - dt.timedelta(days=36), mode="paper")
    entry = EntryFactory(session=session, candidate_id="SIR094701")
    scores = {"reading": 176, "use_of_english": 181, "writing": 169, "listening": 172, "speaking": 180}
    lines = [f"SIR094701,FCE,{session.date},{component},{score}" for component, score in scores.items()]
    text = "\ufeffcandidate_id,exam_code,session_date,component,score\r\n" + "\r\n".join(lines) + "\r\n"

    results_import(text=text)

    assert Result.objects.get(entry=entry).overall_score == 176


def test_the_bulk_verification_reads_a_file_with_a_bom() -> None:
    assert bulk_rows_read(text="\ufeffcandidate_id,secret_number\r\nsir094701,0042\r\n") == [("SIR094701", "0042")]


def test_the_results_files_read_back_with_a_bom() -> None:
    unit = (
        "\ufeffcentre_number,candidate_number,uci,candidate_id,surname,forenames,date_of_birth,qualification_code,"
        "series,unit_code,raw_mark,ums,ums_max,unit_grade,status\r\n"
        "61234,0042,612340260042K,SIR094701,'=SUM(A1),Ana,2008-03-14,ANBUS,2026-06-10,F240,45,85,100,a,R\r\n"
    )
    qualification = (
        "\ufeffcentre_number,candidate_number,uci,candidate_id,surname,forenames,date_of_birth,qualification_code,"
        "series,total_ums,ums_max_total,grade,status\r\n"
    )

    files = results_files_parse(unit, qualification)

    assert [(row.candidate_id, row.surname, row.raw_mark) for row in files.units] == [("SIR094701", "'=SUM(A1)", 45)]
    assert files.qualifications == []
