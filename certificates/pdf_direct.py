"""The modern Statement of Results drawn straight to PDF, without HTML, for the statements it draws exactly.

``certificates.pdf.document_pdf`` renders a statement here when ``refusal`` finds nothing against it, and with
WeasyPrint otherwise; if this module raises while drawing (``Undrawable`` for a layout it refuses, or any error),
WeasyPrint renders the statement instead and the error is logged: a stored statement is never half drawn. It
costs a fraction of WeasyPrint's CPU (docs/decisions/0018-statements-drawn-without-html.md).

What it draws: the statement of ``certificates/pdf/statement.html`` for a graded result of a scale-score exam
(three, four or five skills, its chart, pass, fail, extended certification above or below, amended or not) whose
strings are Latin letters, digits and a few punctuation marks that the loaded fonts hold, laid out as WeasyPrint
lays them out on one A4 page. ``refusal`` turns away everything else before drawing: another kind of document, an
old-style statement, a result without a chart or with an indicator (X, Z, Pending, Withheld), a score below the
scale, any other character (no fallback font, no right-to-left text, no bidi), a chart element this module does
not draw; and every statement where Pango gives WeasyPrint other font files than the ones loaded here. While
drawing, ``Undrawable`` turns away a string that wraps onto more lines than the tests cover, a word wider than its
box, a line broken elsewhere than at a space, and a page that overflows.

The statement's layout therefore lives twice, in the template with its stylesheet and here;
``certificates/tests/test_pdf_direct.py`` holds them together: for every case the gate accepts, the page image
must match WeasyPrint's, and the extracted text, metadata, outline and table headers must be WeasyPrint's.

How it draws what WeasyPrint draws:
- **Fonts**: the files fontconfig gives WeasyPrint for the stylesheet's families (DejaVu Sans, its bold, DejaVu
  Sans Mono), shaped by HarfBuzz, the shaper Pango uses, through cffi (WeasyPrint already loads the library), at
  Pango's size (1/1024 px) so that advances are Pango's; embedded as WeasyPrint embeds them: CID fonts keeping
  their glyph ids, subset by HarfBuzz without hinting, with a ToUnicode map and glyph widths in thousandths.
- **Layout**: the statement's boxes as ``statement.css`` sets them (millimetres, line heights of 1.4, paddings,
  borders collapsing into the wider one), stacked by hand in the order WeasyPrint stacks them; each line's
  baseline is its half-leading plus the font's ascent, as Pango's. Paragraphs wrap greedily at Pango's line-break
  opportunities (and anywhere in the URL, ``word-break: break-all``).
- **Chart**: the chart's SVG (``results.charts``), parsed and drawn for the few elements it uses (rect, line,
  labels with their halo, the hatching pattern) the way WeasyPrint's SVG drawing writes them.
- **Tags**: PDF/UA-1 structure (Document, H1/H2, P, Table/TR/TH/TD with scopes, ids and headers, Figure with Alt,
  Caption, the QR code's Link with its annotation), everything else an Artifact, ToUnicode for every font, XMP
  with the PDF/UA id; the title, author and subject WeasyPrint writes from the template's head, and the headings'
  outline.
"""

import datetime as dt
import functools
import hashlib
import io
import math
import subprocess
import threading
import unicodedata
import xml.etree.ElementTree as ET  # noqa: S405 - parses only the SVG our own code draws
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pydyf
from cffi import FFI
from django.conf import settings
from django.utils import formats, timezone, translation
from weasyprint.css.properties import INITIAL_VALUES
from weasyprint.svg.text import Style
from weasyprint.text.ffi import ffi as pango_ffi
from weasyprint.text.fonts import get_hb_object_data, get_pango_font_hb_face
from weasyprint.text.line_break import get_log_attrs, split_first_line

from results.charts import FONT as CHART_FONTS
from results.legacy_statement import old_style_statement

from .models import Document
from .pdf import (
    CHART_WIDTH_MM,
    NO_PAPERS_NOTE,
    board_name,
    chart_height_mm,
    font_configuration,
    qr_alt,
    qr_code,
    statement_about,
    svg_description,
)
from .selectors import ResultFacts, result_chart_svg
from .tokens import document_verify_url

MM = 96 / 25.4  # CSS px per millimetre
PT = 96 / 72
PAGE_WIDTH, PAGE_HEIGHT = 210 * MM, 297 * MM
LEFT, TOP, BOTTOM = 16 * MM, 14 * MM, 14 * MM
CONTENT_WIDTH = PAGE_WIDTH - 32 * MM
INK, MUTED, BLUE, RULE = "#1b1b1b", "#4a4a4a", "#0b3d6e", "#c8c8c8"

_CDEF = """
typedef int hb_bool_t; typedef uint32_t hb_codepoint_t; typedef int32_t hb_position_t; typedef uint32_t hb_tag_t;
typedef struct hb_blob_t hb_blob_t; typedef struct hb_face_t hb_face_t; typedef struct hb_font_t hb_font_t;
typedef struct hb_buffer_t hb_buffer_t; typedef struct hb_set_t hb_set_t;
const char *hb_version_string (void);
typedef struct hb_subset_input_t hb_subset_input_t;
typedef struct { hb_codepoint_t codepoint; uint32_t mask; uint32_t cluster; uint32_t var1; uint32_t var2; }
  hb_glyph_info_t;
typedef struct { hb_position_t x_advance; hb_position_t y_advance; hb_position_t x_offset; hb_position_t y_offset;
  uint32_t var; } hb_glyph_position_t;
typedef struct { hb_tag_t tag; uint32_t value; unsigned int start; unsigned int end; } hb_feature_t;
hb_blob_t * hb_blob_create_from_file (const char *file_name);
const char * hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
void hb_blob_destroy (hb_blob_t *blob);
hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
unsigned int hb_face_get_upem (const hb_face_t *face);
hb_blob_t * hb_face_reference_blob (hb_face_t *face);
void hb_face_destroy (hb_face_t *face);
hb_font_t * hb_font_create (hb_face_t *face);
void hb_font_set_scale (hb_font_t *font, int x_scale, int y_scale);
hb_buffer_t * hb_buffer_create (void);
void hb_buffer_clear_contents (hb_buffer_t *buffer);
void hb_buffer_add_utf8 (hb_buffer_t *buffer, const char *text, int text_length, unsigned int item_offset,
  int item_length);
void hb_buffer_guess_segment_properties (hb_buffer_t *buffer);
void hb_shape (hb_font_t *font, hb_buffer_t *buffer, const hb_feature_t *features, unsigned int num_features);
hb_glyph_info_t * hb_buffer_get_glyph_infos (hb_buffer_t *buffer, unsigned int *length);
hb_glyph_position_t * hb_buffer_get_glyph_positions (hb_buffer_t *buffer, unsigned int *length);
hb_bool_t hb_feature_from_string (const char *str, int len, hb_feature_t *feature);
hb_tag_t hb_tag_from_string (const char *str, int len);
void hb_set_add (hb_set_t *set, hb_codepoint_t codepoint);
"""
_CDEF_SUBSET = """
hb_subset_input_t * hb_subset_input_create_or_fail (void);
void hb_subset_input_destroy (hb_subset_input_t *input);
hb_set_t * hb_subset_input_glyph_set (hb_subset_input_t *input);
hb_set_t * hb_subset_input_set (hb_subset_input_t *input, int set_type);
void hb_subset_input_set_flags (hb_subset_input_t *input, unsigned value);
hb_face_t * hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
"""
_ffi = FFI()
_ffi.cdef(_CDEF + _CDEF_SUBSET)
_hb = _ffi.dlopen("libharfbuzz.so.0")
_hb_subset = _ffi.dlopen("libharfbuzz-subset.so.0")
SUBSET_FLAGS = 0x1 | 0x2 | 0x4 | 0x20  # no hinting, retain glyph ids, desubroutinize, pass other tables through
DROP_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ")
NO_KERNING = _ffi.new("hb_feature_t[2]")
_hb.hb_feature_from_string(b"kern=0", -1, NO_KERNING)
_hb.hb_feature_from_string(b"liga=0", -1, NO_KERNING + 1)


