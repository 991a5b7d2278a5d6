"""Cambridge English Scale: skill scores, overall score, result bands and extended certification.

Rules: docs/domain.md §5 'Cambridge English Scale', extended certification in §5.5 (Cambridge English's
"Extended Certification"), formats by period in §5.9. Component clamping and rounding choices:
docs/decisions/0002-grading-rules.md.

An exam's format (papers, their weights, band names) changes over time: ``scale_exam(code, on=session_date)`` is
the one way to read the format in force for a sitting, for grading and for every output.
"""

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

from grading.rounding import equals_text, ratio_round_half_up, round_half_up

READING = "reading"
READING_AND_WRITING = "reading_and_writing"
USE_OF_ENGLISH = "use_of_english"
WRITING = "writing"
LISTENING = "listening"
SPEAKING = "speaking"

# Statement-of-Results order (docs/domain.md §5.2): First, Advanced and Proficiency report Use of
# English as well; Preliminary and the Business certificates report four skills.
FIVE_SKILLS: tuple[str, ...] = (READING, USE_OF_ENGLISH, WRITING, LISTENING, SPEAKING)
FOUR_SKILLS: tuple[str, ...] = (READING, WRITING, LISTENING, SPEAKING)
# A2 Key and Key for Schools, from their first sitting on the scale (February 2016): a score for each of the three
# papers, the Reading and Writing paper counting twice (it is half of the exam). docs/domain.md §5.9.
KEY_PAPERS: tuple[str, ...] = (READING_AND_WRITING, LISTENING, SPEAKING)
KEY_WEIGHTS: tuple[int, ...] = (2, 1, 1)

SKILL_LABELS: Mapping[str, str] = MappingProxyType(
    {
        READING: "Reading",
        READING_AND_WRITING: "Reading and Writing",
        USE_OF_ENGLISH: "Use of English",
        WRITING: "Writing",
        LISTENING: "Listening",
        SPEAKING: "Speaking",
    }
)

# Scores outside this range cannot come from any Cambridge English Scale exam (the scale's reported ranges
# run from 82 to 230); anything outside it is a data-entry error, not a low or high score.
PLAUSIBLE_MIN = 0
PLAUSIBLE_MAX = 250

RESULT_FAIL = "Fail"
RESULT_NO_RESULT = "No result"
# Results without a grade, as the board prints them (docs/domain.md §4.2): absent from part of the exam, absent from
# all of it, result to follow, result withheld. No overall score, no certificate.
RESULT_ABSENT_PART = "X"
RESULT_ABSENT_ALL = "Z"
RESULT_PENDING = "Pending"
RESULT_WITHHELD = "Withheld"
INDICATOR_RESULTS: tuple[str, ...] = (RESULT_ABSENT_PART, RESULT_ABSENT_ALL, RESULT_PENDING, RESULT_WITHHELD)


class Certification(enum.StrEnum):
    """Where a band's certificate sits against the exam's target CEFR level (extended certification)."""

    ABOVE = "above"
    AT = "at"
    BELOW = "below"


@dataclass(frozen=True)
class Band:
    """A range of overall scores (inclusive) that gives one result and one CEFR level on the certificate."""

    low: int
    high: int
    result: str
    cefr: str
    certification: Certification

    @property
    def range_text(self) -> str:
        """Return the band as printed on a Statement of Results, e.g. ``173–179``."""
        return f"{self.low}–{self.high}"


@dataclass(frozen=True)
class ScaleExam:
    """An exam's format on the Cambridge English Scale, in force for sittings from ``valid_from`` (``None``: from
    the start of the scale) up to and including ``valid_until`` (``None``: still in force).

    ``skills`` are the papers or skills reported, in Statement-of-Results order, ``weights`` how many times each
    counts in the overall score (aligned with ``skills``); ``bands`` run from the highest to the lowest;
    ``source`` names the public page the format comes from (docs/domain.md §5.9).
    """

    code: str
    name: str
    cefr_target: str
    skills: tuple[str, ...]
    reported_min: int
    reported_max: int
    bands: tuple[Band, ...]
    weights: tuple[int, ...] = ()
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    source: str = ""

    def weight(self, skill: str) -> int:
        """Return how many times ``skill`` counts in the overall score (1 unless the format says otherwise)."""
        return self.weights[self.skills.index(skill)] if self.weights else 1

    def in_force(self, on: dt.date) -> bool:
        """Return whether this format is the one for a sitting on ``on``."""
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_until is None or on <= self.valid_until
        )


