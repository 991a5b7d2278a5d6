"""The results import reads the exam's format in force on the session date, a per-line status, and refuses what
no format allows (docs/domain.md §4.2, §5.7, §5.9, §14.3)."""

import datetime as dt

import pytest
from django.utils import timezone

from centres.tests.factories import EntryFactory, ExamSessionFactory
from exams.models import Exam
from results.imports import RESULT_COLUMNS, ImportRejected, results_import
from results.models import ComponentScore, Result
from results.uploads import results_dry_run

pytestmark = pytest.mark.django_db

HEADER = ",".join(RESULT_COLUMNS)


def _entry(code: str, date: dt.date | None = None) -> object:
    session = ExamSessionFactory(
        exam=Exam.objects.get(code=code),
        date=date or timezone.localdate() - dt.timedelta(days=36),
        mode="paper",
    )
    return EntryFactory(session=session)


def _file(entry: object, scores: dict[str, object], *, header: str = HEADER) -> str:
    session = entry.session  # type: ignore[attr-defined]
    lines = [
        f"{entry.candidate_id},{session.exam.code},{session.date},{code},{value}" for code, value in scores.items()
    ]  # type: ignore[attr-defined]
    return "\n".join([header, *lines]) + "\n"


def _problems(text: str) -> list[str]:
    with pytest.raises(ImportRejected) as rejected:
        results_import(text=text)
    assert not Result.objects.exists()
    return [str(error) for error in rejected.value.errors]


@pytest.mark.parametrize(
    ("papers", "overall", "grade"),
    [
        # (2 × 140 + 141 + 141) / 4 = 140.5 → 141 (halves up), Grade A.
        ((140, 141, 141), 141, "Grade A"),
        # (2 × 119 + 120 + 120) / 4 = 119.5 → 120, Grade C (not Level A1).
        ((119, 120, 120), 120, "Grade C"),
        # (2 × 132 + 134 + 135) / 4 = 133.25 → 133, Grade B; an unweighted mean would give 134.
        ((132, 134, 135), 133, "Grade B"),
    ],
)
@pytest.mark.parametrize("code", ["KET", "KETS"])
def test_key_from_2020_takes_three_papers_with_reading_and_writing_counting_twice(
    code: str, papers: tuple[int, int, int], overall: int, grade: str
) -> None:
    entry = _entry(code)

    results_import(text=_file(entry, dict(zip(("reading_and_writing", "listening", "speaking"), papers, strict=True))))

    result = Result.objects.get(entry=entry)
    assert (result.overall_score, result.grade, result.certificate) == (overall, grade, True)
    stored = set(ComponentScore.objects.filter(result=result).values_list("component__code", flat=True))
    assert stored == {"reading_and_writing", "listening", "speaking"}


@pytest.mark.parametrize("date", [dt.date(2016, 3, 12), dt.date(2019, 6, 15), None])
def test_a_key_file_with_four_skills_is_refused_naming_line_and_column(date: dt.date | None) -> None:
    # Key has reported three papers since its first sitting on the scale (docs/domain.md §5.9), not only from 2020.
    entry = _entry("KET", date)

    problems = _problems(_file(entry, {"reading": 140, "writing": 140, "listening": 140, "speaking": 140}))

    assert problems[0].startswith(
        "line 2, column component: 'reading' is not a component of A2 Key "
        "(its components are reading_and_writing, listening, speaking)"
    )


@pytest.mark.parametrize("code", ["KET", "KETS"])
def test_a_2017_key_sitting_takes_three_papers_and_is_named_pass_with_merit(code: str) -> None:
    # The specimen of the Key statement guide 2015: Reading and Writing 140, Listening 135, Speaking 138 give 138,
    # Pass with Merit, A2 ((2 × 140 + 135 + 138) / 4 = 138.25, to the nearest whole number).
    entry = _entry(code, dt.date(2017, 6, 10))

    results_import(text=_file(entry, {"reading_and_writing": 140, "listening": 135, "speaking": 138}))

    result = Result.objects.get(entry=entry)
    assert (result.overall_score, result.grade, result.cefr_level, result.certificate) == (
        138,
        "Pass with Merit",
        "A2",
        True,
    )
    stored = dict(ComponentScore.objects.filter(result=result).values_list("component__code", "score"))
    assert stored == {"reading_and_writing": 140, "listening": 135, "speaking": 138}


