"""The PDFs: what they say, what they never say, their QR code, and that they are tagged for accessibility."""

import datetime as dt
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.test import Client
from pypdf import PdfReader

from certificates import services
from certificates.models import Document
from certificates.pdf import NO_PAPERS_NOTE
from certificates.tests.conftest import SITE_URL
from certificates.tests.factories import pdf_images, pdf_links, pdf_text, qr_encodes, released_entry, stored_pdf
from certificates.tokens import document_verify_url

pytestmark = pytest.mark.django_db

FCE_LOW_WRITING = {"reading": 176, "use_of_english": 181, "writing": 115, "listening": 172, "speaking": 190}


def _render(result_pk: int) -> dict[str, Document]:
    services.documents_render_for_results(result_ids=[result_pk])
    return {d.kind: d for d in Document.objects.filter(result_id=result_pk, status=Document.Status.CURRENT)}


def test_statement_shows_the_facts_of_the_statement_page() -> None:
    entry, result = released_entry(
        exam="FCE", date=dt.date(2026, 6, 13), first_name="Zoë", last_name="O'Brien", scores=FCE_LOW_WRITING
    )

    text = pdf_text(stored_pdf(_render(result.pk)[Document.Kind.STATEMENT]))

    for fact in [
        "Statement of Results",
        "Zoë O'Brien",
        entry.candidate_id,
        "B2 First",
        "13 June 2026",
        f"{entry.centre.number} {entry.centre.name}",
        "Grade B",
        "CEFR level B2",
        "Overall score 176",
    ]:
        assert fact in text, fact
    # Component scores as the statement shows them: below the reported range reads "below 122".
    for line in ["Reading 176", "Use of English 181", "Writing below 122", "Listening 172", "Speaking 190"]:
        assert line in text, line
    assert NO_PAPERS_NOTE in text
    assert "4821" not in text  # the secret number is never printed


def test_statement_qr_code_encodes_the_verify_url_and_the_url_works(client: Client) -> None:
    entry, result = released_entry()
    statement = _render(result.pk)[Document.Kind.STATEMENT]
    pdf = stored_pdf(statement)
    url = document_verify_url(document_uuid=statement.uuid)

    qr_images = [image for image in pdf_images(pdf) if image.size[0] == image.size[1]]
    assert len(qr_images) == 1
    assert qr_encodes(qr_images[0], url)
    assert not qr_encodes(qr_images[0], url[:-1] + ("A" if url[-1] != "A" else "B"))
    assert set(pdf_links(pdf)) == {url}
    assert url.startswith(f"{SITE_URL}/verify/v/") and str(statement.pk) not in url.rsplit("/", 1)[1].split(":")[0]

    page = client.get(url.removeprefix(SITE_URL))
    assert page.status_code == 200
    assert "This document is current." in page.content.decode()
    assert entry.candidate_id in page.content.decode()


