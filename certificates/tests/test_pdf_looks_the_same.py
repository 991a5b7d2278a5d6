"""The documents look the same however fast they are rendered: page images compared with a render made the old way.

``certificates.pdf.document_pdf`` keeps WeasyPrint's fonts across documents in a process (``font_configuration``).
Each document here (a statement with its chart, a certificate, in Latin, Chinese and Arabic names, each rendered
after another document so the kept fonts are reused) is compared with a render of the same HTML the way it was
done before, with fresh fonts: poppler's ``pdftoppm`` draws both at 100 dpi and the pages must match within a
small tolerance (no pixel may differ by more than a few grey levels over more than 0.1 % of the page).
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone, translation
from PIL import Image, ImageChops

from certificates import pdf
from certificates.models import Document
from certificates.selectors import printed_name, result_facts
from certificates.tests.factories import released_entry

pytestmark = pytest.mark.django_db

DPI = 100
GREY_LEVELS = 24  # a difference under this is anti-aliasing, not a drawn thing
MOST_PIXELS_DIFFERING = 0.001


def _pages(pdf_bytes: bytes) -> list[Image.Image]:
    assert shutil.which("pdftoppm"), "pdftoppm is missing: `make system-deps` installs it (poppler-utils)"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(pdf_bytes)
        subprocess.run(  # noqa: S603
            ["pdftoppm", "-png", "-gray", "-r", str(DPI), str(path), str(Path(folder) / "page")],  # noqa: S607
            check=True,
        )
        return [Image.open(page).convert("L") for page in sorted(Path(folder).glob("page*.png"))]


def _old_way(html: str) -> bytes:
    """Render as before the fonts were kept: WeasyPrint's defaults, a new font configuration per document."""
    import weasyprint

    out = weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(pdf_variant="pdf/ua-1")
    assert out is not None
    return out


def _document(kind: str, first_name: str, last_name: str) -> tuple[Document, object]:
    _entry, result = released_entry(exam="FCE", first_name=first_name, last_name=last_name)
    name = printed_name(result=result)
    document = Document(result=result, kind=kind, result_version=result.version, name_printed=name)
    return document, result_facts(result=result, name=name)


@pytest.mark.parametrize("kind", [Document.Kind.STATEMENT, Document.Kind.CERTIFICATE])
@pytest.mark.parametrize(("first_name", "last_name"), [("Ana", "López García"), ("伟", "张"), ("محمد", "الحسن")])
def test_a_document_rendered_with_the_kept_fonts_looks_as_before(kind: str, first_name: str, last_name: str) -> None:
    warm, warm_facts = _document(Document.Kind.STATEMENT, "Zoë", "Hughes")
    issued_on = timezone.localdate()
    pdf.document_pdf(document=warm, facts=warm_facts, replaces=None, issued_on=issued_on)  # the fonts are kept now
    document, facts = _document(kind, first_name, last_name)

    new = pdf.document_pdf(document=document, facts=facts, replaces=None, issued_on=issued_on)
    with translation.override(settings.LANGUAGE_CODE):
        old = _old_way(pdf.document_html(document=document, facts=facts, replaces=None, issued_on=issued_on))

    new_pages, old_pages = _pages(new), _pages(old)
    assert len(new_pages) == len(old_pages) >= 1
    for new_page, old_page in zip(new_pages, old_pages, strict=True):
        assert new_page.size == old_page.size
        differing = sum(ImageChops.difference(new_page, old_page).histogram()[GREY_LEVELS + 1 :])
        assert differing <= MOST_PIXELS_DIFFERING * new_page.size[0] * new_page.size[1], differing
        # and the page is not blank: the name and the results are drawn
        assert old_page.getextrema()[0] < 100