def pango_size(px: float) -> float:
    """Return a font size as WeasyPrint gives it to Pango: whole 1/1024 px, rounded down."""
    return int(px * 1024) / 1024


@dataclass(frozen=True)
class Glyphs:
    """A run of shaped glyphs: ids, advances in px, and the text each glyph stands for."""

    ids: tuple[int, ...]
    advances: tuple[float, ...]
    texts: tuple[str, ...]
    breaks: tuple[bool, ...]  # a line may break after this glyph

    @property
    def width(self) -> float:
        return sum(self.advances)


class Face:
    """One font file: HarfBuzz's face for shaping and subsetting, its metrics as Pango reads them."""

    def __init__(self, path: str, tag: str) -> None:
        self.path, self.tag = path, tag
        self.blob = _hb.hb_blob_create_from_file(path.encode())
        self.face = _hb.hb_face_create(self.blob, 0)
        self.upem = _hb.hb_face_get_upem(self.face)
        self.font = _hb.hb_font_create(self.face)
        self.buffer = _hb.hb_buffer_create()
        self.lock = threading.Lock()  # the font's scale and the buffer are set per call: one thread at a time
        from fontTools.ttLib import TTFont

        with TTFont(path, lazy=True) as tt:
            self._read_metrics(tt)

    def _read_metrics(self, tt: Any) -> None:
        self.ascent = tt["hhea"].ascent / self.upem
        self.descent = -tt["hhea"].descent / self.upem
        self.font_name = tt["name"].getDebugName(6) or self.tag
        self.characters = frozenset(tt.getBestCmap())
        hmtx = tt["hmtx"]
        self.widths_1000 = {
            gid: round(hmtx[name][0] * 1000 / self.upem) for gid, name in enumerate(tt.getGlyphOrder())
        }
        self.flags = 32
        self.bbox = [
            round(v * 1000 / self.upem) for v in (tt["head"].xMin, tt["head"].yMin, tt["head"].xMax, tt["head"].yMax)
        ]
        self.italic_angle = tt["post"].italicAngle
        self.cap_height = round(getattr(tt["OS/2"], "sCapHeight", tt["hhea"].ascent) * 1000 / self.upem)

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - faces live as long as the process
    def shape(self, text: str, size: float, plain: bool = False) -> Glyphs:
        """Return ``text`` shaped at ``size`` px (Pango's units); ``plain``: no kerning nor ligatures (SVG labels)."""
        scale = round(size * 1024)
        data = text.encode()
        with self.lock:
            _hb.hb_font_set_scale(self.font, scale, scale)
            buffer = self.buffer
            _hb.hb_buffer_clear_contents(buffer)
            _hb.hb_buffer_add_utf8(buffer, data, len(data), 0, -1)
            _hb.hb_buffer_guess_segment_properties(buffer)
            _hb.hb_shape(self.font, buffer, NO_KERNING if plain else _ffi.NULL, 2 if plain else 0)
            count = _ffi.new("unsigned int *")
            infos = _hb.hb_buffer_get_glyph_infos(buffer, count)
            positions = _hb.hb_buffer_get_glyph_positions(buffer, count)
            n = count[0]
            ids = tuple(infos[i].codepoint for i in range(n))
            advances = tuple(positions[i].x_advance / 1024 for i in range(n))
            clusters = [infos[i].cluster for i in range(n)] + [len(data)]
        if 0 in ids:
            raise Undrawable(f"a character without a glyph in {self.font_name}: {text!r}")
        texts = tuple(data[clusters[i] : clusters[i + 1]].decode() for i in range(n))
        # Pango's line-break opportunities (UAX #14, as WeasyPrint lays lines out): after glyph i if before the next.
        attributes = get_log_attrs(text, "en")
        breaks, offset = [], 0
        for glyph_text in texts:
            offset += len(glyph_text)
            breaks.append(glyph_text.endswith(" ") if offset == len(text) else bool(attributes[offset].is_line_break))
        return Glyphs(ids=ids, advances=advances, texts=texts, breaks=tuple(breaks))

    def subset(self, glyph_ids: set[int]) -> bytes:
        """Return the font file with only ``glyph_ids`` (kept at their ids), without hinting, as WeasyPrint does."""
        subset_input = _hb_subset.hb_subset_input_create_or_fail()
        glyph_set = _hb_subset.hb_subset_input_glyph_set(subset_input)
        for gid in glyph_ids | {0}:
            _hb.hb_set_add(glyph_set, gid)
        drop = _hb_subset.hb_subset_input_set(subset_input, 3)
        for tag in DROP_TABLES:
            _hb.hb_set_add(drop, _hb.hb_tag_from_string(tag, -1))
        _hb_subset.hb_subset_input_set_flags(subset_input, SUBSET_FLAGS)
        face = _hb_subset.hb_subset_or_fail(self.face, subset_input)
        blob = _hb.hb_face_reference_blob(face)
        length = _ffi.new("unsigned int *")
        data = bytes(_ffi.buffer(_hb.hb_blob_get_data(blob, length), length[0]))
        _hb.hb_blob_destroy(blob)
        _hb.hb_face_destroy(face)
        _hb_subset.hb_subset_input_destroy(subset_input)
        return data


def _font_file(pattern: str) -> str:
    """Return the file fontconfig gives for ``pattern`` (what WeasyPrint's Pango gets for the same families)."""
    return subprocess.run(  # noqa: S603
        ["fc-match", "-f", "%{file}", pattern],  # noqa: S607 - fontconfig's own tool, as WeasyPrint's Pango asks it
        capture_output=True,
        text=True,
        check=True,
    ).stdout


# The families of certificates/pdf/_common.css (body and .url), as fontconfig patterns and as WeasyPrint lists them.
BODY_FONTS = "DejaVu Sans,Noto Sans,Noto Sans CJK SC,sans-serif"
URL_FONTS = "DejaVu Sans Mono,Noto Sans Mono CJK SC,monospace"
# WeasyPrint's SVG text splits a font-family at commas and strips quotes, not spaces (weasyprint.svg.text).
CHART_FAMILIES = ",".join(family.strip("\"'") for family in CHART_FONTS.split(","))
SAMPLE = "Statement of Results 0123456789 Ana López García"


@functools.cache
def faces() -> dict[str, Face]:
    """Return the statement's three fonts, loaded once per process."""
    return {
        "regular": Face(_font_file(BODY_FONTS), "F1"),
        "bold": Face(_font_file(f"{BODY_FONTS}:bold"), "F2"),
        "mono": Face(_font_file(URL_FONTS), "F3"),
    }


def _weasyprint_fonts(families: str, weight: int) -> set[bytes]:
    """Return the font files Pango gives WeasyPrint for a line of ``SAMPLE`` in ``families`` at ``weight``."""
    style = Style()
    style.update(INITIAL_VALUES)
    style.font_config = font_configuration()
    style["font_family"] = families.split(",")
    style["font_weight"] = weight
    style["font_size"] = 16
    layout, *_rest = split_first_line(SAMPLE, style, None, math.inf, 0)
    layout.reactivate(style)  # measuring set it aside, as in certificates.pdf_svg
    line, _index = layout.get_first_line()
    files, run = set(), line.runs[0]
    while run != pango_ffi.NULL:
        files.add(get_hb_object_data(get_pango_font_hb_face(run.data.item.analysis.font)))
        run = run.next
    return files