def test_a_real_scanner_reads_the_verify_url_from_the_printed_page() -> None:
    assert shutil.which("zbarimg"), "zbarimg is missing: `make system-deps` installs it (Debian package zbar-tools)"
    _entry, result = released_entry(exam="KETS", mode="computer")
    certificate = _render(result.pk)[Document.Kind.CERTIFICATE]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "certificate.pdf"
        path.write_bytes(stored_pdf(certificate))
        # The bottom-right quarter of the landscape page at 300 dpi: where the certificate prints its QR code.
        crop = ["-x", "1754", "-y", "1240", "-W", "1754", "-H", "1240"]
        subprocess.run(  # noqa: S603
            ["pdftoppm", "-png", "-gray", "-r", "300", "-singlefile", *crop, str(path), str(path.with_suffix(""))],  # noqa: S607
            check=True,
        )
        scanned = subprocess.run(  # noqa: S603
            ["zbarimg", "--raw", "-q", str(path.with_suffix(".png"))],  # noqa: S607
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    assert scanned == document_verify_url(document_uuid=certificate.uuid)


@pytest.mark.parametrize(("exam", "mode"), [("KETS", "computer"), ("KETS", "paper"), ("KET", "computer")])
def test_certificate_names_the_main_exam_and_never_the_mode_or_for_schools(exam: str, mode: str) -> None:
    _entry, result = released_entry(exam=exam, mode=mode, first_name="Wei", last_name="Chen")

    text = pdf_text(stored_pdf(_render(result.pk)[Document.Kind.CERTIFICATE]))

    assert "Certificate" in text and "A2 Key" in text and "Wei Chen" in text
    assert "Grade B" in text and "CEFR Level A2" in text
    lowered = text.lower()
    for word in ["paper", "computer", "for schools", "kets", "mode"]:
        assert word not in lowered, word


def test_the_same_certificate_for_for_schools_and_the_main_exam() -> None:
    _a, main = released_entry(exam="FCE", first_name="Ana", last_name="Ruiz")
    _b, schools = released_entry(exam="FCES", mode="computer", first_name="Ana", last_name="Ruiz")

    main_text = pdf_text(stored_pdf(_render(main.pk)[Document.Kind.CERTIFICATE]))
    schools_text = pdf_text(stored_pdf(_render(schools.pk)[Document.Kind.CERTIFICATE]))

    def without_references(text: str) -> str:
        # Only the Candidate ID, centre and the document's own reference differ between two candidates.
        return text.split("Exam taken")[0]

    assert without_references(main_text) == without_references(schools_text)
    assert "B2 First" in schools_text and "for Schools" not in schools_text


def test_extended_certification_above_and_below_on_the_certificate() -> None:
    _a, above = released_entry(exam="FCE", grade="Grade A", overall=184, cefr="C1")
    _b, below = released_entry(exam="FCE", grade="Level B1", overall=150, cefr="B1")

    above_text = pdf_text(stored_pdf(_render(above.pk)[Document.Kind.CERTIFICATE]))
    below_text = pdf_text(stored_pdf(_render(below.pk)[Document.Kind.CERTIFICATE]))

    assert "has been awarded Grade A at CEFR Level C1" in above_text
    assert "has demonstrated ability in English at CEFR Level B1" in below_text
    assert "awarded" not in below_text


def test_no_certificate_without_one_in_the_result() -> None:
    _entry, result = released_entry(exam="FCE", grade="Fail", overall=130, cefr="")
    result.certificate = False
    result.save()

    documents = _render(result.pk)

    assert set(documents) == {Document.Kind.STATEMENT}
    assert "This result does not lead to a certificate." in pdf_text(stored_pdf(documents[Document.Kind.STATEMENT]))


def test_pdfs_are_tagged_with_a_title_and_language() -> None:
    _entry, result = released_entry()

    for document in _render(result.pk).values():
        reader = PdfReader(io.BytesIO(stored_pdf(document)))
        catalog = reader.trailer["/Root"]
        assert "/StructTreeRoot" in catalog, document.kind
        assert bool(catalog["/MarkInfo"]["/Marked"])
        assert str(catalog["/Lang"]).startswith("en")
        assert reader.metadata is not None and reader.metadata.title


def test_the_statement_is_one_page_for_five_skills_and_the_certificate_one_landscape_page() -> None:
    _entry, result = released_entry(
        exam="CPE",
        grade="Grade C",
        overall=205,
        cefr="C2",
        scores={
            "reading": 200,
            "use_of_english": 210,
            "writing": 198,
            "listening": 207,
            "speaking": 210,
        },
    )

    documents = _render(result.pk)

    statement = PdfReader(io.BytesIO(stored_pdf(documents[Document.Kind.STATEMENT])))
    certificate = PdfReader(io.BytesIO(stored_pdf(documents[Document.Kind.CERTIFICATE])))
    assert len(statement.pages) == 1
    assert len(certificate.pages) == 1
    box = certificate.pages[0].mediabox
    assert box.width > box.height


def test_a_unitised_qualification_shows_units_on_the_uniform_mark_scale() -> None:
    from exams.models import Component, Exam

    exam = Exam.objects.create(code="ANTST", name="Advanced National in Testing", family=Exam.Family.UNITISED)
    Component.objects.create(exam=exam, code="F100", name="Unit F100", kind="examined_unit", order=1, ums_max=120)
    Component.objects.create(exam=exam, code="F101", name="Unit F101", kind="nea_unit", order=2, ums_max=120)
    _entry, result = released_entry(
        exam="ANTST", scores={"F100": 55, "F101": 20}, grade="Merit", overall=None, cefr=""
    )
    result.component_scores.filter(component__code="F100").update(ums=96, unit_grade="Distinction")
    result.component_scores.filter(component__code="F101").update(ums=72, unit_grade="Merit")

    documents = _render(result.pk)

    statement = pdf_text(stored_pdf(documents[Document.Kind.STATEMENT]))
    certificate = pdf_text(stored_pdf(documents[Document.Kind.CERTIFICATE]))
    # As every page shows a unit (results.presentation): code and name, UMS of the unit's maximum, grade.
    assert "F100 Unit F100 96 of 120 UMS · Distinction" in statement
    assert "F101 Unit F101 72 of 120 UMS · Merit" in statement
    assert "Cambridge English Scale" not in statement
    assert "Advanced National in Testing" in certificate and "has been awarded Merit" in certificate
    assert "CEFR" not in certificate and "Cambridge English Scale" not in certificate


def test_a_key_statement_from_2020_names_its_three_papers_and_the_weighting() -> None:
    _entry, result = released_entry(exam="KET", mode="computer")

    text = pdf_text(stored_pdf(_render(result.pk)[Document.Kind.STATEMENT]))

    # (2 × 136 + 140 + 136) / 4 = 137: Grade B, A2 (certificates/tests/factories.py KET_SCORES).
    assert "Reading and Writing 136" in text and "Listening 140" in text and "Speaking 136" in text
    assert "Grade B" in text and "Pass with Merit" not in text
    assert "(2 × Reading and Writing + Listening + Speaking) ÷ 4" in text
