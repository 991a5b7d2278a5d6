"""The statements drawn without HTML (``certificates.pdf_direct``) are WeasyPrint's statements, and only those are.

For every shape of statement the gate (``pdf_direct.refusal``) accepts — each format of each scale-score exam, a
pass, a fail, extended certification above and below, an amended statement, accented Latin names, a name and a
centre that wrap, other dates — ``document_pdf`` must draw it directly, and against WeasyPrint's rendering of the
same document: the page images match within the tolerance of ``test_pdf_looks_the_same``, the text ``pdftotext``
extracts is the same (so a wording changed in the template and not here fails), and so are the metadata ``pdfinfo``
reads. Everything else goes to WeasyPrint: other kinds, old-style statements, names in other scripts, a name on
three lines, and any statement the direct writer fails on.

What a statement costs is measured by ``python -m benchmarks bench_pdf`` (``make bench``), never here.
"""

import datetime as dt
import io
import logging
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from pypdf import PdfReader

from centres.tests.factories import CentreFactory
from certificates import pdf, pdf_direct
from certificates.models import Document
from certificates.selectors import printed_name, result_facts
from certificates.tests.factories import released_entry
from certificates.tests.test_pdf_looks_the_same import CPE_SCORES, _assert_look_the_same, _document
from grading.scale import SCALE_FORMATS, Certification, ScaleExam
from results.models import Result

pytestmark = pytest.mark.django_db

PET_SCORES = {"reading": 166, "writing": 160, "listening": 170, "speaking": 164}
MINIMAL = "<!doctype html><html><body><p>Statement of Results</p></body></html>"
ISSUED_ON = dt.date(2026, 7, 14)
METADATA = ("Title", "Author", "Subject", "Tagged", "Pages", "Page size")
LONG_FIRST_NAMES = "Maximiliana Alexandrina Konstantina"
LONG_LAST_NAMES = "Featherstonehaugh Wolfeschlegel Montgomery"


def _statement(
    first_name: str = "Ana",
    last_name: str = "López García",
    *,
    certificate: bool = True,
    centre_name: str | None = None,
    **result: Any,
) -> tuple[Document, Any]:
    if centre_name is not None:
        result["centre"] = CentreFactory.create(name=centre_name)
    _entry, released = released_entry(first_name=first_name, last_name=last_name, **result)
    if not certificate:
        Result.objects.filter(pk=released.pk).update(certificate=False)
        released.refresh_from_db()
    name = printed_name(result=released)
    document = Document(
        result=released, kind=Document.Kind.STATEMENT, result_version=released.version, name_printed=name
    )
    return document, result_facts(result=released, name=name)


def _weasyprint_pdf(document: Document, facts: Any, replaces: Document | None = None) -> bytes:
    """Return the document as WeasyPrint renders it: ``document_pdf`` with the gate closed."""
    with mock.patch.object(pdf_direct, "refusal", return_value="the test asks for WeasyPrint's rendering"):
        return pdf.document_pdf(document=document, facts=facts, replaces=replaces, issued_on=ISSUED_ON)


def _poppler(tool: str, pdf_bytes: bytes, *arguments: str) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(pdf_bytes)
        return subprocess.run(  # noqa: S603
            [tool, *arguments, str(path), *(["-"] if tool == "pdftotext" else [])],
            capture_output=True,
            text=True,
            check=True,
        ).stdout


def _text(pdf_bytes: bytes) -> str:
    return " ".join(_poppler("pdftotext", pdf_bytes).split())


def _metadata(pdf_bytes: bytes) -> dict[str, str]:
    lines = (line.partition(":") for line in _poppler("pdfinfo", pdf_bytes).splitlines())
    return {key: value.strip() for key, _colon, value in lines if key in METADATA}


def _producer(pdf_bytes: bytes) -> str:
    metadata = PdfReader(io.BytesIO(pdf_bytes)).metadata
    assert metadata is not None
    return str(metadata["/Producer"])