@dataclass(frozen=True)
class ComponentScore:
    """One skill on the Statement of Results.

    ``score`` is the score as imported, ``counted`` the score that enters the overall and ``display`` what the
    candidate sees (a number, or ``below <minimum>``).
    """

    skill: str
    score: int
    counted: int
    display: str

    @property
    def label(self) -> str:
        """Return the skill's name as printed, e.g. ``Use of English``."""
        return SKILL_LABELS[self.skill]


@dataclass(frozen=True)
class ScaleResult:
    """Everything a Statement of Results shows for a scale-score exam, with the rules applied in words."""

    exam: ScaleExam
    overall: int | None
    overall_display: str
    result: str
    cefr_level: str | None
    certificate: bool
    band: Band | None
    components: tuple[ComponentScore, ...]
    explanation: tuple[str, ...]


# Source of every band below: the docs/domain.md §5.4 band table (public Cambridge figures). 'for Schools'
# versions share the bands of their main exam (docs/domain.md §9.5: same certificate, same format).
# 2016–2019 sittings of Key and Preliminary, and Business Preliminary throughout: Pass with Distinction / Merit / Pass.
KEY_BANDS: tuple[Band, ...] = (
    Band(140, 150, "Pass with Distinction", "B1", Certification.ABOVE),
    Band(133, 139, "Pass with Merit", "A2", Certification.AT),
    Band(120, 132, "Pass", "A2", Certification.AT),
    Band(100, 119, "Level A1", "A1", Certification.BELOW),
)
PRELIMINARY_BANDS: tuple[Band, ...] = (
    Band(160, 170, "Pass with Distinction", "B2", Certification.ABOVE),
    Band(153, 159, "Pass with Merit", "B1", Certification.AT),
    Band(140, 152, "Pass", "B1", Certification.AT),
    Band(120, 139, "Level A2", "A2", Certification.BELOW),
)


def _renamed(bands: tuple[Band, ...], *names: str) -> tuple[Band, ...]:
    """Return ``bands`` with the passing bands renamed, from the top: same score ranges, levels, certificates."""
    return tuple(
        Band(band.low, band.high, names[index] if index < len(names) else band.result, band.cefr, band.certification)
        for index, band in enumerate(bands)
    )


# Sittings from January 2020 of Key, Preliminary and their 'for Schools' versions: the same score ranges and
# levels named Grade A / Grade B / Grade C (docs/domain.md §5.9).
KEY_GRADE_BANDS = _renamed(KEY_BANDS, "Grade A", "Grade B", "Grade C")
PRELIMINARY_GRADE_BANDS = _renamed(PRELIMINARY_BANDS, "Grade A", "Grade B", "Grade C")
FIRST_BANDS: tuple[Band, ...] = (
    Band(180, 190, "Grade A", "C1", Certification.ABOVE),
    Band(173, 179, "Grade B", "B2", Certification.AT),
    Band(160, 172, "Grade C", "B2", Certification.AT),
    Band(140, 159, "Level B1", "B1", Certification.BELOW),
)
ADVANCED_BANDS: tuple[Band, ...] = (
    Band(200, 210, "Grade A", "C2", Certification.ABOVE),
    Band(193, 199, "Grade B", "C1", Certification.AT),
    Band(180, 192, "Grade C", "C1", Certification.AT),
    Band(160, 179, "Level B2", "B2", Certification.BELOW),
)
# C2 Proficiency is the top of the CEFR: every grade is certified at C2, there is no level above.
PROFICIENCY_BANDS: tuple[Band, ...] = (
    Band(220, 230, "Grade A", "C2", Certification.AT),
    Band(213, 219, "Grade B", "C2", Certification.AT),
    Band(200, 212, "Grade C", "C2", Certification.AT),
    Band(180, 199, "Level C1", "C1", Certification.BELOW),
)