# The versions test_pdf_direct compared with WeasyPrint's pages (Debian 12's Pango and HarfBuzz, requirements'
# WeasyPrint). Under any other, every statement goes to WeasyPrint (the tests then fail, as they require the direct
# writer): run them, adapt this module if they show a difference, then name the version here.
TESTED_VERSIONS: dict[str, set[object]] = {"weasyprint": {"70.0"}, "pango": {15012}, "harfbuzz": {"6.0.0"}}


@functools.cache
def _versions_tested() -> bool:
    """Return whether WeasyPrint, Pango and HarfBuzz are the versions the direct writer was compared with."""
    import weasyprint
    from weasyprint.text.ffi import pango

    running = {
        "weasyprint": weasyprint.__version__,
        "pango": pango.pango_version(),
        "harfbuzz": _ffi.string(_hb.hb_version_string()).decode(),
    }
    return all(running[name] in versions for name, versions in TESTED_VERSIONS.items())


@functools.cache
def _fonts_are_weasyprints() -> bool:
    """Return whether the files loaded here are the ones WeasyPrint draws the statement and its chart with.

    The chart names other families first (``results.charts.FONT``): where one of them is installed, WeasyPrint
    draws the labels in it, and a drawing with DejaVu would differ.
    """
    files = {name: Path(face.path).read_bytes() for name, face in faces().items()}
    wanted = [
        (BODY_FONTS, 400, "regular"),
        (BODY_FONTS, 700, "bold"),
        (URL_FONTS, 400, "mono"),
        (CHART_FAMILIES, 400, "regular"),
        (CHART_FAMILIES, 600, "bold"),
        (CHART_FAMILIES, 700, "bold"),
    ]
    return all(_weasyprint_fonts(families, weight) == {files[face]} for families, weight, face in wanted)


class Undrawable(Exception):
    """The statement has a shape this module does not draw exactly: WeasyPrint must draw it."""


# The characters the tests draw besides Latin letters and ASCII digits (docs/decisions/0018).
PUNCTUATION = frozenset(" -'’.,·–:/")
URL_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/")
SVG = "{http://www.w3.org/2000/svg}"
# What the chart may hold, element by element, for ``_chart`` to draw it as WeasyPrint does.
CHART_ATTRIBUTES = {
    "title": {"id"},
    "desc": {"id"},
    "defs": set(),
    "rect": {"x", "y", "width", "height", "fill"},
    "line": {"x1", "y1", "x2", "y2", "stroke", "stroke-width", "stroke-dasharray"},
    "text": {"x", "y", "font-size", "font-weight", "text-anchor", "fill", "stroke", "stroke-width", "paint-order"},
}
# The hatching ``_write`` draws as the tile of its pattern: (tag, attributes) of the pattern and its children.
HATCH = [
    ("pattern", {"width": "8", "height": "8", "patternUnits": "userSpaceOnUse", "patternTransform": "rotate(45)"}),
    ("rect", {"width": "8", "height": "8", "fill": "#ffffff"}),
    ("line", {"x1": "0", "y1": "0", "x2": "0", "y2": "8", "stroke": "#bdbdbd", "stroke-width": "2"}),
]
COMPONENT_COUNTS = (3, 4, 5)
CERTIFICATIONS = ("at", "above", "below", "")  # "": a fail, no band certified


def _drawable(text: str) -> bool:
    """Return whether ``text`` holds only what the tests draw, in the fonts loaded here.

    That is letters of Basic Latin, Latin-1 and Latin Extended-A (the accented letters of European names, each one
    character), ASCII digits and ``PUNCTUATION``; each in the regular and the bold font's cmap.
    """
    regular, bold = faces()["regular"].characters, faces()["bold"].characters
    return unicodedata.is_normalized("NFKC", text) and all(
        (
            char in PUNCTUATION
            or (char.isascii() and char.isdigit())
            or (unicodedata.category(char) in ("Lu", "Ll") and (char.isascii() or "\u00c0" <= char <= "\u017f"))
        )
        and ord(char) in regular
        and ord(char) in bold
        for char in text
    )


def _chart_refusal(svg: str) -> str | None:
    """Return why ``_chart`` would not draw the chart ``svg`` as WeasyPrint does, or None."""
    root = ET.fromstring(svg)  # noqa: S314 - our own markup, never user input
    for node in root:
        tag = node.tag.removeprefix(SVG)
        if tag not in CHART_ATTRIBUTES or not set(node.attrib) <= CHART_ATTRIBUTES[tag]:
            return f"a chart element it does not draw: {tag} {sorted(node.attrib)}"
        if tag == "defs":
            drawn = [
                (element.tag.removeprefix(SVG), {k: v for k, v in element.attrib.items() if k != "id"})
                for element in node.iter()
                if element is not node
            ]
            if drawn != HATCH:
                return "a chart pattern other than the hatching"
        elif tag == "text":
            if len(node) or node.get("font-weight", "400") not in ("400", "600", "700"):
                return "a chart label with parts or another weight"
            if node.get("stroke", "#ffffff") != "#ffffff" or node.get("paint-order", "stroke") != "stroke":
                return "a chart label drawn otherwise than with a white halo"
            if not _drawable(node.text or ""):
                return f"a chart label in characters it does not draw: {node.text!r}"
        elif len(node) and tag not in ("title", "desc"):
            return f"a chart {tag} with children"
    return None


def refusal(*, document: Document, facts: ResultFacts) -> str | None:
    """Return why ``statement_pdf`` cannot draw ``document`` exactly as WeasyPrint does, or None when it can.

    Only the shapes of statement the tests compare with WeasyPrint's pages pass (module docstring); the layout's
    own limits are checked while drawing (``Undrawable``).
    """
    if document.kind != Document.Kind.STATEMENT:
        return f"a {document.kind}, not a statement"
    if facts.legacy or old_style_statement(view=facts) is not None:
        return "an old-style statement"
    if not facts.scale or not facts.graded or facts.indicator_text:
        return "not a graded result on the Cambridge English Scale"
    if len(facts.components) not in COMPONENT_COUNTS or facts.certification not in CERTIFICATIONS:
        return "a number of skills or a certification the tests do not cover"
    scores = [facts.overall_display] + [line.display for line in facts.components]
    if not all(score.isascii() and score.isdigit() for score in scores) or any(
        line.unit_grade or line.absent for line in facts.components
    ):
        return "a score that is not a number on the scale"
    if not _versions_tested():
        return "WeasyPrint, Pango or HarfBuzz is not a version the direct writer was compared with"
    if not _fonts_are_weasyprints():
        return "WeasyPrint's fonts are not the ones loaded here"
    strings = [
        facts.name,
        facts.candidate_id,
        facts.exam_name,
        f"{facts.centre_number} {facts.centre_name}",
        facts.result,
        facts.cefr_level,
        board_name(),
        board_name().upper(),
        *(line.label for line in facts.components),
    ]
    for text in strings:
        if not _drawable(text):
            return f"characters it does not draw: {text!r}"
        if text != " ".join(text.split()):  # WeasyPrint collapses them; the writer would draw them
            return f"spaces at an end or in a row: {text!r}"
    if not all(text.strip() for text in (facts.name, facts.candidate_id, facts.exam_name, facts.centre_name)):
        return "an empty detail"
    if not set(document_verify_url(document_uuid=document.uuid)) <= URL_CHARACTERS:
        return "characters it does not draw in the verification URL"
    chart = result_chart_svg(facts=facts)
    return _chart_refusal(chart) if chart else "no chart"


def _rgb(colour: str) -> str:
    return " ".join(f"{int(colour[i : i + 2], 16) / 255:.6f}" for i in (1, 3, 5))