def _bookmarks(pdf_bytes: bytes) -> list[Any]:
    """Return the outline: each heading's title and where it points (to a tenth of a point), nested as lists."""
    reader = PdfReader(io.BytesIO(pdf_bytes))

    def entries(outline: list[Any]) -> list[Any]:
        return [
            entries(item)
            if isinstance(item, list)
            else (str(item.title), round(float(item.left), 1), round(float(item.top), 1))
            for item in outline
        ]

    return entries(reader.outline)


def _structure(pdf_bytes: bytes) -> list[Any]:
    """Return the elements of the structure tree, in order."""
    elements: list[Any] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if isinstance(node, dict) and "/S" in node:
            elements.append(node)
        kids = node.get("/K", []) if isinstance(node, dict) else []
        for kid in kids if isinstance(kids, list) else [kids]:
            if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                walk(kid)

    walk(PdfReader(io.BytesIO(pdf_bytes)).trailer["/Root"]["/StructTreeRoot"])
    return elements


def _alternative_texts(pdf_bytes: bytes) -> list[str]:
    """Return the alternative texts of the structure tree's elements (the QR code's, the chart's), in order."""
    return [str(element["/Alt"]) for element in _structure(pdf_bytes) if "/Alt" in element]


def _cell_headers(pdf_bytes: bytes) -> list[list[str]]:
    """Return, for each TD of the structure tree in order, the roles of the cells its /Headers name."""
    elements = _structure(pdf_bytes)
    by_id = {str(element["/ID"]): element for element in elements if "/ID" in element}
    return [
        [str(by_id[str(header)]["/S"]) for header in element.get("/A", {}).get("/Headers", [])]
        for element in elements
        if element["/S"] == "/TD"
    ]


def _assert_drawn_as_weasyprint_draws_it(document: Document, facts: Any, replaces: Document | None = None) -> None:
    assert pdf_direct.refusal(document=document, facts=facts) is None
    direct = pdf.document_pdf(document=document, facts=facts, replaces=replaces, issued_on=ISSUED_ON)
    weasyprint = _weasyprint_pdf(document, facts, replaces)

    assert _producer(direct) == "Results Portal"  # the direct writer drew it
    assert _producer(weasyprint).startswith("WeasyPrint")
    _assert_look_the_same(direct, weasyprint)
    assert _text(direct) == _text(weasyprint)
    assert _metadata(direct) == _metadata(weasyprint)
    assert _metadata(direct)["Tagged"] == "yes"
    assert _bookmarks(direct) == _bookmarks(weasyprint)
    [(h1, *_h1_at), [(scores, *_scores_at), (about, *_about_at)]] = _bookmarks(direct)
    assert (h1, scores, about) == ("Statement of Results", "Your scores", "About your result")
    # Each data cell names its headers, as WeasyPrint tags them: the row's, and the column's in the scores.
    assert _cell_headers(direct) == _cell_headers(weasyprint)
    assert _cell_headers(direct) == [["/TH"]] * 5 + [["/TH", "/TH"]] * (len(facts.components) + 1)
    # pdftotext does not read them: the QR code's and the chart's alternative texts, compared here.
    assert _alternative_texts(direct) == _alternative_texts(weasyprint)
    assert len(_alternative_texts(direct)) == 2


def _format_date(scale: ScaleExam) -> dt.date:
    """Return a sitting date in force for ``scale``: its last year, or this year for the format in force."""
    return scale.valid_until - dt.timedelta(days=60) if scale.valid_until else dt.date(2026, 6, 13)


def _pass(scale: ScaleExam) -> dict[str, Any]:
    band = next(band for band in scale.bands if band.certification == Certification.AT)
    overall = (band.low + band.high) // 2
    return {
        "exam": scale.code,
        "date": _format_date(scale),
        "grade": band.result,
        "overall": overall,
        "cefr": band.cefr,
        "scores": dict.fromkeys(scale.skills, overall),
    }


FORMATS = [scale for formats in SCALE_FORMATS.values() for scale in formats]


@pytest.mark.parametrize("scale", FORMATS, ids=[f"{s.code}-{s.valid_from or 'first'}" for s in FORMATS])
def test_each_exam_format_is_drawn_as_weasyprint_draws_it(scale: ScaleExam) -> None:
    _assert_drawn_as_weasyprint_draws_it(*_statement(**_pass(scale)))


