"""Old-style standardised scores, paper profiles and the score converter (docs/domain.md §7)."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.scale import SCALE_FORMATS, scale_result
from grading.standardised import (
    BORDERLINE,
    CONVERTER_TABLES,
    EXCEPTIONAL,
    GOOD,
    NO_CONVERSION,
    WEAK,
    ConverterBand,
    ProfileThresholds,
    convert_standardised,
    profile_band,
)

SETTINGS = settings(max_examples=150, deadline=None, database=None)

# Illustrative cut-offs: the real profile thresholds were never published, so tests supply their own.
PROFILE = ProfileThresholds(exceptional=80, good=60, borderline=45)

# Standardised score → scale score at every old band edge, typed in from docs/domain.md §7.
CONVERTER_EDGES = {
    "FCE": [(100, 190), (80, 180), (79, 179), (75, 173), (74, 172), (60, 160), (59, 159), (45, 140)],
    "CAE": [(100, 210), (80, 200), (79, 199), (75, 193), (74, 192), (60, 180), (59, 179), (45, 160)],
    "CPE": [(100, 230), (80, 220), (79, 219), (75, 213), (74, 212), (60, 200), (59, 199), (45, 180)],
    # A2 Key before February 2016 (docs/domain.md §7.2): Pass with Distinction 90–100, Pass with Merit 85–89,
    # Pass 70–84, Level A1 45–69 onto 140–150, 133–139, 120–132, 100–119.
    "KET": [(100, 150), (90, 140), (89, 139), (85, 133), (84, 132), (70, 120), (69, 119), (45, 100)],
    "KETS": [(100, 150), (90, 140), (89, 139), (85, 133), (84, 132), (70, 120), (69, 119), (45, 100)],
}


@pytest.mark.parametrize(
    ("score", "band"),
    [(100, EXCEPTIONAL), (80, EXCEPTIONAL), (79, GOOD), (60, GOOD), (59, BORDERLINE), (45, BORDERLINE), (44, WEAK)],
)
def test_profile_band(score: int, band: str) -> None:
    assert profile_band(score=score, thresholds=PROFILE) == band
    assert profile_band(score=0, thresholds=PROFILE) == WEAK


@pytest.mark.parametrize(
    ("exceptional", "good", "borderline"),
    [(80, 80, 45), (60, 80, 45), (80, 60, -1), (101, 60, 45), (80, 45, 45)],
)
def test_profile_thresholds_must_be_ordered(exceptional: int, good: int, borderline: int) -> None:
    with pytest.raises(ValueError, match="0 <= borderline < good < exceptional <= 100"):
        ProfileThresholds(exceptional=exceptional, good=good, borderline=borderline)


def test_profile_thresholds_must_be_whole_numbers() -> None:
    with pytest.raises(ValueError, match="good threshold must be a whole number"):
        ProfileThresholds(exceptional=80, good=60.5, borderline=45)  # type: ignore[arg-type]


@pytest.mark.parametrize("score", [-1, 101, 50.0, True])
def test_standardised_scores_are_whole_numbers_0_to_100(score: int) -> None:
    with pytest.raises(ValueError, match="standardised score"):
        profile_band(score=score, thresholds=PROFILE)
    with pytest.raises(ValueError, match="standardised score"):
        convert_standardised(exam_code="FCE", score=score)


def test_converter_covers_first_advanced_proficiency_and_key_only() -> None:
    assert set(CONVERTER_TABLES) == {"FCE", "FCES", "CAE", "CPE", "KET", "KETS"}
    for code, table in CONVERTER_TABLES.items():
        assert table.exam_code == code
        assert "docs/domain.md §7" in table.source


@pytest.mark.parametrize(
    ("code", "score", "scale"),
    [(code, score, scale) for code, edges in CONVERTER_EDGES.items() for score, scale in edges],
)
def test_converter_maps_band_edges_exactly(code: str, score: int, scale: int) -> None:
    assert convert_standardised(exam_code=code, score=score).scale_score == scale


def test_first_for_schools_converts_like_first() -> None:
    for score in range(0, 101):
        fces = convert_standardised(exam_code="FCES", score=score)
        fce = convert_standardised(exam_code="FCE", score=score)
        assert (fces.scale_score, fces.band, fces.exam_code) == (fce.scale_score, fce.band, "FCES")


def test_converter_is_linear_inside_a_band_and_rounds_half_up() -> None:
    conversion = convert_standardised(exam_code="FCE", score=78)
    assert conversion.scale_score == 178  # 173 + 3 × 6 / 4 = 177.5 → 178
    assert conversion.explanation == (
        "78 is in Grade B (75–79), mapped linearly onto 173–179: 173 + (78 − 75) × 6 / 4 = 177.5, rounded to 178"
    )
    assert convert_standardised(exam_code="FCE", score=90).scale_score == 185
    assert convert_standardised(exam_code="CAE", score=61).scale_score == 181  # 180.857…


@pytest.mark.parametrize("code", ["FCE", "CAE", "CPE"])
@pytest.mark.parametrize("score", [0, 30, 44])
def test_no_conversion_below_45(code: str, score: int) -> None:
    conversion = convert_standardised(exam_code=code, score=score)
    assert (conversion.scale_score, conversion.band, conversion.explanation) == (None, None, NO_CONVERSION)
    assert NO_CONVERSION == "no conversion: below the lowest converted band"


@pytest.mark.parametrize("code", sorted(CONVERTER_TABLES))
def test_converted_score_lands_in_the_same_band_of_the_scale(code: str) -> None:
    for score in range(45, 101):
        conversion = convert_standardised(exam_code=code, score=score)
        assert conversion.scale_score is not None and conversion.band is not None
        # The newest format that awards the converter's result names: A2 Key's converter comes from its 2013
        # statements, whose names (Pass with Merit…) the 2016–2019 format kept and the 2020 format renamed.
        exam = next(f for f in reversed(SCALE_FORMATS[code]) if conversion.band.label in {b.result for b in f.bands})
        scores = dict.fromkeys(exam.skills, conversion.scale_score)
        on = exam.valid_from or dt.date(2015, 1, 1)
        assert scale_result(exam_code=code, on=on, scores=scores).result == conversion.band.label


def test_unknown_converter_exam() -> None:
    with pytest.raises(ValueError, match="no score converter for exam code 'BECV'"):
        convert_standardised(exam_code="BECV", score=70)


def test_converter_band_needs_width() -> None:
    with pytest.raises(ValueError, match="needs low < high"):
        ConverterBand("Grade B", 75, 75, 173, 179)


@SETTINGS
@given(st.sampled_from(sorted(CONVERTER_TABLES)), st.integers(0, 100), st.integers(0, 100))
def test_converter_is_monotone(code: str, first: int, second: int) -> None:
    low, high = sorted((first, second))
    lower = convert_standardised(exam_code=code, score=low).scale_score
    higher = convert_standardised(exam_code=code, score=high).scale_score
    if lower is not None:
        assert higher is not None and higher >= lower
    if higher is None:
        assert lower is None


@SETTINGS
@given(st.sampled_from(sorted(CONVERTER_TABLES)), st.integers(45, 100))
def test_converted_score_stays_inside_its_band(code: str, score: int) -> None:
    conversion = convert_standardised(exam_code=code, score=score)
    assert conversion.band is not None and conversion.scale_score is not None
    assert conversion.band.scale_low <= conversion.scale_score <= conversion.band.scale_high
    assert conversion.band.old_low <= score <= conversion.band.old_high


@pytest.mark.parametrize(("score", "band"), [(90, "Pass with Distinction"), (88, "Pass with Merit"), (70, "Pass")])
def test_key_converter_names_the_old_key_results(score: int, band: str) -> None:
    conversion = convert_standardised(exam_code="KET", score=score)

    assert conversion.band is not None and conversion.band.label == band


def test_key_converter_has_no_conversion_below_45() -> None:
    # 0–44 was a Fail on the old Key statement: not converted.
    assert convert_standardised(exam_code="KET", score=44).scale_score is None


def test_key_converter_rounds_inside_a_band_half_up() -> None:
    # 88 in Pass with Merit: 133 + (88 − 85) × 6 / 4 = 137.5 → 138.
    assert convert_standardised(exam_code="KETS", score=88).scale_score == 138