# The first sittings reported on the Cambridge English Scale (docs/domain.md §5.1, "for sessions held after" these
# dates): earlier sittings were reported as a standardised score and a profile (§6.3, §7.1), so no format of this
# module grades them; the legacy formats (``grading.legacy``) grade the few that are modelled.
SCALE_FROM_2015 = dt.date(2015, 1, 1)  # B2 First, for Schools, C1 Advanced, C2 Proficiency
SCALE_FROM_2016 = dt.date(2016, 2, 1)  # A2 Key, B1 Preliminary, their 'for Schools' versions, Business Certificates
# The first sitting of the formats revised in 2020 (A2 Key, B1 Preliminary and their 'for Schools' versions).
FORMAT_2020 = dt.date(2020, 1, 1)
SOURCE_SCALE = "CE Scale figures"
# docs/domain.md §5.9 names these sources.
SOURCE_KEY_2016 = "CE Scale guide 2015; Key statement guide 2015; CE practice-score guide (2016–2019 edition)"
SOURCE_PRELIMINARY_2016 = "CE Scale guide 2015; CE practice-score guide (2016–2019 edition)"
SOURCE_KEY_2020 = "CE Key 2020 update; CE practice-score guide (2020 edition)"
SOURCE_PRELIMINARY_2020 = "CE Preliminary 2020 update; CE practice-score guide (2020 edition)"


def _exam(
    code: str,
    name: str,
    target: str,
    skills: tuple[str, ...],
    low: int,
    bands: tuple[Band, ...],
    *,
    weights: tuple[int, ...] = (),
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    source: str = SOURCE_SCALE,
) -> ScaleExam:
    return ScaleExam(
        code=code,
        name=name,
        cefr_target=target,
        skills=skills,
        reported_min=low,
        reported_max=bands[0].high,
        bands=bands,
        weights=weights,
        valid_from=valid_from,
        valid_until=valid_until,
        source=source,
    )


@dataclass(frozen=True)
class _Period:
    """What one period of an exam revised in 2020 reports: its papers or skills, their weights, bands and source."""

    skills: tuple[str, ...]
    weights: tuple[int, ...]
    bands: tuple[Band, ...]
    source: str


def _revised_2020(
    code: str, name: str, target: str, low: int, *, before: _Period, after: _Period
) -> tuple[ScaleExam, ...]:
    """Return the 2016–2019 format and the format from January 2020 of one exam."""
    until = FORMAT_2020 - dt.timedelta(days=1)
    return tuple(
        _exam(
            code,
            name,
            target,
            period.skills,
            low,
            period.bands,
            weights=period.weights,
            valid_from=start,
            valid_until=end,
            source=period.source,
        )
        for period, start, end in ((before, SCALE_FROM_2016, until), (after, FORMAT_2020, None))
    )


# Key reports the same three papers with the same weights in both periods; Preliminary the same four skills (one
# Reading and Writing paper up to 2019, two papers from 2020, a score per skill throughout). Only the names of the
# bands change in January 2020 (docs/domain.md §5.9).
_KEY_2016 = _Period(KEY_PAPERS, KEY_WEIGHTS, KEY_BANDS, SOURCE_KEY_2016)
_KEY_2020 = _Period(KEY_PAPERS, KEY_WEIGHTS, KEY_GRADE_BANDS, SOURCE_KEY_2020)
_PRELIMINARY_2016 = _Period(FOUR_SKILLS, (), PRELIMINARY_BANDS, SOURCE_PRELIMINARY_2016)
_PRELIMINARY_2020 = _Period(FOUR_SKILLS, (), PRELIMINARY_GRADE_BANDS, SOURCE_PRELIMINARY_2020)