@pytest.mark.parametrize(
    ("result", "certification"),
    [
        ({"grade": "Grade A", "overall": 185, "cefr": "C1", "scores": dict.fromkeys(CPE_SCORES, 185)}, "above"),
        ({"grade": "Level B1", "overall": 150, "cefr": "B1", "scores": dict.fromkeys(CPE_SCORES, 150)}, "below"),
        (
            {
                "grade": "Fail",
                "overall": 130,
                "cefr": "",
                "certificate": False,
                "scores": dict.fromkeys(CPE_SCORES, 130),
            },
            "",
        ),
        ({"exam": "CPE", "grade": "Grade C", "overall": 205, "cefr": "C2", "scores": CPE_SCORES}, "at"),
        (
            {"exam": "PET", "grade": "Pass with Distinction", "overall": 165, "cefr": "B2", "scores": PET_SCORES},
            "",  # a 2016 grade name on a 2020 sitting: no band certifies it (and it wraps in its box)
        ),
        ({"exam": "KET", "mode": "computer", "date": dt.date(2025, 11, 29)}, "at"),
    ],
    ids=["above", "below", "fail", "CPE-grade-C", "PET-distinction", "KET-other-date"],
)
def test_results_are_drawn_as_weasyprint_draws_them(result: dict[str, Any], certification: str) -> None:
    document, facts = _statement(**result)
    assert facts.certification == certification

    _assert_drawn_as_weasyprint_draws_it(document, facts)


@pytest.mark.parametrize(
    ("first_name", "last_name", "centre_name"),
    [
        ("Zoë", "Hughes", None),
        ("Łukasz", "Żółć-Dąbrowski", None),
        ("Seán", "O'Brien", None),
        ("François", "D’Arcy-Ñúñez", None),
        ("J. R.", "Ørsted, Æbelø", None),
        (LONG_FIRST_NAMES, LONG_LAST_NAMES, None),  # two lines
        ("Ana", "López García", "Escuela Internacional de Idiomas Santa María de los Ángeles, Valladolid"),
    ],
    ids=["diaeresis", "polish", "fada", "cedilla-tilde", "nordic", "long-name", "long-centre"],
)
def test_names_are_drawn_as_weasyprint_draws_them(first_name: str, last_name: str, centre_name: str | None) -> None:
    document, facts = _statement(first_name, last_name, centre_name=centre_name)

    _assert_drawn_as_weasyprint_draws_it(document, facts)
    lines = _poppler("pdftotext", pdf.document_pdf(document=document, facts=facts, replaces=None, issued_on=ISSUED_ON))
    wrapped = len(facts.name) > 60 or len(facts.centre_name) > 60  # over one line of the details' cells
    assert wrapped == (not any(facts.name in line for line in lines.splitlines()) or facts.centre_name not in lines)


def test_an_amended_statement_is_drawn_as_weasyprint_draws_it() -> None:
    document, facts = _statement()
    replaced = Document(
        result=document.result, kind=Document.Kind.STATEMENT, result_version=1, name_printed=facts.name
    )
    replaced.created_at = dt.datetime(2026, 7, 2, 23, 30, tzinfo=dt.UTC)  # 3 July in London, where it is printed

    _assert_drawn_as_weasyprint_draws_it(document, facts, replaced)


def _old_style_statement() -> tuple[Document, Any]:
    from results.legacy import legacy_results_import
    from results.tests.legacy_data import FIRST_MARKS, first_2013_session, legacy_csv, legacy_entry

    entry = legacy_entry(first_2013_session())
    legacy_results_import(text=legacy_csv(entry, FIRST_MARKS))
    released = Result.objects.get(entry=entry)
    name = printed_name(result=released)
    document = Document(
        result=released, kind=Document.Kind.STATEMENT, result_version=released.version, name_printed=name
    )
    return document, result_facts(result=released, name=name)


