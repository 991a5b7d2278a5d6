"""Names in every script print as letters, never as empty boxes: the PDFs embed a font that has them.

The PDF stylesheets name Noto Sans CJK SC (Debian ``fonts-noto-cjk``) for Chinese, Japanese and Korean, and
DejaVu Sans, which has Arabic, as fallbacks after the Latin fonts; the text is read back with poppler's
``pdftotext`` and the embedded fonts listed with ``pdffonts``.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from certificates import services
from certificates.models import Document
from certificates.tests.factories import released_entry, stored_pdf

pytestmark = pytest.mark.django_db


def _poppler(tool: str, pdf: bytes) -> str:
    assert shutil.which(tool), f"{tool} is missing: `make system-deps` installs it (Debian package poppler-utils)"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(pdf)
        arguments = [tool, str(path), "-"] if tool == "pdftotext" else [tool, str(path)]
        return subprocess.run(arguments, check=True, capture_output=True, text=True).stdout  # noqa: S603


def _documents(first_name: str, last_name: str) -> dict[str, Document]:
    _entry, result = released_entry(exam="FCE", first_name=first_name, last_name=last_name)
    services.documents_render_for_results(result_ids=[result.pk])
    return {d.kind: d for d in Document.objects.filter(result_id=result.pk, status=Document.Status.CURRENT)}


@pytest.mark.parametrize("kind", [Document.Kind.STATEMENT, Document.Kind.CERTIFICATE])
def test_a_chinese_name_is_printed_in_a_cjk_font(kind: str) -> None:
    pdf = stored_pdf(_documents("伟", "张")[kind])

    text = _poppler("pdftotext", pdf)
    fonts = _poppler("pdffonts", pdf)

    assert "伟张" in text.replace(" ", "")  # pdftotext joins CJK characters without the space
    assert "Noto-Sans-CJK-SC" in fonts, fonts  # the Simplified Chinese forms, never the Japanese ones


@pytest.mark.parametrize("kind", [Document.Kind.STATEMENT, Document.Kind.CERTIFICATE])
def test_an_arabic_name_is_printed_in_a_font_with_arabic(kind: str) -> None:
    pdf = stored_pdf(_documents("محمد", "الحسن")[kind])

    text = _poppler("pdftotext", pdf)

    # pdftotext gives Arabic in reading order; each word comes back whole, never as boxes or question marks.
    assert "محمد" in text and "الحسن" in text
    assert "\ufffd" not in text