@dataclass
class Element:
    """A node of the structure tree: its role, attributes, and children (elements, or marked-content ids)."""

    role: str
    children: list[Any] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)

    def add(self, role: str, **attributes: Any) -> "Element":
        child = Element(role, attributes=attributes)
        self.children.append(child)
        return child


@dataclass
class Span:
    """A piece of a line: its text, face and size (px), colour."""

    text: str
    face: str
    size: float
    colour: str = INK
    break_all: bool = False


class Page:
    """One page's content stream in CSS px from the top left (as WeasyPrint writes it), with marked content."""

    def __init__(self) -> None:
        self.ops: list[str] = [f"1 0 0 -1 0 {PAGE_HEIGHT * 0.75:f} cm", "0.75 0 0 0.75 0 0 cm"]
        self.used: dict[str, dict[int, str]] = {name: {} for name in faces()}
        self.mcid_owner: list[Element] = []
        self.links: list[tuple[tuple[float, float, float, float], str, Element]] = []
        self.images: dict[str, bytes] = {}
        self.pattern: str | None = None
        self.qr_size = 0  # modules on a side of the QR code's image
        self.bookmarks: list[tuple[int, str, float, float]] = []  # level, title, x and y of the heading's box

    def artifact(self, ops: str) -> None:
        self.ops.append(f"/Artifact BMC q {ops} Q EMC")

    def rule(self, x1: float, x2: float, y: float, width: float, colour: str) -> None:
        self.artifact(f"{_rgb(colour)} RG {width:f} w {x1:f} {y:f} m {x2:f} {y:f} l S")

    def frame(self, x: float, y: float, w: float, h: float, border: float, colour: str) -> None:
        """A box's solid border, filled even-odd between its outer and inner edges, as WeasyPrint draws it."""
        b = border
        self.artifact(
            f"{_rgb(colour)} rg {x + b:f} {y + b:f} {w - 2 * b:f} {h - 2 * b:f} re {x:f} {y:f} {w:f} {h:f} re f*"
        )

    def _mcid(self, owner: Element) -> int:
        mcid = len(self.mcid_owner)
        self.mcid_owner.append(owner)
        owner.children.append(mcid)
        return mcid

    def glyphs(self, x: float, y: float, glyphs: Glyphs, face: str, size: float, spacing: float = 0) -> str:
        """Return the operators showing ``glyphs`` with their baseline starting at x, y."""
        font = faces()[face]
        used = self.used[face]
        parts = []
        for gid, advance, text in zip(glyphs.ids, glyphs.advances, glyphs.texts, strict=True):
            used.setdefault(gid, text)
            adjust: float = int(font.widths_1000.get(gid, 0) - advance * 1000 / size)
            if spacing:
                adjust -= round(spacing * 1000 / size, 3)
            parts.append(f"<{gid:04x}>{adjust}")
        return f"BT 1 0 0 -1 {x:f} {y:f} Tm /{font.tag} {size:f} Tf [{''.join(parts)}] TJ ET"

    def text(self, x: float, y: float, spans: list[tuple[Span, Glyphs]], owner: Element | None) -> None:
        """Show one line of spans, each tagged as a Span of ``owner`` (or as an Artifact)."""
        for span, glyphs in spans:
            if not glyphs.ids:
                continue
            op = f"{_rgb(span.colour)} rg {self.glyphs(x, y, glyphs, span.face, span.size)}"
            if owner is None:
                self.artifact(op)
            else:
                self.ops.append(f"/Span <</MCID {self._mcid(owner)}>> BDC {op} EMC")
            x += glyphs.width


def _baseline(face: str, size: float, line_height: float) -> float:
    """Return where the baseline of a line of ``line_height`` sits below its top (half-leading plus ascent)."""
    font = faces()[face]
    ascent, descent = round(font.ascent * size * 1024) / 1024, round(font.descent * size * 1024) / 1024
    return (line_height - (ascent + descent)) / 2 + ascent


def _glyphs(span: Span) -> Glyphs:
    return faces()[span.face].shape(span.text, span.size)


def _wrap(spans: list[Span], width: float) -> list[list[tuple[Span, Glyphs]]]:
    """Return the spans broken into lines no wider than ``width``, greedily, at Pango's line-break opportunities.

    A space ending a line hangs (it is not drawn); a span that may ``break_all`` breaks between any two letters
    when no opportunity fits, as WeasyPrint does for ``word-break: break-all``. Raise ``Undrawable`` for what the
    tests do not cover: a line broken elsewhere than at a space (outside such a span), a word wider than ``width``.
    """
    items: list[tuple[Span, Glyphs, int]] = []  # (span, glyphs, index) for every glyph of the paragraph
    for span in spans:
        glyphs = _glyphs(span)
        items.extend((span, glyphs, i) for i in range(len(glyphs.ids)))
    cuts, start, x, last, k = [], 0, 0.0, None, 0
    while k < len(items):
        span, glyphs, i = items[k]
        advance = glyphs.advances[i]
        if x + advance > width + 0.01 and glyphs.texts[i] != " " and k > start:
            cut = last if last is not None else (k - 1 if span.break_all else None)
            if cut is not None:
                cut_span, cut_glyphs, cut_index = items[cut]
                if cut_glyphs.texts[cut_index] != " " and not cut_span.break_all:
                    raise Undrawable(f"a line broken after {cut_glyphs.texts[cut_index]!r}")
                cuts.append((start, cut + 1))
                start, last = cut + 1, None
                x = sum(items[j][1].advances[items[j][2]] for j in range(start, k))
                continue
        x += advance
        if glyphs.breaks[i]:
            last = k
        k += 1
    cuts.append((start, len(items)))
    lines = []
    for begin, end in cuts:
        while end > begin and items[end - 1][1].texts[items[end - 1][2]] == " ":
            end -= 1
        line: list[tuple[Span, Glyphs]] = []
        k = begin
        while k < end:
            span, glyphs, first = items[k]
            while k < end and items[k][1] is glyphs:
                k += 1
            line.append((span, _slice(glyphs, first, items[k - 1][2] + 1)))
        if _width(line) > width + 0.01:
            raise Undrawable("a word wider than its box")
        lines.append(line)
    return lines


def _slice(glyphs: Glyphs, start: int, end: int) -> Glyphs:
    return Glyphs(glyphs.ids[start:end], glyphs.advances[start:end], glyphs.texts[start:end], glyphs.breaks[start:end])


def _width(line: list[tuple[Span, Glyphs]]) -> float:
    return sum(glyphs.width for _span, glyphs in line)


def _paragraph(
    page: Page,
    owner: Element | None,
    spans: list[Span],
    *,
    x: float,
    top: float,
    width: float,
    line_height: float,
    align: str = "left",
    most_lines: int | None = 1,
) -> float:
    """Draw a paragraph; return its bottom. The first span's font sets the line's baseline (the block's font).

    Raise ``Undrawable`` for a paragraph of more than ``most_lines`` lines (None: text of our own, any number).
    """
    base = _baseline(spans[0].face, spans[0].size, line_height)
    lines = _wrap(spans, width)
    if owner is not None and owner.role in ("H1", "H2"):  # WeasyPrint bookmarks each heading
        page.bookmarks.append((int(owner.role[1]), "".join(span.text for span in spans), x, top))
    if most_lines is not None and len(lines) > most_lines:
        raise Undrawable(f"{len(lines)} lines of {spans[0].text!r}")
    for line in lines:
        shift = {"left": 0.0, "center": (width - _width(line)) / 2, "right": width - _width(line)}[align]
        page.text(x + shift, top + base, line, owner)
        top += line_height
    return top


def _date(day: dt.date) -> str:
    return str(formats.date_format(day, "DATE_FORMAT"))


