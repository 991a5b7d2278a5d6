import datetime as dt
import io
import uuid

import pytest
from django.test import override_settings
from django.utils import translation
from pypdf import PdfReader

from centres.imports import IssuedEntry, entries_import
from centres.pdf import confirmation_of_entry_pdf
from centres.tests.factories import CentreFactory, ExamSessionFactory, csv_text, entry_row
from exams.models import Exam


def pages_text(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    # Join the lines: the layout may wrap a sentence anywhere.
    return [" ".join(page.extract_text().split()) for page in reader.pages]


@pytest.mark.django_db
@override_settings(SITE_URL="https://results.example.org")
def test_one_page_per_candidate_with_the_login_details() -> None:
    CentreFactory.create(number="GB900", name="Colegio Británico")
    ExamSessionFactory.create(exam=Exam.objects.get(code="FCE"), date=dt.date(2027, 6, 12))
    ExamSessionFactory.create(exam=Exam.objects.get(code="KETS"), date=dt.date(2027, 5, 22), mode="computer")
    rows = [
        entry_row(first_name="Ana", last_name="López García"),
        entry_row(first_name="Wei", last_name="Chen", candidate_id="SIR094701"),
        entry_row(first_name="Zoë", last_name="O'Brien", exam_code="KETS", session_date="2027-05-22", mode="computer"),
    ]
    issued = entries_import(text=csv_text(rows))

    pages = pages_text(confirmation_of_entry_pdf(issued=issued))

    assert len(pages) == 3
    for entry, text in zip(issued, pages, strict=True):
        assert "Confirmation of Entry" in text
        assert f"{entry.first_name} {entry.last_name}" in text
        assert entry.candidate_id in text
        assert entry.secret_number in text
        assert f"Your results will be available by {entry.results_by:%-d %B %Y}." in text
        assert "https://results.example.org/results/register/" in text
        assert "GB900 Colegio Británico" in text
        assert "you do not need to wait until after the exam" in text
        assert "The secret number is shown only on this document." in text
        assert "ask your centre (GB900) to reissue it" in text
        assert "The board cannot give replacement details" in text
    assert "B2 First (FCE)" in pages[0]
    assert "12 June 2027" in pages[0]
    assert "Paper-based" in pages[0]
    assert "A2 Key for Schools (KETS)" in pages[2]
    assert "22 May 2027" in pages[2]
    assert "Computer-based" in pages[2]


def test_a_centre_batch_is_one_pdf() -> None:
    issued = [
        IssuedEntry(
            candidate_id=f"SIR{n:06d}",
            secret_number=f"{n:04d}",
            first_name="Candidate",
            last_name=f"Number {n}",
            exam_code="CPE",
            session_date=dt.date(2027, 6, 1),
            mode="paper",
            centre_number="GB900",
            results_by=dt.date(2027, 7, 19),
            exam_name="C2 Proficiency",
            mode_label="Paper-based",
            centre_name="A centre with a rather long name, to check that nothing wraps onto a second page",
            public_id=uuid.uuid4(),
        )
        for n in range(1, 13)
    ]

    pages = pages_text(confirmation_of_entry_pdf(issued=issued))

    assert len(pages) == 12
    assert all(f"SIR{n:06d}" in page and f"Number {n}" in page for n, page in enumerate(pages, start=1))


@pytest.mark.parametrize(
    ("language", "session", "results_by"),
    [
        ("en", "6 October 2026", "Your results will be available by 24 November 2026."),
        ("es", "6 de octubre de 2026", "24 de noviembre de 2026"),
        ("zh-hans", "2026年10月6日", "2026年11月24日"),
    ],
)
def test_dates_are_written_the_one_way_of_each_language(language: str, session: str, results_by: str) -> None:
    issued = IssuedEntry(
        candidate_id="SIR000001",
        secret_number="1234",
        first_name="Ana",
        last_name="López",
        exam_code="FCE",
        session_date=dt.date(2026, 10, 6),
        mode="paper",
        centre_number="GB900",
        results_by=dt.date(2026, 11, 24),
        exam_name="B2 First",
        mode_label="Paper-based",
        centre_name="Colegio Británico",
        public_id=uuid.uuid4(),
    )

    with translation.override(language):
        (text,) = pages_text(confirmation_of_entry_pdf(issued=[issued]))

    assert session in text
    assert results_by in text
