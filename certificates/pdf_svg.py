"""The SVG images of the documents (the statement's chart, the seal), drawn by WeasyPrint, each label laid out once.

WeasyPrint draws the text of an SVG letter by letter: it lays out every letter of a ``<text>`` alone with Pango,
twice (to measure it, then to draw it), and sets it after the letter before. A statement's chart has 48 texts (half
of them the white halos ``pdf.print_safe_svg`` adds under the labels), about 430 letters: three quarters of the
time the chart takes, and the chart took a third of a statement's CPU.

``svg_images`` returns, for WeasyPrint's image cache, WeasyPrint's own SVG image of each of the document's SVGs
with one change: a *plain label* — a ``<text>`` holding one run of words at one ``x`` and one ``y``, without
``tspan``, per-letter positions, transform, baseline or length adjustments — is laid out once as one line, with
kerning and ligatures turned off, and drawn with WeasyPrint's own text drawing. A letter laid out alone is never
kerned against its neighbour nor joined to it in a ligature, so without them each letter of the line keeps the
advance it has alone and lands where WeasyPrint puts it (to a thousandth of the font size, the precision of the
PDF's glyph widths). The lines are kept per thread for the next documents (the same bands, skills and scores come
back), so a halo and the label above it share one, as do most labels of the next chart. Any other ``<text>``, and
every shape, is drawn by WeasyPrint as before.

This leans on WeasyPrint's classes for SVG images (``SVGImage``, ``SVG.draw_node``, the text drawing the SVG text
uses) in the exact version ``requirements/run.txt`` pins (docs/decisions/0016-pdf-rendering-kept-and-labels.md).
``certificates/tests/test_pdf_looks_the_same.py`` compares every document's page images with WeasyPrint's own
rendering, so an upgrade that changes them fails there. Import this module only where a PDF is written: it
imports WeasyPrint, which takes about a second.
"""

import threading
import xml.etree.ElementTree as ET  # noqa: S405 - parses only the SVG our own code draws
from math import inf
from typing import Any

from weasyprint.css.properties import INITIAL_VALUES
from weasyprint.draw.text import draw_emojis, draw_first_line
from weasyprint.images import SVGImage
from weasyprint.matrix import Matrix
from weasyprint.svg import SVG
from weasyprint.svg.text import Style, TextBox
from weasyprint.svg.utils import size
from weasyprint.text.line_break import split_first_line

# Attributes of a <text> that WeasyPrint's letter-by-letter drawing honours and a line laid out once would not.
NOT_PLAIN = frozenset(
    {
        "dx",
        "dy",
        "rotate",
        "textLength",
        "lengthAdjust",
        "direction",
        "display-anchor",
        "dominant-baseline",
        "alignment-baseline",
        "transform",
        "filter",
        "opacity",
        "clip-path",
        "mask",
    }
)
FONT_WEIGHTS = {"normal": 400, "bold": 700}
# Lines kept per thread (a Pango layout is not shared between threads), forgotten all at once past this many.
KEPT_LINES = 2000
_kept = threading.local()


def _kept_lines() -> dict[tuple[Any, ...], tuple[Any, Style, float, float, float]]:
    """Return this thread's laid-out lines by text and font, emptied when it has grown past ``KEPT_LINES``."""
    lines = getattr(_kept, "lines", None)
    if lines is None or len(lines) > KEPT_LINES:
        lines = _kept.lines = {}
    return lines


