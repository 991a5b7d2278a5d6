"""The documents look the same however fast they are rendered: page images compared with WeasyPrint's own rendering.

``certificates.pdf.document_pdf`` renders with what it keeps per process — WeasyPrint's fonts
(``font_configuration``) and each kind's parsed stylesheet (``document_stylesheet``) — and draws its SVG images (the
statement's chart, the seal) with each label laid out once (``certificates.pdf_svg``). Each document here (each
kind, in Latin, Chinese and Arabic names; statements of exams with three, four and five skills, a fail, an
old-style one, an amended one; each rendered after another document so that what is kept is reused) is compared
with WeasyPrint rendering the same HTML and stylesheet its plain way: new fonts, the stylesheet parsed for the
document, SVG text laid out letter by letter. poppler's ``pdftoppm`` draws both at 100 dpi and the pages must match
within a small tolerance (no pixel may differ by more than a few grey levels over more than 0.1 % of the page).
Statements are rendered here with the direct writer's gate closed, so that this is WeasyPrint's path (the one
every refused statement takes); ``test_pdf_direct`` compares the statements drawn without HTML.
"""

import base64
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone, translation
from PIL import Image, ImageChops

from certificates import pdf, pdf_direct, pdf_svg
from certificates.models import Document
from certificates.selectors import printed_name, result_facts
from certificates.tests.factories import released_entry
from results.models import Result

pytestmark = pytest.mark.django_db

DPI = 100
GREY_LEVELS = 24  # a difference under this is anti-aliasing, not a drawn thing
MOST_PIXELS_DIFFERING = 0.001
CPE_SCORES = {"reading": 200, "use_of_english": 210, "writing": 198, "listening": 207, "speaking": 210}


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


def _plain_way(html: str, css: str) -> bytes:
    """Render as WeasyPrint does by itself: new fonts, the stylesheet parsed now, SVG text letter by letter."""
    import weasyprint

    out = weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        pdf_variant="pdf/ua-1", stylesheets=[weasyprint.CSS(string=css)]
    )
    assert out is not None
    return out


def _assert_look_the_same(new: bytes, old: bytes) -> None:
    new_pages, old_pages = _pages(new), _pages(old)
    assert len(new_pages) == len(old_pages) >= 1
    for new_page, old_page in zip(new_pages, old_pages, strict=True):
        assert new_page.size == old_page.size
        differing = sum(ImageChops.difference(new_page, old_page).histogram()[GREY_LEVELS + 1 :])
        assert differing <= MOST_PIXELS_DIFFERING * new_page.size[0] * new_page.size[1], differing
        # and the page is not blank: the name and the results are drawn
        assert old_page.getextrema()[0] < 100


def _document(kind: str, first_name: str, last_name: str, **result: Any) -> tuple[Document, Any]:
    _entry, released = released_entry(first_name=first_name, last_name=last_name, **result)
    name = printed_name(result=released)
    document = Document(result=released, kind=kind, result_version=released.version, name_printed=name)
    return document, result_facts(result=released, name=name)


def _render_both(document: Document, facts: Any, replaces: Document | None = None) -> tuple[bytes, bytes]:
    warm, warm_facts = _document(Document.Kind.STATEMENT, "Zoë", "Hughes")
    issued_on = timezone.localdate()
    pdf.document_pdf(document=warm, facts=warm_facts, replaces=None, issued_on=issued_on)  # what is kept is kept now

    with mock.patch.object(pdf_direct, "refusal", return_value="this test compares WeasyPrint's path"):
        new = pdf.document_pdf(document=document, facts=facts, replaces=replaces, issued_on=issued_on)
    with translation.override(settings.LANGUAGE_CODE):
        html = pdf.document_html(document=document, facts=facts, replaces=replaces, issued_on=issued_on)
        old = _plain_way(html, pdf.document_css(document.kind))
    return new, old


@pytest.mark.parametrize("kind", list(Document.Kind))
@pytest.mark.parametrize(("first_name", "last_name"), [("Ana", "López García"), ("伟", "张"), ("محمد", "الحسن")])
def test_a_document_rendered_the_fast_way_looks_as_weasyprint_draws_it(
    kind: str, first_name: str, last_name: str
) -> None:
    document, facts = _document(kind, first_name, last_name)

    _assert_look_the_same(*_render_both(document, facts))


