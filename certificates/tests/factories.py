"""Helpers for the documents tests: released results, centre staff clients, reading PDFs and their QR codes."""

import datetime as dt
import io
from typing import Any

from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from centres.models import Centre, Entry
from centres.tests.factories import EntryFactory, ExamSessionFactory, StaffMemberFactory
from conftest import otp_login
from exams.models import Exam
from results.models import Result
from results.tests.factories import result_for

# A2 Key from 2020: (2 × 136 + 140 + 136) / 4 = 137, Grade B.
KET_SCORES = {"reading_and_writing": 136, "listening": 140, "speaking": 136}


def released_entry(
    *,
    exam: str = "FCE",
    date: dt.date | None = None,
    mode: str = "paper",
    centre: Centre | None = None,
    first_name: str = "Ana",
    last_name: str = "López García",
    **result: Any,
) -> tuple[Entry, Result]:
    """Return an entry of ``exam`` taken on ``date`` with a result released a day ago."""
    session = ExamSessionFactory.create(exam=Exam.objects.get(code=exam), date=date or dt.date(2026, 6, 13), mode=mode)
    extra: dict[str, Any] = {"person__centre": centre} if centre is not None else {}
    entry = EntryFactory.create(session=session, person__first_name=first_name, person__last_name=last_name, **extra)
    if exam.startswith("KET") and "scores" not in result:
        result = {"scores": KET_SCORES, "grade": "Grade B", "overall": 137, "cefr": "A2", **result}
    released_at = result.pop("released_at", timezone.now() - dt.timedelta(days=1))
    return entry, result_for(entry, released_at=released_at, **result)


def staff_client(centre: Centre) -> tuple[Client, Any]:
    """Return a client logged in (with 2FA) as a member of ``centre``'s staff, and the member."""
    member = StaffMemberFactory.create(centre=centre)
    return otp_login(Client(), member.user), member


def pdf_text(pdf: bytes) -> str:
    """Return the text of every page, with whitespace runs joined (layout may wrap anywhere)."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def pdf_links(pdf: bytes) -> list[str]:
    """Return the URIs of the link annotations in a PDF."""
    links = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                links.append(str(action["/URI"]))
    return links


def pdf_images(pdf: bytes) -> list[Any]:
    """Return the images embedded in a PDF as PIL images."""
    return [image.image for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images]


def qr_encodes(image: Any, url: str) -> bool:
    """Return whether ``image`` (one pixel per module, as printed) is exactly the QR code of ``url``.

    The code is made again from ``url`` with the printed settings and compared module by module, so any other
    payload (another token, another host) gives a different pattern.
    """
    from certificates.pdf import qr_code

    matrix = qr_code(url).matrix
    grey = image.convert("L")
    if grey.size != (len(matrix[0]), len(matrix)):
        return False
    return all(
        (grey.getpixel((x, y)) < 128) == bool(module) for y, row in enumerate(matrix) for x, module in enumerate(row)
    )


def stored_pdf(document: Any) -> bytes:
    """Return the stored PDF of a document."""
    with document.file.open("rb") as handle:
        data: bytes = handle.read()
    return data
