"""Old-style reporting (standardised score out of 100, paper profile) and the score converter.

Rules: docs/domain.md §7 (Cambridge English's "older style of Statement of Results": standardised score out of
100, profile Exceptional – Good – Borderline – Weak, score converter, and the old thresholds for First,
Advanced and Proficiency, mapped linearly onto the same band of the Cambridge English Scale).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

from grading.rounding import equals_text, round_half_up

STANDARDISED_MAX = 100

EXCEPTIONAL = "Exceptional"
GOOD = "Good"
BORDERLINE = "Borderline"
WEAK = "Weak"

NO_CONVERSION = "no conversion: below the lowest converted band"


def _check_standardised(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"standardised score must be a whole number, got {value!r}")
    if not 0 <= value <= STANDARDISED_MAX:
        raise ValueError(f"standardised score {value} must be between 0 and {STANDARDISED_MAX}")
    return value


@dataclass(frozen=True)
class ProfileThresholds:
    """Lowest standardised score for each paper-profile position above Weak.

    The profile cut-offs were never published, so they are data supplied by the board, not a table here.
    Needs ``0 <= borderline < good < exceptional <= 100``.
    """

    exceptional: int
    good: int
    borderline: int

    def __post_init__(self) -> None:
        for name in ("borderline", "good", "exceptional"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} threshold must be a whole number, got {value!r}")
        if not 0 <= self.borderline < self.good < self.exceptional <= STANDARDISED_MAX:
            raise ValueError(
                "profile thresholds must satisfy 0 <= borderline < good < exceptional <= 100, got "
                f"borderline={self.borderline}, good={self.good}, exceptional={self.exceptional}"
            )


def profile_band(*, score: int, thresholds: ProfileThresholds) -> str:
    """Return a paper's profile position (Exceptional, Good, Borderline or Weak) for its standardised score.

    Rule: docs/domain.md §7.1 (the old Statement of Results shows each paper against the scale
    Exceptional – Good – Borderline – Weak); the cut-offs are the board's data (``ProfileThresholds``).
    """
    score = _check_standardised(score)
    if score >= thresholds.exceptional:
        return EXCEPTIONAL
    if score >= thresholds.good:
        return GOOD
    if score >= thresholds.borderline:
        return BORDERLINE
    return WEAK


@dataclass(frozen=True)
class ConverterBand:
    """One old result band (standardised scores, inclusive) and the scale band it maps onto (inclusive)."""

    label: str
    old_low: int
    old_high: int
    scale_low: int
    scale_high: int

    def __post_init__(self) -> None:
        if not (self.old_low < self.old_high and self.scale_low < self.scale_high):
            raise ValueError(f"converter band {self.label!r} needs low < high on both scales")


@dataclass(frozen=True)
class ConverterTable:
    """The converter bands of one exam, highest first, with where the figures come from."""

    exam_code: str
    bands: tuple[ConverterBand, ...]
    source: str


def _converter_table(exam_code: str, level_below: str, a: int, b: int, c: int, below: int, top: int) -> ConverterTable:
    # Old thresholds (A 80–100, B 75–79, C 60–74, level below 45–59) are the same for all three exams.
    return ConverterTable(
        exam_code=exam_code,
        bands=(
            ConverterBand("Grade A", 80, 100, a, top),
            ConverterBand("Grade B", 75, 79, b, a - 1),
            ConverterBand("Grade C", 60, 74, c, b - 1),
            ConverterBand(level_below, 45, 59, below, c - 1),
        ),
        source=(
            "Cambridge English score converter: old thresholds A 80–100, B 75–79, C 60–74, level below 45–59 for "
            "First, Advanced and Proficiency, each mapped linearly onto the same band of the Cambridge English "
            "Scale (rules and sources: docs/domain.md §7)"
        ),
    )


_FIRST_TABLE = _converter_table("FCE", "Level B1", a=180, b=173, c=160, below=140, top=190)

# Source: docs/domain.md §7.2 (A2 Key and Key for Schools before February 2016): the old Statement of Results set
# Pass with Distinction 90–100, Pass with Merit 85–89, Pass 70–84 and Level A1 45–69 (Fail 0–44), each mapped
# onto the same band of the scale (docs/domain.md §5.4).
_KEY_BANDS = (
    ConverterBand("Pass with Distinction", 90, 100, 140, 150),
    ConverterBand("Pass with Merit", 85, 89, 133, 139),
    ConverterBand("Pass", 70, 84, 120, 132),
    ConverterBand("Level A1", 45, 69, 100, 119),
)
_KEY_SOURCE = (
    "Key English Test Statement of Results (2013): Pass with Distinction 90–100, Pass with Merit 85–89, Pass "
    "70–84, Level A1 45–69, each mapped linearly onto the same band of the Cambridge English Scale (rules and "
    "sources: docs/domain.md §7)"
)

# Source: docs/domain.md §7 (First, Advanced, Proficiency, Key). First and Key for Schools share their main exam's
# table (same exam, same certificate: docs/domain.md §9.5); other exams' old thresholds are not sourced, so not here.
CONVERTER_TABLES: Mapping[str, ConverterTable] = MappingProxyType(
    {
        "FCE": _FIRST_TABLE,
        "FCES": ConverterTable(
            exam_code="FCES",
            bands=_FIRST_TABLE.bands,
            source=_FIRST_TABLE.source + "; 'for Schools' versions give the same certificate",
        ),
        "CAE": _converter_table("CAE", "Level B2", a=200, b=193, c=180, below=160, top=210),
        "CPE": _converter_table("CPE", "Level C1", a=220, b=213, c=200, below=180, top=230),
        "KET": ConverterTable(exam_code="KET", bands=_KEY_BANDS, source=_KEY_SOURCE),
        "KETS": ConverterTable(
            exam_code="KETS",
            bands=_KEY_BANDS,
            source=_KEY_SOURCE + "; 'for Schools' versions give the same certificate",
        ),
    }
)


@dataclass(frozen=True)
class Conversion:
    """An old standardised score on the Cambridge English Scale; ``scale_score`` is None with no conversion."""

    exam_code: str
    standardised_score: int
    scale_score: int | None
    band: ConverterBand | None
    explanation: str


def convert_standardised(*, exam_code: str, score: int) -> Conversion:
    """Return the Cambridge English Scale score for an old standardised score (the score converter).

    Rule: docs/domain.md §7.2: each old band maps onto the same band of the scale, linearly inside
    the band (old low → scale low, old high → scale high), rounded half up. Below the lowest converted band
    (45) there is no conversion: ``scale_score`` is None and ``explanation`` is ``NO_CONVERSION``.
    """
    table = CONVERTER_TABLES.get(exam_code.strip().upper())
    if table is None:
        known = ", ".join(CONVERTER_TABLES)
        raise ValueError(f"no score converter for exam code {exam_code!r}: expected one of {known}")
    score = _check_standardised(score)
    for band in table.bands:
        if band.old_low <= score <= band.old_high:
            old_width = band.old_high - band.old_low
            scale_width = band.scale_high - band.scale_low
            exact = band.scale_low + Fraction((score - band.old_low) * scale_width, old_width)
            scale_score = round_half_up(exact)
            working = f"{band.scale_low} + ({score} − {band.old_low}) × {scale_width} / {old_width}"
            explanation = (
                f"{score} is in {band.label} ({band.old_low}–{band.old_high}), mapped linearly onto "
                f"{band.scale_low}–{band.scale_high}: {working} {equals_text(exact)}"
            )
            if exact.denominator != 1:
                explanation += f", rounded to {scale_score}"
            return Conversion(table.exam_code, score, scale_score, band, explanation)
    return Conversion(table.exam_code, score, None, None, NO_CONVERSION)
