"""Rendering a Statement of Results PDF (certificates app) against a minimal one-page WeasyPrint document.

Ours: ``certificates.pdf.document_pdf`` for a released B2 First result with its five skills, as the render
task calls it (facts read through the certificates selectors, QR code, chart, seal), without storing the file.
Floor: WeasyPrint writing a one-page PDF of a single paragraph. Statements are rendered once by a Celery task
and served from storage, so this sizes the render workers, not the web tier (docs/scaling.md).

That statement is one the direct writer draws (``certificates.pdf_direct``, ADR 0018). A second line, without a
goal, gives the same statement rendered by WeasyPrint: what the statements the gate refuses (other scripts,
old-style statements) still cost.
"""

import datetime as dt
from unittest import mock

from .core import Figure, rate
from .data import candidate_id
from .infra import say

TARGET = 0.25  # ours ≥ 0.25 × a minimal WeasyPrint page (issue 22)

NAME = "Statement of Results PDF render"
MINIMAL = "<!doctype html><html><body><p>Statement of Results</p></body></html>"


def run() -> list[Figure]:
    """Measure statement PDFs per second against the minimal WeasyPrint page, or say why it cannot."""
    try:
        from certificates.models import Document
        from certificates.pdf import document_pdf
        from certificates.selectors import printed_name, result_facts
    except ImportError as error:
        return [Figure.skip(NAME, f"certificates app has no PDF renderer yet ({error})")]
    from weasyprint import HTML

    from results.models import Result

    result = Result.objects.select_related("entry__session__exam", "entry__person").get(
        entry__candidate_id=candidate_id("REL", 0)
    )
    name = printed_name(result=result)
    document = Document(result=result, kind=Document.Kind.STATEMENT, result_version=result.version, name_printed=name)

    def render() -> bytes:
        facts = result_facts(result=result, name=name)
        return document_pdf(document=document, facts=facts, replaces=None, issued_on=dt.datetime.now(dt.UTC).date())

    try:
        pdf = render()
    except Exception as error:  # noqa: BLE001 - another engineer's app in progress: report, do not fail the run
        return [Figure.skip(NAME, f"document_pdf failed: {type(error).__name__}: {error}")]
    if not pdf.startswith(b"%PDF"):
        return [Figure.skip(NAME, "document_pdf did not return a PDF")]
    from certificates import pdf_direct

    def by_weasyprint() -> bytes:
        with mock.patch.object(pdf_direct, "refusal", return_value="measured as a refused statement"):
            return render()

    HTML(string=MINIMAL).write_pdf()
    by_weasyprint()
    ours = rate(render, seconds=6, at_least=3)
    floor = rate(lambda: HTML(string=MINIMAL).write_pdf(), seconds=4, at_least=3)
    weasyprint = rate(by_weasyprint, seconds=4, at_least=3)
    say(f"pdf: ours {ours:.1f}/s ({len(pdf):,} bytes), by WeasyPrint {weasyprint:.1f}/s, minimal page {floor:.1f}/s")
    return [
        Figure(
            f"{NAME} (one process)",
            "/s",
            ours,
            floor,
            target=f"≥ {TARGET:g} × a minimal WeasyPrint page",
            met=ours >= TARGET * floor,
        ),
        Figure(f"{NAME} by WeasyPrint, as a refused statement (one process)", "/s", weasyprint, floor),
    ]
