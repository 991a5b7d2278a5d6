"""Statement of Results, certificate and certifying statement PDFs, each with a QR code to its verification page.

The documents are the board's official record, rendered once and stored: they are in English, the language
of the board's certificates, so every copy and every verifier reads the same words
(docs/decisions/0006-documents-and-qr.md). The verification page they point to is translated.

The QR code is a PNG with one pixel per module, scaled up without smoothing, inside a link to the same URL:
it stays sharp at any zoom or print resolution, and a PDF reader can follow it too.

Rendering is WeasyPrint's, with what is the same in every document done once per process: the fonts
(``font_configuration``) and each kind's stylesheet (``document_stylesheet``). The SVG images (the chart, the
seal) are drawn with their labels laid out once instead of letter by letter (``certificates.pdf_svg``).
``certificates/tests/test_pdf_looks_the_same.py`` holds the pages to WeasyPrint's own rendering of the same HTML.
"""

import base64
import datetime as dt
import functools
import io
import logging
import math
import re
import xml.etree.ElementTree as ET  # noqa: S405 - parses only the SVG our own code draws
from typing import Any

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape

from results.legacy_statement import old_style_statement

from .models import Document
from .selectors import ResultFacts, certification_is_below, result_chart_svg
from .tokens import document_verify_url

logger = logging.getLogger(__name__)

QR_ERROR_CORRECTION = "m"
CHART_WIDTH_MM = 92
TEMPLATES = {
    Document.Kind.STATEMENT: "certificates/pdf/statement.html",
    Document.Kind.CERTIFICATE: "certificates/pdf/certificate.html",
    Document.Kind.CERTIFYING_STATEMENT: "certificates/pdf/certifying_statement.html",
}
STYLESHEETS = {
    Document.Kind.STATEMENT: "certificates/pdf/statement.css",
    Document.Kind.CERTIFICATE: "certificates/pdf/certificate.css",
    Document.Kind.CERTIFYING_STATEMENT: "certificates/pdf/certifying_statement.css",
}
# What the public pages say candidates never get (docs/domain.md §15 'Feedback and grade statistics').
NO_PAPERS_NOTE = (
    "Candidates never receive their exam papers or marks for individual questions: this Statement of Results "
    "is the full feedback the board gives on an exam."
)


def board_name() -> str:
    """Return the awarding body's name as the documents print it."""
    return str(settings.BOARD_NAME or "Results Portal")


def qr_code(url: str) -> segno.QRCode:
    """Return the QR code printed on a document for ``url`` (error correction M: survives a fold or a stain)."""
    return segno.make(url, error=QR_ERROR_CORRECTION, micro=False)


def qr_png_data_uri(url: str) -> str:
    """Return the QR code for ``url`` as a PNG data URI, one pixel per module and no quiet zone (CSS adds it)."""
    buffer = io.BytesIO()
    qr_code(url).save(buffer, kind="png", scale=1, border=0)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def seal_svg() -> str:
    """Return the board's seal: a rosette with the board's name, drawn as SVG (no image file to go missing)."""
    return _seal_svg(board_name())