# Every format of every exam, oldest first, the first from the exam's first sitting on the scale (docs/domain.md §5.1,
# §5.4 and §5.9): sittings before it are not graded by this module (``scale_exam`` refuses them).
SCALE_FORMATS: Mapping[str, tuple[ScaleExam, ...]] = MappingProxyType(
    {
        "KET": _revised_2020("KET", "A2 Key", "A2", 82, before=_KEY_2016, after=_KEY_2020),
        "KETS": _revised_2020("KETS", "A2 Key for Schools", "A2", 82, before=_KEY_2016, after=_KEY_2020),
        "PET": _revised_2020("PET", "B1 Preliminary", "B1", 102, before=_PRELIMINARY_2016, after=_PRELIMINARY_2020),
        "PETS": _revised_2020(
            "PETS", "B1 Preliminary for Schools", "B1", 102, before=_PRELIMINARY_2016, after=_PRELIMINARY_2020
        ),
        "BECP": (
            _exam(
                "BECP",
                "B1 Business Preliminary",
                "B1",
                FOUR_SKILLS,
                102,
                PRELIMINARY_BANDS,
                valid_from=SCALE_FROM_2016,
            ),
        ),
        "FCE": (_exam("FCE", "B2 First", "B2", FIVE_SKILLS, 122, FIRST_BANDS, valid_from=SCALE_FROM_2015),),
        "FCES": (
            _exam("FCES", "B2 First for Schools", "B2", FIVE_SKILLS, 122, FIRST_BANDS, valid_from=SCALE_FROM_2015),
        ),
        "BECV": (
            _exam("BECV", "B2 Business Vantage", "B2", FOUR_SKILLS, 122, FIRST_BANDS, valid_from=SCALE_FROM_2016),
        ),
        "CAE": (_exam("CAE", "C1 Advanced", "C1", FIVE_SKILLS, 142, ADVANCED_BANDS, valid_from=SCALE_FROM_2015),),
        "BECH": (
            _exam("BECH", "C1 Business Higher", "C1", FOUR_SKILLS, 142, ADVANCED_BANDS, valid_from=SCALE_FROM_2016),
        ),
        "CPE": (
            _exam("CPE", "C2 Proficiency", "C2", FIVE_SKILLS, 162, PROFICIENCY_BANDS, valid_from=SCALE_FROM_2015),
        ),
    }
)

# The format of each exam in force now (the newest): for listings and the score converter, never for a result,
# whose format is the one in force on its session date (``scale_exam(code, on=…)``).
SCALE_EXAMS: Mapping[str, ScaleExam] = MappingProxyType({code: formats[-1] for code, formats in SCALE_FORMATS.items()})
# Each exam's first sitting on the Cambridge English Scale (docs/domain.md §5.1).
SCALE_FROM: Mapping[str, dt.date] = MappingProxyType(
    {code: formats[0].valid_from for code, formats in SCALE_FORMATS.items() if formats[0].valid_from is not None}
)


class BeforeTheScale(ValueError):
    """A sitting before its exam was reported on the Cambridge English Scale: no format of this module grades it."""

    def __init__(self, *, exam: ScaleExam, on: dt.date) -> None:
        self.exam, self.on, self.scale_from = exam, on, exam.valid_from
        super().__init__(
            f"{exam.name} ({exam.code}) on {on.isoformat()} was sat before the exam was reported on the Cambridge "
            f"English Scale (sittings from {exam.valid_from}): its format is not graded here (docs/domain.md §6.4)"
        )


def scale_exam(code: str, *, on: dt.date) -> ScaleExam:
    """Return the format of the scale-score exam ``code`` in force for a sitting on ``on``.

    Case and surrounding spaces of ``code`` are ignored. The one function every grading step and every output
    reads an exam's papers, weights and band names through (docs/domain.md §5.9). A sitting before the exam's
    first sitting on the scale raises ``BeforeTheScale`` (a ValueError), an unknown code ValueError.
    """
    formats = SCALE_FORMATS.get(code.strip().upper())
    if formats is None:
        known = ", ".join(SCALE_FORMATS)
        raise ValueError(f"unknown exam code {code!r}: expected one of {known}")
    found = next((f for f in formats if f.in_force(on)), None)
    if found is None:  # the formats follow one another from the first sitting on the scale, the last still in force
        raise BeforeTheScale(exam=formats[0], on=on)
    return found