@pytest.mark.parametrize(
    "result",
    [
        {"exam": "KET", "mode": "computer"},  # three papers, Reading and Writing counted twice
        {"exam": "CPE", "grade": "Grade C", "overall": 205, "cefr": "C2", "scores": CPE_SCORES},
        {"exam": "FCE", "grade": "Fail", "overall": 130, "cefr": ""},
    ],
    ids=["KET", "CPE", "FCE-fail"],
)
def test_statements_of_other_exams_look_as_weasyprint_draws_them(result: dict[str, Any]) -> None:
    document, facts = _document(Document.Kind.STATEMENT, "Ana", "López García", **result)

    _assert_look_the_same(*_render_both(document, facts))


def test_an_old_style_statement_looks_as_weasyprint_draws_it() -> None:
    from results.legacy import legacy_results_import
    from results.tests.legacy_data import FIRST_MARKS, first_2013_session, legacy_csv, legacy_entry

    entry = legacy_entry(first_2013_session())
    legacy_results_import(text=legacy_csv(entry, FIRST_MARKS))  # B2 First 2013: the profile of each paper
    released = Result.objects.get(entry=entry)
    name = printed_name(result=released)
    document = Document(
        result=released, kind=Document.Kind.STATEMENT, result_version=released.version, name_printed=name
    )

    _assert_look_the_same(*_render_both(document, result_facts(result=released, name=name)))


def test_an_amended_statement_looks_as_weasyprint_draws_it() -> None:
    document, facts = _document(Document.Kind.STATEMENT, "Ana", "López García")
    replaced = Document(
        result=document.result, kind=Document.Kind.STATEMENT, result_version=1, name_printed=facts.name
    )
    replaced.created_at = timezone.now()

    _assert_look_the_same(*_render_both(document, facts, replaces=replaced))


LABELS = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 200" width="300" height="200" font-family="DejaVu Sans">'
    '<rect x="0" y="0" width="300" height="200" fill="#e3ebf4"/>'
    '<text x="10" y="30" font-size="14" fill="none" stroke="#ffffff" stroke-width="3">Halo under · a label</text>'
    '<text x="10" y="30" font-size="14" fill="#1b1b1b">Halo under · a label</text>'
    '<text x="290" y="60" font-size="13" font-weight="600" text-anchor="end" fill="#0b3d6e">Grade B · B2</text>'
    '<text x="150" y="90" font-size="12" text-anchor="middle" letter-spacing="0.6" font-weight="bold">RESULTS</text>'
    '<text x="10" y="120" font-size="12" fill="#1b1b1b">Fail · no certificate</text>'
    '<text x="10" y="150" font-size="12" dx="0 2 4">Moved letters</text>'
    '<text x="10" y="180" font-size="12">Two <tspan font-weight="bold">runs</tspan></text>'
    "</svg>"
)


def test_labels_in_an_svg_look_as_weasyprint_draws_them_each_laid_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "data:image/svg+xml;base64," + base64.b64encode(LABELS.encode()).decode()
    html = f'<!DOCTYPE html><html lang="en"><body><img src="{url}" alt="Labels" style="width: 150mm"></body></html>'
    laid_out: list[str] = []
    split_first_line = pdf_svg.split_first_line

    def counted(text: str, *arguments: Any) -> Any:
        laid_out.append(text)
        return split_first_line(text, *arguments)

    monkeypatch.setattr(pdf_svg, "split_first_line", counted)
    monkeypatch.setattr(pdf_svg, "_kept", threading.local())  # no line kept from an earlier test
    new = pdf.html_pdf(html, variant="pdf/ua-1", svgs={url: LABELS})

    # The plain labels, each laid out once (the halo shares its label's line); WeasyPrint draws the other two.
    assert sorted(laid_out) == ["Fail · no certificate", "Grade B · B2", "Halo under · a label", "RESULTS"]
    _assert_look_the_same(new, _plain_way(html, ""))
    # The next document finds the lines kept, and looks the same.
    again = pdf.html_pdf(html, variant="pdf/ua-1", svgs={url: LABELS})
    assert len(laid_out) == 4
    _assert_look_the_same(again, new)