@functools.cache
def _seal_svg(name: str) -> str:
    """Return the seal of the board called ``name``, drawn once per process."""
    teeth = 48
    points = []
    for index in range(teeth * 2):
        radius = 49 if index % 2 == 0 else 45.5
        angle = math.pi * index / teeth
        points.append(f"{50 + radius * math.cos(angle):.2f},{50 + radius * math.sin(angle):.2f}")
    words = name.upper().split()
    lines = [" ".join(words[: (len(words) + 1) // 2]), " ".join(words[(len(words) + 1) // 2 :])]
    text = "".join(
        f'<text x="50" y="{y}" font-size="{size}" font-weight="bold" text-anchor="middle" fill="#0b3d6e" '
        f'letter-spacing="0.6">{escape(line)}</text>'
        for line, y, size in ((lines[0], 47, 8.5), (lines[1], 58, 8.5))
        if line
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" role="img" '
        f'aria-label="Seal of {escape(name)}">'
        f'<polygon points="{" ".join(points)}" fill="#f4ecd4" stroke="#8a6d1d" stroke-width="0.8"/>'
        '<circle cx="50" cy="50" r="40" fill="none" stroke="#8a6d1d" stroke-width="1.4"/>'
        '<circle cx="50" cy="50" r="36.5" fill="none" stroke="#8a6d1d" stroke-width="0.5"/>'
        '<path d="M30 66 L70 66" stroke="#8a6d1d" stroke-width="0.6"/>'
        '<path d="M38 34 L50 27 L62 34" fill="none" stroke="#8a6d1d" stroke-width="0.9"/>'
        f"{text}</svg>"
    )


SVG_NS = "http://www.w3.org/2000/svg"


def print_safe_svg(svg: str) -> tuple[str, str, float]:
    """Return an SVG drawn for browsers made safe for WeasyPrint, its description and its height ÷ width.

    WeasyPrint ignores ``paint-order``, so text with a halo (``stroke`` painted under the fill) would come out
    as white outlines: each such text is split into the halo alone, then the text without a stroke.
    """
    ET.register_namespace("", SVG_NS)
    root = ET.fromstring(svg)  # noqa: S314 - our own markup, never user input
    for parent in root.iter():
        for index, child in reversed(list(enumerate(parent))):
            if child.tag != f"{{{SVG_NS}}}text" or child.get("paint-order") != "stroke":
                continue
            halo = ET.Element(child.tag, dict(child.attrib))
            halo.text = child.text
            halo.set("fill", "none")
            del halo.attrib["paint-order"]
            halo.set("aria-hidden", "true")
            for name in ("stroke", "stroke-width", "paint-order"):
                child.attrib.pop(name, None)
            parent.insert(index, halo)
    _x, _y, width, height = (float(n) for n in root.get("viewBox", "0 0 1 1").split())
    return ET.tostring(root, encoding="unicode"), svg_description(root), height / width


def svg_description(root: ET.Element) -> str:
    """Return the description of a parsed SVG (its ``desc``, spaces collapsed): the image's alternative text."""
    desc = root.find(f"{{{SVG_NS}}}desc")
    return re.sub(r"\s+", " ", desc.text or "").strip() if desc is not None else ""


def chart_height_mm(ratio: float) -> str:
    """Return the printed chart's height in millimetres for its height ÷ width, to a tenth (its width is fixed)."""
    return f"{CHART_WIDTH_MM * ratio:.1f}"


def qr_alt(url: str) -> str:
    """Return the alternative text of a document's QR code."""
    return f"QR code: check this document online at {url}"


def svg_data_uri(svg: str) -> str:
    """Return an SVG as a data URI for an ``<img>`` (WeasyPrint's SVG renderer, with the alt text on the img)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def statement_about(facts: ResultFacts, *, charted: bool) -> list[str]:
    """Return the paragraphs of a modern statement's "About your result" (``charted``: the statement has its
    chart), for the template and for ``certificates.pdf_direct`` alike."""
    paragraphs = []
    if facts.indicator_text:
        paragraphs.append(facts.indicator_text)
    elif charted and facts.weighted:
        paragraphs.append(
            "Your overall score is (2 × Reading and Writing + Listening + Speaking) ÷ 4, rounded to the nearest whole "
            "number: the Reading and Writing paper is half of the exam. No paper is passed or failed on its own: "
            "your result comes from your overall score."
        )
    elif charted:
        paragraphs.append(
            "Your overall score is the average of your skill scores, rounded to the nearest whole number. No skill is "
            "passed or failed on its own: your result comes from your overall score."
        )
    if facts.certification == "above":
        paragraphs.append(
            f"Extended certification: your result is certified at CEFR level {facts.cefr_level}, the level above the "
            "one the exam is designed to test."
        )
    elif facts.certification == "below":
        paragraphs.append(
            "Extended certification: you narrowly missed a pass, and your certificate states that you demonstrated "
            f"ability at CEFR level {facts.cefr_level}."
        )
    paragraphs.append(
        "Your certificate is sent to your exam centre."
        if facts.certificate
        else "This result does not lead to a certificate."
    )
    return paragraphs


def _document_context(
    *, document: Document, facts: ResultFacts, replaces: Document | None, issued_on: dt.date
) -> dict[str, Any]:
    """Return what a document's template shows, with ``svgs``: the SVG each of its ``data:`` URIs holds."""
    verify_url = document_verify_url(document_uuid=document.uuid)
    seal = seal_svg()
    seal_src = svg_data_uri(seal)
    context: dict[str, Any] = {
        "document": document,
        "facts": facts,
        "replaces": replaces,
        "issued_on": issued_on,
        "board_name": board_name(),
        "verify_url": verify_url,
        "verify_home": f"{settings.SITE_URL}/verify/",
        "qr_src": qr_png_data_uri(verify_url),
        "qr_alt": qr_alt(verify_url),
        "certified_below": certification_is_below(facts),
        "no_papers_note": NO_PAPERS_NOTE,
        "seal_src": seal_src,
        "svgs": {seal_src: seal},
    }
    if document.kind == Document.Kind.STATEMENT:
        context["old"] = old_style_statement(view=facts)
        chart = result_chart_svg(facts=facts)
        if chart:
            svg, description, ratio = print_safe_svg(chart)
            context["chart_src"], context["chart_alt"] = svg_data_uri(svg), description
            context["svgs"][context["chart_src"]] = svg
            # Sized here: WeasyPrint gives an SVG image its intrinsic height otherwise.
            context["chart_width_mm"] = CHART_WIDTH_MM
            context["chart_height_mm"] = chart_height_mm(ratio)
        context["about"] = statement_about(facts, charted=bool(chart))
    return context


def document_html(*, document: Document, facts: ResultFacts, replaces: Document | None, issued_on: dt.date) -> str:
    """Return the HTML of a document before it becomes a PDF, without its stylesheet (``document_css``)."""
    context = _document_context(document=document, facts=facts, replaces=replaces, issued_on=issued_on)
    return render_to_string(TEMPLATES[Document.Kind(document.kind)], context)


def document_css(kind: str) -> str:
    """Return the stylesheet of a kind of document."""
    return render_to_string(STYLESHEETS[Document.Kind(kind)], {"chart_width_mm": CHART_WIDTH_MM})


@functools.cache
def font_configuration() -> Any:
    """Return the fonts WeasyPrint renders with, looked up once per process and kept for every later document.

    A new ``FontConfiguration`` per document (WeasyPrint's default) builds a fontconfig configuration and asks it
    again for every family of the stylesheets (DejaVu, Noto, Noto CJK): about an eighth of a statement's CPU. The
    documents declare no ``@font-face``, so nothing is added to it per document and one serves them all.
    """
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@functools.cache
def document_stylesheet(kind: str) -> Any:
    """Return the stylesheet of a kind of document parsed by WeasyPrint, once per process.

    It is the same for every document of the kind: parsing it took about a tenth of a statement's time.
    """
    import weasyprint

    return weasyprint.CSS(string=document_css(kind), font_config=font_configuration())


def html_pdf(
    html: str, *, variant: str | None = None, stylesheet: Any = None, svgs: dict[str, str] | None = None
) -> bytes:
    """Return the PDF WeasyPrint writes of ``html`` (paths relative to the project) with the process's fonts.

    ``stylesheet`` is a parsed stylesheet to add (``document_stylesheet``); ``svgs`` maps the ``data:`` URIs of the
    SVG images in ``html`` to the SVG each holds, drawn by ``certificates.pdf_svg``.
    """
    # Imported here: importing WeasyPrint takes about a second, which web workers should not pay at start.
    import weasyprint

    from .pdf_svg import svg_images

    pdf = weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        pdf_variant=variant,
        font_config=font_configuration(),
        stylesheets=[stylesheet] if stylesheet is not None else None,
        cache=svg_images(svgs or {}, font_configuration()),
    )
    assert pdf is not None  # noqa: S101 - write_pdf() without a target always returns the bytes
    return pdf


def document_pdf(*, document: Document, facts: ResultFacts, replaces: Document | None, issued_on: dt.date) -> bytes:
    """Return the PDF of ``document`` showing ``facts``: tagged PDF/UA-1, A4, with its QR code.

    A statement ``certificates.pdf_direct`` draws exactly is drawn there; anything else, or a statement it fails
    on, by WeasyPrint (docs/decisions/0018-statements-drawn-without-html.md).
    """
    kind = Document.Kind(document.kind)
    with translation.override(settings.LANGUAGE_CODE):
        direct = _drawn_directly(document=document, facts=facts, replaces=replaces, issued_on=issued_on)
        if direct is not None:
            return direct
        context = _document_context(document=document, facts=facts, replaces=replaces, issued_on=issued_on)
        html = render_to_string(TEMPLATES[kind], context)
        return html_pdf(html, variant="pdf/ua-1", stylesheet=document_stylesheet(kind), svgs=context["svgs"])


_direct_unavailable = False  # set when certificates.pdf_direct failed to load: it is not tried again


def _drawn_directly(
    *, document: Document, facts: ResultFacts, replaces: Document | None, issued_on: dt.date
) -> bytes | None:
    """Return the document drawn by ``certificates.pdf_direct``, or None where WeasyPrint must render it.

    A stored statement is never half drawn: whatever the direct writer raises, WeasyPrint renders the statement
    (and an unexpected error is logged, to be looked into).
    """
    global _direct_unavailable  # noqa: PLW0603 - once per process
    if _direct_unavailable:
        return None
    try:
        from . import pdf_direct  # imported here: it imports this module
    except Exception:
        _direct_unavailable = True
        logger.exception("certificates.pdf_direct cannot be loaded: WeasyPrint renders every document")
        return None
    try:
        refusal = pdf_direct.refusal(document=document, facts=facts)
        if refusal is None:
            return pdf_direct.statement_pdf(document=document, facts=facts, replaces=replaces, issued_on=issued_on)
    except pdf_direct.Undrawable as undrawable:
        refusal = str(undrawable)
    except Exception:
        logger.exception("The direct writer failed on the statement %s: WeasyPrint renders it", document.uuid)
        return None
    logger.debug("Document %s rendered by WeasyPrint: %s", document.uuid, refusal)
    return None