def statement_pdf(*, document: Document, facts: ResultFacts, replaces: Document | None, issued_on: dt.date) -> bytes:
    """Return the Statement of Results of ``document``, which ``refusal`` lets by, drawn straight to PDF/UA-1.

    Raise ``Undrawable`` for a layout the tests do not cover (the module's docstring): WeasyPrint must draw it.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _statement(document=document, facts=facts, replaces=replaces, issued_on=issued_on)


def _statement(*, document: Document, facts: ResultFacts, replaces: Document | None, issued_on: dt.date) -> bytes:
    page = Page()
    root = Element("Document")
    board = board_name()
    verify_url = document_verify_url(document_uuid=document.uuid)
    size10, size85, size7 = pango_size(10 * PT), pango_size(8.5 * PT), pango_size(7 * PT)

    # Masthead: the board, the title and the issue date at the bottom of its left cell; the QR code on the right.
    masthead = root.add("Div")
    qr_column = 30 * MM
    left_width = CONTENT_WIDTH - qr_column
    issued = f"Issued on {_date(issued_on)}"
    if replaces is not None:
        issued += f" · amended statement, replaces the statement of {_date(timezone.localdate(replaces.created_at))}"
    issued_lines = len(_wrap([Span(issued, "regular", size85, MUTED)], left_width))
    caption = [Span("Scan to check this statement", "regular", size7, MUTED)]
    caption_lines = _wrap(caption, qr_column)
    qr_box = 24 * MM
    qr_cell_height = qr_box + size10_strut() + 1 * MM + len(caption_lines) * size7 * 1.25
    left_height = size10 * 1.4 + 1.5 * MM + pango_size(22 * PT) * 1.4 + 1 * MM + issued_lines * size85 * 1.4
    cell_height = max(qr_cell_height, left_height)
    y = TOP + cell_height - left_height
    spaced = faces()["bold"].shape(board.upper(), size10)
    if spaced.width + len(spaced.ids) * 0.08 * size10 > left_width:
        raise Undrawable("a board name wider than the masthead")
    page.ops.append(
        f"/P <</MCID {page._mcid(masthead.add('P'))}>> BDC {_rgb(BLUE)} rg "
        f"{page.glyphs(LEFT, y + _baseline('bold', size10, size10 * 1.4), spaced, 'bold', size10, 0.08 * size10)} EMC"
    )
    y += size10 * 1.4 + 1.5 * MM
    h1 = pango_size(22 * PT)
    y = (
        _paragraph(
            page,
            masthead.add("H1"),
            [Span("Statement of Results", "bold", h1, BLUE)],
            x=LEFT,
            top=y,
            width=left_width,
            line_height=h1 * 1.4,
        )
        + 1 * MM
    )
    _paragraph(
        page,
        masthead.add("P"),
        [Span(issued, "regular", size85, MUTED)],
        x=LEFT,
        top=y,
        width=left_width,
        line_height=size85 * 1.4,
    )
    qr_x, qr_y = LEFT + CONTENT_WIDTH - qr_column + (qr_column - qr_box) / 2, TOP + cell_height - qr_cell_height
    _qr(page, masthead, verify_url, qr_x, qr_y, qr_box)
    _paragraph(
        page,
        masthead.add("P"),
        caption,
        x=LEFT + left_width,
        top=qr_y + qr_cell_height - len(caption_lines) * size7 * 1.25,
        width=qr_column,
        line_height=size7 * 1.25,
        align="center",
        most_lines=None,
    )
    y = TOP + cell_height + 2.5 * MM
    # Clipped to the border and filled between the box's outer and inner edges, as WeasyPrint draws a border:
    # the same anti-aliasing as its rendering (a plain rectangle is snapped to whole pixels by poppler).
    right, bottom = LEFT + CONTENT_WIDTH, y + 3 * PT
    page.artifact(
        f"{right:f} {bottom:f} m {LEFT:f} {bottom:f} l {LEFT:f} {y:f} l {right:f} {y:f} l W* n {_rgb(BLUE)} rg "
        f"{LEFT:f} {TOP:f} {CONTENT_WIDTH:f} {y - TOP:f} re {LEFT:f} {TOP:f} {CONTENT_WIDTH:f} {bottom - TOP:f} re f*"
    )
    y += 3 * PT + 4 * MM

    # The candidate's details: a table of rows, a rule under each.
    details = root.add("Table")
    body = details.add("TBody")
    th_width = CONTENT_WIDTH * 0.32
    for index, (label, value, most_lines) in enumerate(
        (
            ("Candidate name", facts.name, 2),
            ("Candidate ID", facts.candidate_id, 1),
            ("Exam", facts.exam_name, 1),
            ("Exam date", _date(facts.exam_date), 1),
            ("Centre", f"{facts.centre_number} {facts.centre_name}", 2),
        )
    ):
        row = body.add("TR")
        # Each cell names its header, as WeasyPrint tags a table: ids "<table>-<row>-<column>".
        header = f"details-{index}-0"
        top = y + 1.1 * MM
        bottom = _paragraph(
            page,
            row.add("TH", Scope="Row", ID=header),
            [Span(label, "regular", size10, MUTED)],
            x=LEFT,
            top=top,
            width=th_width,
            line_height=size10 * 1.4,
        )
        bottom = max(
            bottom,
            _paragraph(
                page,
                row.add("TD", Headers=[header]),
                [Span(value, "bold", size10)],
                x=LEFT + th_width,
                top=top,
                width=CONTENT_WIDTH - th_width,
                line_height=size10 * 1.4,
                most_lines=most_lines,
            ),
        )
        y = bottom + 1.1 * MM + 0.5 * PT
        page.rule(LEFT, LEFT + CONTENT_WIDTH, y - 0.25 * PT, 0.5 * PT, RULE)
    y += 4 * MM

    # The headline: three boxes of equal height.
    headline = root.add("Div")
    cell_width = (CONTENT_WIDTH + 8 * MM - 4 * 4 * MM) / 3
    inner = cell_width - 2 * 1.5 * PT - 8 * MM
    label_size, value_size = size85, pango_size(15 * PT)
    cells = [
        ("Result", facts.result),
        ("Overall score", facts.overall_display or "—"),
        ("CEFR level", facts.cefr_level or "—"),
    ]
    cell_lines = [_wrap([Span(value, "bold", value_size, BLUE)], inner) for _label, value in cells]
    box_height = (
        2 * 1.5 * PT + 5.5 * MM + label_size * 1.4 + max(len(lines) for lines in cell_lines) * value_size * 1.2
    )
    for index, (label, value) in enumerate(cells):
        x = LEFT + index * (cell_width + 4 * MM)
        page.frame(x, y, cell_width, box_height, 1.5 * PT, BLUE)
        div = headline.add("Div")
        top = _paragraph(
            page,
            div.add("P"),
            [Span(label, "regular", label_size, MUTED)],
            x=x + 1.5 * PT + 4 * MM,
            top=y + 1.5 * PT + 2.5 * MM,
            width=inner,
            line_height=label_size * 1.4,
        )
        _paragraph(
            page,
            div.add("P"),
            [Span(value, "bold", value_size, BLUE)],
            x=x + 1.5 * PT + 4 * MM,
            top=top,
            width=inner,
            line_height=value_size * 1.2,
            most_lines=2,
        )
    y += box_height + 4 * MM

    # The scores (left) and the chart (right).
    section = root.add("Sect")
    chart = result_chart_svg(facts=facts)
    table_width = CONTENT_WIDTH - CHART_WIDTH_MM * MM - 6 * MM
    h2 = pango_size(11.5 * PT)
    left = section.add("Div")
    top = (
        _paragraph(
            page,
            left.add("H2"),
            [Span("Your scores", "bold", h2, BLUE)],
            x=LEFT,
            top=y,
            width=table_width,
            line_height=h2 * 1.4,
        )
        + 2 * MM
    )
    table = left.add("Table")
    head_row = table.add("THead").add("TR")
    pad = 1.6 * MM
    _paragraph(
        page,
        head_row.add("TH", Scope="Column", ID="scores-0-0"),
        [Span("Skill", "regular", size85, MUTED)],
        x=LEFT,
        top=top + pad,
        width=table_width,
        line_height=size85 * 1.4,
    )
    bottom = _paragraph(
        page,
        head_row.add("TH", Scope="Column", ID="scores-0-1"),
        [Span("Score", "regular", size85, MUTED)],
        x=LEFT,
        top=top + pad,
        width=table_width,
        line_height=size85 * 1.4,
        align="right",
    )
    rule_y = bottom + pad + 0.5 * PT
    page.rule(LEFT, LEFT + table_width, rule_y, 1 * PT, INK)
    top = rule_y + 0.5 * PT
    tbody = table.add("TBody")
    rows = [
        (line.label, line.display + (f" · {line.unit_grade}" if line.unit_grade else "")) for line in facts.components
    ]
    for index, (label, value) in enumerate([*rows, ("Overall score", facts.overall_display or "—")]):
        overall = index == len(rows)
        row = tbody.add("TR")
        _paragraph(
            page,
            row.add("TH", Scope="Row", ID=f"scores-{index + 1}-0"),
            [Span(label, "bold", size10)],
            x=LEFT,
            top=top + pad,
            width=table_width,
            line_height=size10 * 1.4,
        )
        bottom = (
            _paragraph(
                page,
                row.add("TD", Headers=[f"scores-{index + 1}-0", "scores-0-1"]),
                [Span(value, "bold", size10)],
                x=LEFT,
                top=top + pad,
                width=table_width,
                line_height=size10 * 1.4,
                align="right",
            )
            + pad
        )
        if index + 1 < len(rows):
            page.rule(LEFT, LEFT + table_width, bottom + 0.25 * PT, 0.5 * PT, RULE)
            top = bottom + 0.5 * PT
        elif not overall:  # the overall row's top border, the wider, takes the place of this row's
            page.rule(LEFT, LEFT + table_width, bottom + 0.5 * PT, 1 * PT, INK)
            top = bottom + 1 * PT
        else:
            top = bottom
    about = left.add("Div")
    top = (
        _paragraph(
            page,
            about.add("H2"),
            [Span("About your result", "bold", h2, BLUE)],
            x=LEFT,
            top=top + 5 * MM,
            width=table_width,
            line_height=h2 * 1.4,
        )
        + 2 * MM
    )
    size9 = pango_size(9 * PT)
    for words in statement_about(facts, charted=True):  # the gate lets by only statements with their chart
        top = (
            _paragraph(
                page,
                about.add("P"),
                [Span(words, "regular", size9)],
                x=LEFT,
                top=top,
                width=table_width,
                line_height=size9 * 1.4,
                most_lines=None,
            )
            + 1.5 * MM
        )
    chart_bottom = _chart(page, section, chart, LEFT + CONTENT_WIDTH - CHART_WIDTH_MM * MM, y)
    y = max(top, chart_bottom) + 4 * MM

    # The notes, in a dashed box.
    notes = root.add("Sect")
    inner_x, inner_width = LEFT + 0.75 * PT + 4 * MM, CONTENT_WIDTH - 2 * (0.75 * PT + 4 * MM)
    top = y + 0.75 * PT + 2.5 * MM
    top = (
        _paragraph(
            page,
            notes.add("P"),
            [Span(NO_PAPERS_NOTE, "regular", size85)],
            x=inner_x,
            top=top,
            width=inner_width,
            line_height=size85 * 1.4,
            most_lines=None,
        )
        + 1.2 * MM
    )
    paragraph = notes.add("P")
    spans = [
        Span("Anyone can check this statement: scan the QR code or go to ", "regular", size85),
        Span(verify_url, "mono", pango_size(6.5 * PT), break_all=True),
        Span(
            ". The page shows the same facts and says whether this statement has been replaced by an amended version.",
            "regular",
            size85,
        ),
    ]
    top = _paragraph(
        page, paragraph, spans, x=inner_x, top=top, width=inner_width, line_height=size85 * 1.4, most_lines=3
    )
    bottom = top + 2.5 * MM + 0.75 * PT
    _dashed_box(page, LEFT, y, CONTENT_WIDTH, bottom - y)
    size75 = pango_size(7.5 * PT)
    bottom = _paragraph(
        page,
        root.add("P"),
        [
            Span(
                f"Document reference {document.uuid} · result version {facts.result_version} · {board}",
                "regular",
                size75,
                MUTED,
            )
        ],
        x=LEFT,
        top=bottom + 3 * MM,
        width=CONTENT_WIDTH,
        line_height=size75 * 1.4,
    )
    if bottom > PAGE_HEIGHT - BOTTOM:
        raise Undrawable("more than one page")
    # The template's <title> and <meta name="description">, which WeasyPrint writes as the title and subject.
    title = f"Statement of Results — {facts.name} — {facts.exam_name}"
    subject = f"Statement of Results, {facts.exam_name}, {_date(facts.exam_date)}, Candidate ID {facts.candidate_id}"
    return _write(page, root, title=title, author=board, subject=subject)


def _dashed_box(page: Page, x: float, y: float, w: float, h: float) -> None:
    b = 0.75 * PT

    def dash(length: float) -> str:  # WeasyPrint stretches an odd number of dashes and gaps to fit the side
        n = int(length / (3 * b))
        n += 1 - n % 2
        return f"[{length / n:f} {length / n:f}] 0 d"

    page.artifact(
        f"{_rgb(MUTED)} RG {b:f} w 0 J "
        f"{dash(w)} {x:f} {y + b / 2:f} m {x + w:f} {y + b / 2:f} l S "
        f"{dash(h)} {x + w - b / 2:f} {y:f} m {x + w - b / 2:f} {y + h:f} l S "
        f"{dash(w)} {x:f} {y + h - b / 2:f} m {x + w:f} {y + h - b / 2:f} l S "
        f"{dash(h)} {x + b / 2:f} {y:f} m {x + b / 2:f} {y + h:f} l S"
    )


def _qr(page: Page, parent: Element, url: str, x: float, y: float, box: float) -> None:
    """Draw the QR code: a white box with a thin border, the modules as a grey image scaled without smoothing."""
    code = qr_code(url)
    matrix = code.matrix
    size = len(matrix)
    pixels = b"".join(bytes(0 if cell else 255 for cell in row) for row in matrix)
    page.images["qr"] = pixels
    page.qr_size = size
    border, padding = 0.5 * PT, 2 * MM
    page.artifact(f"1 1 1 rg {x:f} {y:f} {box:f} {box:f} re f")
    page.frame(x, y, box, box, border, RULE)
    inset = border + padding
    image = box - 2 * inset
    link = parent.add("Link")
    figure = link.add("Figure", Alt=qr_alt(url))
    figure.attributes["BBox"] = (x + inset, y + inset, image)
    page.ops.append(
        f"/Figure <</MCID {page._mcid(figure)}>> BDC q 1 0 0 1 {x + inset:f} {y + inset:f} cm "
        f"{image:f} 0 0 {-image:f} 0 {image:f} cm /Im1 Do Q EMC"
    )
    page.links.append(((x + inset, y + inset, x + inset + image, y + inset + image), url, link))


def _chart(page: Page, section: Element, svg: str, x: float, y: float) -> float:
    """Draw the chart's SVG and its caption at x, y; return the figure's bottom."""
    root = ET.fromstring(svg)  # noqa: S314 - our own markup, never user input
    _vx, _vy, view_width, view_height = (float(n) for n in root.get("viewBox", "0 0 1 1").split())
    width = CHART_WIDTH_MM * MM
    height = float(chart_height_mm(view_height / view_width)) * MM
    # The image box: the chart's width, a height rounded to 0.1 mm; the chart is centred in it (preserveAspectRatio).
    scale = min(width / view_width, height / view_height)
    x_offset, offset = (width - view_width * scale) / 2, (height - view_height * scale) / 2
    holder = section.add("Div")
    figure = holder.add("Figure", Alt=svg_description(root))
    figure.attributes["BBox"] = (x, y, width, height)
    ops = [
        f"/Figure <</MCID {page._mcid(figure)}>> BDC q 1 0 0 1 {x:f} {y:f} cm "
        f"{scale:f} 0 0 {scale:f} {x_offset:f} {offset:f} cm"
    ]
    for node in root:
        tag = node.tag.removeprefix(SVG)
        if tag == "rect":
            fill = node.get("fill", "#000000")
            rx, ry, rw, rh = (float(node.get(k, "0")) for k in ("x", "y", "width", "height"))
            if fill.startswith("url("):
                page.pattern = _hatch_matrix(x + x_offset, y + offset, scale, rx, ry)
                ops.append(f"q /Pattern cs /P1 scn {rx} {ry} {rw} {rh} re f Q")
            else:
                ops.append(f"q {_rgb(fill)} rg {rx} {ry} {rw} {rh} re f Q")
        elif tag == "line":
            dash = node.get("stroke-dasharray")
            ops.append(
                f"q 0 0 0 rg {_rgb(node.get('stroke', '#000000'))} RG {node.get('stroke-width', '1')} w "
                f"{'[' + dash + '] 0 d ' if dash else ''}{node.get('x1')} {node.get('y1')} m "
                f"{node.get('x2')} {node.get('y2')} l B Q"
            )
        elif tag == "text":
            face = "bold" if int(node.get("font-weight", "400")) >= 600 else "regular"
            size = float(node.get("font-size", "16"))
            glyphs = faces()[face].shape(node.text or "", size, plain=True)
            tx = float(node.get("x", "0"))
            tx -= {"middle": glyphs.width / 2, "end": glyphs.width}.get(node.get("text-anchor", "start"), 0)
            shown = page.glyphs(tx, float(node.get("y", "0")), glyphs, face, size)
            if node.get("paint-order") == "stroke":
                ops.append(f"q 1 1 1 RG {node.get('stroke-width')} w 1 Tr {shown} 0 Tr Q")
            ops.append(f"q {_rgb(node.get('fill', INK))} rg {shown} Q")
    ops.append("Q EMC")
    page.ops.append(" ".join(ops))
    size75 = pango_size(7.5 * PT)
    strut = size10_strut()
    bottom = _paragraph(
        page,
        holder.add("Caption"),
        [
            Span(
                "Your scores on the Cambridge English Scale, with the score ranges of each result.",
                "regular",
                size75,
                MUTED,
            )
        ],
        x=x,
        top=y + height + strut + 1 * MM,
        width=width,
        line_height=size75 * 1.4,
        most_lines=None,
    )
    return bottom


def size10_strut() -> float:
    """Return how far the line box of an image reaches below it: the strut's depth (10pt text, line height 1.4)."""
    size = pango_size(10 * PT)
    return size * 1.4 - _baseline("regular", size, size * 1.4)


