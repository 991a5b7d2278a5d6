"""The Statement of Results chart: valid, accessible, escaped SVG that follows grading's display rules."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from results.charts import component_chart_svg

SVG = "{http://www.w3.org/2000/svg}"
SITTING = dt.date(2025, 6, 14)
FCE = [("Reading", 176), ("Use of English", 181), ("Writing", 169), ("Listening", 172), ("Speaking", 180)]


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to prove it is well-formed XML


def _svg(**kwargs: object) -> ET.Element:
    arguments = {"exam_code": "FCE", "on": SITTING, "components": FCE, "overall": 176} | kwargs
    return _parse(component_chart_svg(**arguments))  # type: ignore[arg-type]


def _texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def _bars(root: ET.Element) -> list[ET.Element]:
    """Return the bars: the rectangles that start at the plot's left edge and are 18 units high."""
    return [rect for rect in root.iter(f"{SVG}rect") if rect.get("height") == "18"]


def test_the_chart_is_an_accessible_image_with_a_title_and_a_summary_in_words() -> None:
    root = _svg()

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox", "").startswith("0 0 420 ")
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "B2 First: your Cambridge English Scale scores"
    assert desc is not None and desc.text is not None
    assert desc.text.startswith(
        "Reading 176, Use of English 181, Writing 169, Listening 172, Speaking 180, Overall 176 (Grade B, B2)."
    )
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_one_bar_per_component_and_one_for_the_overall_score_with_the_score_at_its_end() -> None:
    root = _svg()
    texts = _texts(root)

    assert len(_bars(root)) == len(FCE) + 1
    for label, score in FCE:
        assert label in texts and str(score) in texts
    assert "Overall" in texts


def test_longer_bars_for_higher_scores_on_the_exams_reported_scale() -> None:
    widths = [float(bar.get("width", 0)) for bar in _bars(_svg())]

    assert widths[1] > widths[4] > widths[0] > widths[3] > widths[2]  # 181 > 180 > 176 > 172 > 169
    assert widths[5] == widths[0]  # the overall 176 is as long as Reading's 176


def test_the_bands_are_labelled_with_result_and_cefr_level_and_the_reported_minimum_is_shown() -> None:
    texts = _texts(_svg())

    for label in ("Grade A · C1", "Grade B · B2", "Grade C · B2", "Level B1 · B1", "Fail · no certificate"):
        assert label in texts
    assert {"122", "140", "160", "173", "180", "190"} <= set(texts)


def test_each_exam_uses_its_own_scale_and_bands() -> None:
    key = [("Reading and Writing", 142), ("Listening", 145), ("Speaking", 141)]
    texts = _texts(_svg(exam_code="KET", components=key, overall=143))

    assert "Grade A · B1" in texts and "Grade C · A2" in texts and "Level A1 · A1" in texts
    assert {"82", "150"} <= set(texts)
    assert "Grade A · C1" not in texts


def test_the_bands_are_those_of_the_format_of_the_session_date() -> None:
    key = [("Reading and Writing", 142), ("Listening", 145), ("Speaking", 141)]
    texts = _texts(_svg(exam_code="KET", on=dt.date(2019, 11, 30), components=key, overall=143))

    assert "Pass with Distinction · B1" in texts and "Pass · A2" in texts
    assert "Grade A · B1" not in texts


def test_a_score_below_the_reported_minimum_gets_a_bar_to_the_minimum_labelled_below() -> None:
    root = _svg(components=[("Reading", 115), *FCE[1:]], overall=171)
    texts = _texts(root)
    bars = _bars(root)

    assert "below 122" in texts and "115" not in "".join(texts)
    assert 0 < float(bars[0].get("width", 0)) < float(bars[3].get("width", 0))
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text is not None and desc.text.startswith("Reading below 122, ")


def test_an_overall_score_below_the_range_is_below_and_one_above_the_top_is_shown_at_the_top() -> None:
    low = _svg(components=[(label, 110) for label, _ in FCE], overall=None)
    high = _svg(components=[("Reading", 199), *FCE[1:]])

    low_desc = low.find(f"{SVG}desc")
    assert low_desc is not None and "Overall below 122 (No result)" in (low_desc.text or "")
    assert _texts(low).count("below 122") == len(FCE) + 1
    assert "190" in _texts(high) and "199" not in _texts(high)


def test_every_text_is_escaped() -> None:
    svg = component_chart_svg(exam_code="FCE", on=SITTING, components=[('<b>Reading</b> & "more"', 176)], overall=176)

    assert "<b>" not in svg
    assert "&lt;b&gt;Reading&lt;/b&gt; &amp; &quot;more&quot;" in svg
    assert '<b>Reading</b> & "more"' in _texts(_parse(svg))


def test_the_output_is_deterministic() -> None:
    first = component_chart_svg(exam_code="FCE", on=SITTING, components=FCE, overall=176)

    assert component_chart_svg(exam_code="FCE", on=SITTING, components=FCE, overall=176) == first
    assert component_chart_svg(exam_code="FCE", on=SITTING, components=FCE, overall=177) != first


def test_an_exam_not_on_the_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown exam code"):
        component_chart_svg(exam_code="UNIT1", on=SITTING, components=FCE, overall=176)