def check_score(*, field: str, value: object) -> int:
    """Return ``value`` if it is a whole-number scale score in the plausible range 0–250, else raise ValueError.

    Rule: Cambridge English Scale scores are whole numbers (docs/domain.md §5); the plausible range only catches
    data-entry errors, it does not decide what is reported.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field} score must be a whole number, got {value!r}")
    if not PLAUSIBLE_MIN <= value <= PLAUSIBLE_MAX:
        raise ValueError(f"{field} score {value} is outside the plausible range {PLAUSIBLE_MIN}–{PLAUSIBLE_MAX}")
    return value


def _check_skills(*, scores: Mapping[str, object], skills: Sequence[str]) -> None:
    if not skills:
        raise ValueError("at least one skill is needed to work out an overall score")
    if len(set(skills)) != len(skills):
        raise ValueError(f"skills must not repeat, got {', '.join(skills)}")
    expected = ", ".join(skills)
    for skill in skills:
        if skill not in scores:
            raise ValueError(f"missing score for skill {skill!r} (expected {expected})")
    for skill in scores:
        if skill not in skills:
            raise ValueError(f"unexpected skill {skill!r} (expected {expected})")


def _mean(*, scores: Mapping[str, int], skills: Sequence[str], weights: Sequence[int] = ()) -> Fraction:
    _check_skills(scores=scores, skills=skills)
    counts = tuple(weights) or (1,) * len(skills)
    if len(counts) != len(skills) or any(count < 1 for count in counts):
        raise ValueError("weights must be whole numbers from 1, one per skill")
    total = sum(
        count * check_score(field=skill, value=scores[skill]) for skill, count in zip(skills, counts, strict=True)
    )
    return Fraction(total, sum(counts))


def overall_score(*, scores: Mapping[str, int], skills: Sequence[str], weights: Sequence[int] = ()) -> int:
    """Return the overall score: the (weighted) mean of the skill scores, rounded to the nearest whole number,
    halves up.

    Rule: docs/domain.md §5.3 "the overall score is the mean of the skill scores, rounded to the nearest whole
    number"; §5.9 a paper with weight 2 counts twice (A2 Key's Reading and Writing). Every skill in
    ``skills`` must have a score and no other skill may appear.
    """
    return round_half_up(_mean(scores=scores, skills=skills, weights=weights))


def _component(*, exam: ScaleExam, skill: str, score: int) -> tuple[ComponentScore, str | None]:
    label = SKILL_LABELS[skill]
    if score > exam.reported_max:
        # Refused, not capped: no public rule caps an impossible score, and a cap can change the result.
        raise ValueError(f"{label} score {score} is above the top of the {exam.name} scale ({exam.reported_max})")
    if score < exam.reported_min:
        note = (
            f"{label}: {score} is below the reported range ({exam.reported_min}–{exam.reported_max}); "
            f"shown as 'below {exam.reported_min}', the score itself still counts towards the overall"
        )
        return ComponentScore(skill, score, score, f"below {exam.reported_min}"), note
    return ComponentScore(skill, score, score, str(score)), None


def _overall_line(*, exam: ScaleExam, components: Sequence[ComponentScore], mean: Fraction, overall: int) -> str:
    terms = " + ".join(
        f"{exam.weight(c.skill)} × {c.counted}" if exam.weight(c.skill) != 1 else str(c.counted) for c in components
    )
    divisor = sum(exam.weight(c.skill) for c in components)
    sum_text = f"Overall score = ({terms}) / {divisor}"
    if mean.denominator == 1:
        return f"{sum_text} = {overall}"
    if mean.denominator == 2:
        return f"{sum_text} {equals_text(mean)}, rounded up to {overall} (halves round up)"
    return f"{sum_text} {equals_text(mean)}, rounded to {overall}"


def _certificate_line(*, exam: ScaleExam, band: Band) -> str:
    if band.certification is Certification.ABOVE:
        return (
            f"Extended certification: {band.result} is certified at {band.cefr}, "
            f"the level above the exam's target {exam.cefr_target}"
        )
    if band.certification is Certification.BELOW:
        return (
            f"Extended certification: {band.result} narrowly misses a pass and is certified at {band.cefr}, "
            f"the level below the exam's target {exam.cefr_target}"
        )
    return f"{band.result} is certified at {band.cefr}, the exam's target level"


@dataclass(frozen=True)
class ScaleGrade:
    """What a sitting is awarded, without the Statement of Results' explanation: what an import stores."""

    overall: int | None
    result: str
    cefr_level: str | None
    certificate: bool