@pytest.mark.parametrize(
    "refused",
    [
        lambda: _statement("伟", "张"),
        lambda: _statement("محمد", "الحسن"),
        lambda: _statement("Ζωή", "Παπαδοπούλου"),  # Greek: DejaVu has it, the tests do not draw it
        _old_style_statement,
        lambda: _document(Document.Kind.CERTIFICATE, "Ana", "López García"),
        lambda: _statement(grade="X", overall=None, cefr=""),
        lambda: _statement("Ana", "López  García"),  # WeasyPrint collapses the spaces
        lambda: _statement("", "Sukarno"),  # one name: printed " Sukarno", its space collapsed by WeasyPrint
    ],
    ids=["chinese", "arabic", "greek", "old-style", "certificate", "indicator", "two-spaces", "one-name"],
)
def test_the_gate_leaves_other_documents_to_weasyprint(refused: Any) -> None:
    document, facts = refused()

    assert pdf_direct.refusal(document=document, facts=facts) is not None
    rendered = pdf.document_pdf(document=document, facts=facts, replaces=None, issued_on=ISSUED_ON)
    assert _producer(rendered).startswith("WeasyPrint")
    assert _text(rendered) == _text(_weasyprint_pdf(document, facts))


@pytest.mark.parametrize(
    ("first_name", "last_name", "refusal"),
    [
        (f"{LONG_FIRST_NAMES} {LONG_FIRST_NAMES}", f"{LONG_LAST_NAMES} {LONG_LAST_NAMES}", "3 lines"),
        (LONG_FIRST_NAMES, "Featherstonehaugh-Wolfeschlegel Montgomery", "a line broken after '-'"),
    ],
    ids=["three-lines", "broken-at-a-hyphen"],
)
def test_a_name_laid_out_otherwise_is_left_to_weasyprint(first_name: str, last_name: str, refusal: str) -> None:
    document, facts = _statement(first_name, last_name)
    assert pdf_direct.refusal(document=document, facts=facts) is None

    with pytest.raises(pdf_direct.Undrawable, match=refusal):
        pdf_direct.statement_pdf(document=document, facts=facts, replaces=None, issued_on=ISSUED_ON)
    rendered = pdf.document_pdf(document=document, facts=facts, replaces=None, issued_on=ISSUED_ON)
    assert _producer(rendered).startswith("WeasyPrint")
    assert _text(rendered) == _text(_weasyprint_pdf(document, facts))


def test_versions_the_writer_was_not_compared_with_leave_every_statement_to_weasyprint() -> None:
    document, facts = _statement()
    assert pdf_direct.refusal(document=document, facts=facts) is None
    pdf_direct._versions_tested.cache_clear()

    try:
        with mock.patch.dict(pdf_direct.TESTED_VERSIONS, {"weasyprint": {"0.1"}}):
            assert "version" in (pdf_direct.refusal(document=document, facts=facts) or "")
            rendered = pdf.document_pdf(document=document, facts=facts, replaces=None, issued_on=ISSUED_ON)
    finally:
        pdf_direct._versions_tested.cache_clear()

    assert _producer(rendered).startswith("WeasyPrint")


def test_a_failing_direct_writer_leaves_the_statement_to_weasyprint(caplog: pytest.LogCaptureFixture) -> None:
    document, facts = _statement()

    with mock.patch.object(pdf_direct, "_write", side_effect=RuntimeError("a bug")):
        rendered = pdf.document_pdf(document=document, facts=facts, replaces=None, issued_on=ISSUED_ON)

    assert _producer(rendered).startswith("WeasyPrint")
    assert _text(rendered) == _text(_weasyprint_pdf(document, facts))
    [record] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert str(document.uuid) in record.getMessage()
    assert "a bug" in record.exc_text


def test_fonts_shape_the_same_in_threads() -> None:
    """Web workers may render in threads: a font's HarfBuzz buffer is shared, so shaping must not interleave."""
    face = pdf_direct.faces()["bold"]
    words = [f"Statement {n} of Results — López García {n * 7}" for n in range(200)]
    alone = [face.shape.__wrapped__(face, word, 13.3) for word in words]

    def shape_all(_thread: int) -> list[Any]:
        return [face.shape.__wrapped__(face, word, 13.3) for word in words]

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(shaped == alone for shaped in pool.map(shape_all, range(4)))