def _hatch_matrix(x: float, y: float, scale: float, rx: float, ry: float) -> str:
    """Return the hatching's pattern matrix (rotated 45°, from the rect's corner) in the page's default space."""
    c = math.cos(math.pi / 4)
    # pattern space -> rotate(45) -> translate(rx, ry) -> the figure's SVG space -> page px -> PDF points
    a, b, cc, d = c, c, -c, c
    e, f = rx, ry

    def to_page(px: float, py: float) -> tuple[float, float]:
        return 0.75 * (x + scale * px), PAGE_HEIGHT * 0.75 - 0.75 * (y + scale * py)

    ox, oy = to_page(e, f)
    ux, uy = to_page(e + a, f + b)
    vx, vy = to_page(e + cc, f + d)
    return f"[{ux - ox:f} {uy - oy:f} {vx - ox:f} {vy - oy:f} {ox:f} {oy:f}]"


def _write(page: Page, root: Element, *, title: str, author: str, subject: str) -> bytes:
    """Write the page, its fonts, image, pattern, annotations and structure tree as a tagged PDF/UA-1 file."""
    pdf = pydyf.PDF()
    font_refs = pydyf.Dictionary()
    for name, face in faces().items():
        used = page.used[name]
        if not used:
            continue
        font_refs[face.tag] = _font(pdf, face, used)
    resources = pydyf.Dictionary({"Font": font_refs})
    xobjects = pydyf.Dictionary()
    if "qr" in page.images:
        size = page.qr_size
        image = pydyf.Stream(
            [page.images["qr"]],
            pydyf.Dictionary(
                {
                    "Type": "/XObject",
                    "Subtype": "/Image",
                    "Width": size,
                    "Height": size,
                    "ColorSpace": "/DeviceGray",
                    "BitsPerComponent": 8,
                    "Interpolate": "false",
                }
            ),
            compress=True,
        )
        pdf.add_object(image)
        xobjects["Im1"] = image.reference
    resources["XObject"] = xobjects
    if page.pattern:
        tile = pydyf.Stream(
            [b"1 1 1 rg 0 0 8 8 re f 0.741176 0.741176 0.741176 RG 2 w 0 0 m 0 8 l S"],
            pydyf.Dictionary(
                {
                    "Type": "/Pattern",
                    "PatternType": 1,
                    "PaintType": 1,
                    "TilingType": 1,
                    "BBox": pydyf.Array([0, 0, 8, 8]),
                    "XStep": 8,
                    "YStep": 8,
                    "Matrix": page.pattern,
                    "Resources": pydyf.Dictionary(),
                }
            ),
        )
        pdf.add_object(tile)
        resources["Pattern"] = pydyf.Dictionary({"P1": tile.reference})
    content = pydyf.Stream([" ".join(page.ops).encode()], compress=True)
    pdf.add_object(content)

    # The structure tree: elements with their marked contents and link annotations.
    page_dict = pydyf.Dictionary(
        {
            "Type": "/Page",
            "Parent": pdf.pages.reference,
            "Contents": content.reference,
            "Resources": resources,
            "MediaBox": pydyf.Array([0, 0, PAGE_WIDTH * 0.75, PAGE_HEIGHT * 0.75]),
            "Tabs": "/S",
            "StructParents": 0,
        }
    )
    pdf.add_page(page_dict)
    tree_root = pydyf.Dictionary({"Type": "/StructTreeRoot"})
    pdf.add_object(tree_root)
    parents: list[Any] = [None] * len(page.mcid_owner)
    annotations = pydyf.Array()
    link_elements: dict[int, list[Any]] = {}
    parent_tree_extra: list[Any] = []
    for number, (rect, url, element) in enumerate(page.links, start=1):
        x1, y1, x2, y2 = rect
        annot = pydyf.Dictionary(
            {
                "Type": "/Annot",
                "Subtype": "/Link",
                "BS": pydyf.Dictionary({"W": 0}),
                "StructParent": number,
                "Rect": pydyf.Array([x1 * 0.75, (PAGE_HEIGHT - y2) * 0.75, x2 * 0.75, (PAGE_HEIGHT - y1) * 0.75]),
                "Contents": pydyf.String(url),
                "F": 4,
                "A": pydyf.Dictionary({"Type": "/Action", "S": "/URI", "URI": pydyf.String(url)}),
            }
        )
        pdf.add_object(annot)
        annotations.append(annot.reference)
        link_elements.setdefault(id(element), []).append(annot)
        parent_tree_extra.append((number, element))
    page_dict["Annots"] = annotations
    references: dict[int, Any] = {}
    identified: dict[str, Any] = {}

    def build(element: Element, parent_ref: Any) -> Any:
        node = pydyf.Dictionary(
            {"Type": "/StructElem", "S": f"/{element.role}", "P": parent_ref, "Pg": page_dict.reference}
        )
        pdf.add_object(node)
        references[id(element)] = node.reference
        if "Alt" in element.attributes:
            node["Alt"] = pydyf.String(element.attributes["Alt"])
        table = pydyf.Dictionary({"O": "/Table"})
        if "Scope" in element.attributes:
            table["Scope"] = f"/{element.attributes['Scope']}"
        if "Headers" in element.attributes:
            table["Headers"] = pydyf.Array(pydyf.String(header) for header in element.attributes["Headers"])
        if len(table) > 1:
            node["A"] = table
        if "ID" in element.attributes:
            node["ID"] = pydyf.String(element.attributes["ID"])
            identified[element.attributes["ID"]] = node.reference
        if "BBox" in element.attributes:
            bx, by, bw, *rest = element.attributes["BBox"]
            bh = rest[0] if rest else bw
            node["A"] = pydyf.Dictionary(
                {
                    "O": "/Layout",
                    "BBox": pydyf.Array(
                        [bx * 0.75, (PAGE_HEIGHT - by - bh) * 0.75, (bx + bw) * 0.75, (PAGE_HEIGHT - by) * 0.75]
                    ),
                }
            )
        kids = pydyf.Array()
        for child in element.children:
            if isinstance(child, int):
                kids.append(child)
                parents[child] = node.reference
            else:
                kids.append(build(child, node.reference))
        for annot in link_elements.get(id(element), []):
            kids.append(pydyf.Dictionary({"Type": "/OBJR", "Obj": annot.reference, "Pg": page_dict.reference}))
        node["K"] = kids
        return node.reference

    tree_root["K"] = pydyf.Array([build(root, tree_root.reference)])
    nums = pydyf.Array([0, pydyf.Array(parents)])
    for number, element in parent_tree_extra:
        nums.extend([number, references[id(element)]])
    tree_root["ParentTree"] = pydyf.Dictionary({"Nums": nums})
    tree_root["ParentTreeNextKey"] = len(page.links) + 1
    tree_root["IDTree"] = pydyf.Dictionary(
        {"Names": pydyf.Array(item for key in sorted(identified) for item in (pydyf.String(key), identified[key]))}
    )

    if page.bookmarks:
        pdf.catalog["Outlines"] = _outlines(pdf, page_dict.reference, page.bookmarks)
    metadata = pydyf.Stream([_xmp(title).encode()], pydyf.Dictionary({"Type": "/Metadata", "Subtype": "/XML"}))
    pdf.add_object(metadata)
    pdf.catalog.update(
        {
            "StructTreeRoot": tree_root.reference,
            "MarkInfo": pydyf.Dictionary({"Marked": "true"}),
            "Lang": pydyf.String("en"),
            "ViewerPreferences": pydyf.Dictionary({"DisplayDocTitle": "true"}),
            "Metadata": metadata.reference,
        }
    )
    pdf.info.update(
        {
            "Title": pydyf.String(title),
            "Author": pydyf.String(author),
            "Subject": pydyf.String(subject),
            "Producer": pydyf.String("Results Portal"),
        }
    )
    out = io.BytesIO()
    pdf.write(out, version=b"1.7", identifier=True, compress=True)
    return out.getvalue()