@pytest.mark.parametrize("code", ["PET", "PETS"])
def test_a_2018_preliminary_sitting_takes_four_skills_counted_once_each(code: str) -> None:
    # One Reading and Writing paper until 2020, but a score per skill: (152 + 153 + 153 + 153) / 4 = 152.75 → 153.
    entry = _entry(code, dt.date(2018, 5, 19))

    results_import(text=_file(entry, {"reading": 152, "writing": 153, "listening": 153, "speaking": 153}))

    result = Result.objects.get(entry=entry)
    assert (result.overall_score, result.grade, result.cefr_level) == (153, "Pass with Merit", "B1")


def test_a_2018_preliminary_file_with_a_reading_and_writing_score_is_refused() -> None:
    entry = _entry("PET", dt.date(2018, 5, 19))

    problems = _problems(_file(entry, {"reading_and_writing": 152, "listening": 153, "speaking": 153}))

    assert problems[0].startswith(
        "line 2, column component: 'reading_and_writing' is not a component of B1 Preliminary "
        "(its components are reading, writing, listening, speaking)"
    )


@pytest.mark.parametrize(("date", "grade"), [(dt.date(2019, 3, 16), "Pass with Merit"), (None, "Grade B")])
def test_preliminary_band_names_follow_the_session_date(date: dt.date | None, grade: str) -> None:
    entry = _entry("PET", date)

    results_import(text=_file(entry, {"reading": 155, "writing": 155, "listening": 155, "speaking": 155}))

    assert Result.objects.get(entry=entry).grade == grade


def test_business_preliminary_keeps_pass_with_distinction() -> None:
    entry = _entry("BECP")

    results_import(text=_file(entry, {"reading": 165, "writing": 165, "listening": 165, "speaking": 165}))

    assert Result.objects.get(entry=entry).grade == "Pass with Distinction"


FCE = {"reading": 176, "use_of_english": 181, "writing": 169, "listening": 172, "speaking": 180}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "{cid},FCE,{date},speaking,191,",
            "line 6, column score: score 191 is out of range for B2 First (0–190)",
        ),
        ("{cid},FCE,{date},speaking,,late", "line 6, column status: 'late' is not a status"),
        ("{cid},FCE,{date},speaking,180,absent", "line 6, column score: a line with status absent has no score"),
        ("{cid},FCE,{date},speaking,,", "line 6, column score: a score is needed, or a status"),
    ],
)
def test_bad_scores_and_statuses_are_named_by_line_and_column(line: str, expected: str) -> None:
    entry = _entry("FCE")
    good = _file(entry, {k: f"{v}," for k, v in FCE.items() if k != "speaking"}, header=f"{HEADER},status")
    text = good + line.format(cid=entry.candidate_id, date=entry.session.date) + "\n"

    assert any(problem.startswith(expected) for problem in _problems(text))


@pytest.mark.parametrize("candidate_id", ["AB12", "SIR0947011", "123456789", "SIR-94701"])
def test_a_candidate_id_not_of_nine_letters_and_digits_is_refused(candidate_id: str) -> None:
    text = f"{HEADER}\n{candidate_id},FCE,2026-06-13,reading,170\n"

    assert _problems(text) == [
        f"line 2, column candidate_id: '{candidate_id}' is not a Candidate ID: nine letters and digits, letters first "
        "(e.g. SIR094701)"
    ]


def test_the_dry_run_refuses_a_score_above_the_range_as_the_import_does() -> None:
    entry = _entry("FCE")

    with pytest.raises(ImportRejected) as rejected:
        results_dry_run(text=_file(entry, {**FCE, "speaking": 230}))

    assert [str(e) for e in rejected.value.errors] == [
        "line 6, column score: score 230 is out of range for B2 First (0–190)"
    ]
    assert not Result.objects.exists()


def test_the_file_without_a_status_column_still_imports() -> None:
    entry = _entry("FCE")

    results_import(text=_file(entry, FCE))

    assert Result.objects.get(entry=entry).grade == "Grade B"