class LabelledSVG(SVG):
    """WeasyPrint's SVG document, drawing each plain label as one line laid out once (see the module)."""

    def __init__(self, svg: str, font_config: Any) -> None:
        super().__init__(ET.fromstring(svg), None, font_config)  # noqa: S314 - our own markup, never user input

    def draw_node(self, node: Any, font_size: float, fill_stroke: bool = True, context: Any = None) -> None:
        """Draw ``node`` as WeasyPrint does, a plain label through its line laid out once."""
        if node.tag != "text" or not fill_stroke or not self._plain(node):
            super().draw_node(node, font_size, fill_stroke, context)
            return
        font_size = size(node.get("font-size", "1em"), font_size, font_size)
        layout, style, width, height, baseline = self._line(node, font_size)
        x = size(node.get("x"), font_size, self.inner_width)
        y = size(node.get("y"), font_size, self.inner_height)
        # What WeasyPrint's own drawing records for the text's parents (its letters' boxes put together).
        node.text_bounding_box = (x, y - baseline, width, height)
        x -= {"middle": width / 2, "end": width}.get(node.get("text-anchor", "start"), 0)
        self.stream.push_state()
        fill, stroke = self.set_graphical_state(node, font_size)
        self.stream.begin_text()
        self.fill_stroke(fill, stroke, text=True)
        text_box = TextBox(layout, style)
        text_box.baseline = baseline
        emojis = draw_first_line(self.stream, text_box, "none", "none", Matrix(d=-1, e=x, f=y))
        self.stream.end_text()
        self.stream.pop_state()
        draw_emojis(self.stream, style, x, y, emojis)

    @staticmethod
    def _plain(node: Any) -> bool:
        """Return whether ``node`` is a plain label: visible words at one x and one y, nothing else."""
        return bool(
            node.visible
            and node.text
            and not list(node)
            and not NOT_PLAIN.intersection(node.attrib)
            and len(str(node.get("x", "0")).split()) == 1
            and len(str(node.get("y", "0")).split()) == 1
        )

    def _line(self, node: Any, font_size: float) -> tuple[Any, Style, float, float, float]:
        """Return the label's line laid out (layout, style, width, height, baseline), kept by text and font."""
        # Split as WeasyPrint splits it, spaces kept: the same names find the same fonts.
        family = tuple(name.strip("\"'") for name in node.get("font-family", "sans-serif").split(","))
        weight = str(node.get("font-weight", "400"))
        spacing = self.length(node.get("letter-spacing"), font_size)
        key = (self.font_config, node.text, family, node.get("font-style", "normal"), weight, font_size, spacing)
        lines = _kept_lines()
        if key not in lines:
            # The style WeasyPrint's SVG text gives a letter, as its svg.text.text() builds it.
            style = Style()
            style.update(INITIAL_VALUES)
            style.font_config = self.font_config
            style["font_family"] = list(family)
            style["font_style"] = key[3]
            style["font_weight"] = FONT_WEIGHTS.get(weight) or (int(weight) if weight.isdigit() else 400)
            style["font_size"] = font_size
            style["font_kerning"] = "none"
            style["font_variant_ligatures"] = "none"
            if spacing:
                style["letter_spacing"] = spacing
            layout, _length, _resume, width, height, baseline = split_first_line(node.text, style, None, inf, 0)
            layout.reactivate(style)  # measuring set it aside; drawing needs it back, as WeasyPrint does
            # Letter spacing goes between letters: WeasyPrint's text ends at its last letter.
            lines[key] = (layout, style, width - spacing, height, baseline)
        return lines[key]


class LabelledSVGImage(SVGImage):
    """WeasyPrint's SVG image of ``svg``, drawn by ``LabelledSVG``."""

    def __init__(self, svg: str, font_config: Any) -> None:
        # What SVGImage.__init__ sets, with our SVG document in place of WeasyPrint's.
        self._svg = LabelledSVG(svg, font_config)
        self._base_url = None
        self._url_fetcher = None
        self._context = None


def svg_images(svgs: dict[str, str], font_config: Any) -> dict[str, LabelledSVGImage]:
    """Return WeasyPrint's image cache for a document: its SVGs by the URL that shows each (a data URI).

    One image per document: an image keeps the stream it is drawing into while it draws.
    """
    return {url: LabelledSVGImage(svg, font_config) for url, svg in svgs.items()}