def _outlines(pdf: pydyf.PDF, page: Any, bookmarks: list[tuple[int, str, float, float]]) -> Any:
    """Add the outline of the headings (bookmarks), nested by level as WeasyPrint nests them; return its root."""
    root = pydyf.Dictionary()
    pdf.add_object(root)
    children: dict[int, list[pydyf.Dictionary]] = {id(root): []}
    open_items: list[tuple[int, pydyf.Dictionary]] = [(0, root)]
    for level, title, x, y in bookmarks:
        while open_items[-1][0] >= level:
            open_items.pop()
        parent = open_items[-1][1]
        item = pydyf.Dictionary(
            {
                "Title": pydyf.String(title),
                "Dest": pydyf.Array([page, "/XYZ", x * 0.75, (PAGE_HEIGHT - y) * 0.75, 0]),
                "Parent": parent.reference,
            }
        )
        pdf.add_object(item)
        children[id(parent)].append(item)
        children[id(item)] = []
        open_items.append((level, item))

    def link(node: pydyf.Dictionary) -> int:
        kids = children[id(node)]
        for previous, following in zip(kids, kids[1:], strict=False):
            previous["Next"], following["Prev"] = following.reference, previous.reference
        if kids:
            node["First"], node["Last"] = kids[0].reference, kids[-1].reference
        node["Count"] = len(kids) + sum(link(kid) for kid in kids)
        return int(node["Count"])

    link(root)
    return root.reference