def scale_grade(exam: ScaleExam, scores: Mapping[str, int]) -> ScaleGrade:
    """Return the overall score, result, CEFR level and certificate that ``scale_result`` gives for ``scores``
    graded with the format ``exam`` (the one in force on the session date, found once by the caller).

    The same rules as ``scale_result`` in whole numbers, without the explanation: the weighted sum of the skill
    scores over the sum of the weights, rounded half up, then the band. Scores it does not take that way (a skill
    missing or unexpected, not a plain whole number, outside 0 to the top of the scale) go to ``scale_result``
    itself, which refuses them with the error that names what is wrong.
    """
    skills = exam.skills
    weights = exam.weights or (1,) * len(skills)
    total = 0
    for skill, weight in zip(skills, weights, strict=True):
        score = scores.get(skill)
        if type(score) is not int or not PLAUSIBLE_MIN <= score <= exam.reported_max:
            break
        total += weight * score
    else:
        if len(scores) == len(skills):
            return _grade_of(exam, ratio_round_half_up(total, sum(weights)))
    graded = _scale_result(exam, scores)
    return ScaleGrade(graded.overall, graded.result, graded.cefr_level, graded.certificate)


def _grade_of(exam: ScaleExam, overall: int) -> ScaleGrade:
    if overall < exam.reported_min:
        return ScaleGrade(None, RESULT_NO_RESULT, None, False)
    for band in exam.bands:
        if band.low <= overall <= band.high:
            return ScaleGrade(overall, band.result, band.cefr, True)
    return ScaleGrade(overall, RESULT_FAIL, None, False)


def scale_result(*, exam_code: str, on: dt.date, scores: Mapping[str, int]) -> ScaleResult:
    """Return the Statement of Results for a sitting on ``on`` of a scale-score exam from its skill scores.

    Rules (docs/domain.md §5 'Cambridge English Scale', §5.5 extended certification, §5.9 formats): the format
    in force on ``on`` gives the papers, their weights and the band names; the overall score is the weighted
    mean of the skill scores rounded half up; the band containing it gives the result and the CEFR level
    on the certificate (compensatory: no skill is passed or failed on its own). Between the bottom of the
    reported range and the lowest band the result is Fail with the score shown; below the reported range no
    score is reported. A skill score above the exam's maximum is refused (ValueError); one below the minimum is
    shown as ``below <minimum>`` but counts as it is (docs/decisions/0002-grading-rules.md).
    """
    return _scale_result(scale_exam(exam_code, on=on), scores)


def _scale_result(exam: ScaleExam, scores: Mapping[str, int]) -> ScaleResult:
    _check_skills(scores=scores, skills=exam.skills)
    components: list[ComponentScore] = []
    explanation: list[str] = []
    for skill in exam.skills:
        component, note = _component(exam=exam, skill=skill, score=check_score(field=skill, value=scores[skill]))
        components.append(component)
        if note is not None:
            explanation.append(note)
    counted = {component.skill: component.counted for component in components}
    mean = _mean(scores=counted, skills=exam.skills, weights=exam.weights)
    overall = round_half_up(mean)
    explanation.append(_overall_line(exam=exam, components=components, mean=mean, overall=overall))

    if overall < exam.reported_min:
        explanation.append(
            f"{overall} is below the reported range for {exam.name} ({exam.reported_min}–{exam.reported_max}): "
            "no score is reported, no result and no certificate"
        )
        return ScaleResult(
            exam=exam,
            overall=None,
            overall_display=f"below {exam.reported_min}",
            result=RESULT_NO_RESULT,
            cefr_level=None,
            certificate=False,
            band=None,
            components=tuple(components),
            explanation=tuple(explanation),
        )

    band = next((band for band in exam.bands if band.low <= overall <= band.high), None)
    if band is None:
        lowest = exam.bands[-1]
        explanation.append(
            f"{overall} is in {exam.reported_min}–{lowest.low - 1}, below the lowest band ({lowest.range_text}): "
            f"{RESULT_FAIL}, no certificate"
        )
        return ScaleResult(
            exam=exam,
            overall=overall,
            overall_display=str(overall),
            result=RESULT_FAIL,
            cefr_level=None,
            certificate=False,
            band=None,
            components=tuple(components),
            explanation=tuple(explanation),
        )

    explanation.append(f"{overall} is in {band.range_text}: {band.result}, CEFR {band.cefr}")
    explanation.append(_certificate_line(exam=exam, band=band))
    return ScaleResult(
        exam=exam,
        overall=overall,
        overall_display=str(overall),
        result=band.result,
        cefr_level=band.cefr,
        certificate=True,
        band=band,
        components=tuple(components),
        explanation=tuple(explanation),
    )