def _font(pdf: pydyf.PDF, face: Face, used: dict[int, str]) -> Any:
    """Add a CID font holding ``used`` glyphs (id -> text) and return its reference."""
    data = face.subset(set(used))
    file = pydyf.Stream([data], pydyf.Dictionary({"Length1": len(data)}), compress=True)
    pdf.add_object(file)
    tag = "".join(chr(65 + b % 26) for b in hashlib.md5(face.path.encode(), usedforsecurity=False).digest()[:6])
    name = f"/{tag}+{face.font_name.replace(' ', '-')}"
    descriptor = pydyf.Dictionary(
        {
            "Type": "/FontDescriptor",
            "FontName": name,
            "Flags": face.flags,
            "FontBBox": pydyf.Array(face.bbox),
            "ItalicAngle": face.italic_angle,
            "Ascent": round(face.ascent * 1000),
            "Descent": -round(face.descent * 1000),
            "CapHeight": face.cap_height,
            "StemV": 80,
            "FontFile2": file.reference,
        }
    )
    pdf.add_object(descriptor)
    widths = pydyf.Array()
    for gid in sorted(used):
        widths.extend([gid, pydyf.Array([face.widths_1000.get(gid, 0)])])
    cid_font = pydyf.Dictionary(
        {
            "Type": "/Font",
            "Subtype": "/CIDFontType2",
            "BaseFont": name,
            "CIDSystemInfo": pydyf.Dictionary(
                {"Registry": pydyf.String("Adobe"), "Ordering": pydyf.String("Identity"), "Supplement": 0}
            ),
            "FontDescriptor": descriptor.reference,
            "W": widths,
            "CIDToGIDMap": "/Identity",
        }
    )
    pdf.add_object(cid_font)
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def 1 begincodespacerange <0000> <ffff> endcodespacerange",
    ]
    items = sorted(used.items())
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar")
        lines.extend(f"<{gid:04x}> <{text.encode('utf-16-be').hex()}>" for gid, text in batch)
        lines.append("endbfchar")
    lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    to_unicode = pydyf.Stream(["\n".join(lines).encode()], compress=True)
    pdf.add_object(to_unicode)
    font = pydyf.Dictionary(
        {
            "Type": "/Font",
            "Subtype": "/Type0",
            "BaseFont": name,
            "Encoding": "/Identity-H",
            "DescendantFonts": pydyf.Array([cid_font.reference]),
            "ToUnicode": to_unicode.reference,
        }
    )
    pdf.add_object(font)
    return font.reference


def _xmp(title: str) -> str:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><pdfuaid:part>1</pdfuaid:part>'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>'
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="r"?>'
    )
