import datetime as dt

import pytest
from django.utils import timezone

from exams.models import Exam, ExamSession
from exams.services import release_window_default

pytestmark = pytest.mark.django_db

FIVE = ["reading", "use_of_english", "writing", "listening", "speaking"]
FOUR = ["reading", "writing", "listening", "speaking"]
# A2 Key: the Reading and Writing paper of every sitting on the scale, and the Reading and Writing skills that
# results stored before the portal took that format still hold (docs/domain.md §5.9, correction of December 2026).
KEY = ["reading", "reading_and_writing", "writing", "listening", "speaking"]


@pytest.mark.parametrize(
    ("code", "cefr", "skills", "shares"),
    [
        ("KET", "A2", KEY, None),
        ("KETS", "A2", KEY, "KET"),
        ("PET", "B1", FOUR, None),
        ("PETS", "B1", FOUR, "PET"),
        ("FCE", "B2", FIVE, None),
        ("FCES", "B2", FIVE, "FCE"),
        ("CAE", "C1", FIVE, None),
        ("CPE", "C2", FIVE, None),
        ("BECP", "B1", FOUR, None),
        ("BECV", "B2", FOUR, None),
        ("BECH", "C1", FOUR, None),
    ],
)
def test_catalogue_migration_loads_cambridge_english_exams(
    code: str, cefr: str, skills: list[str], shares: str | None
) -> None:
    exam = Exam.objects.get(code=code)

    assert exam.family == Exam.Family.SCALE
    assert exam.cefr_target == cefr
    assert (
        list(exam.components.filter(kind="skill").order_by("order", "code").values_list("code", flat=True)) == skills
    )
    assert (exam.certificate_exam.code if exam.certificate_exam else None) == shares
    assert exam.for_schools is (shares is not None)


def test_for_schools_exam_prints_the_main_exam_on_its_certificate() -> None:
    assert Exam.objects.get(code="FCES").certificate_name == "B2 First"
    assert Exam.objects.get(code="FCE").certificate_name == "B2 First"


def test_catalogue_has_the_eleven_scale_exams_and_the_three_legacy_exams() -> None:
    assert Exam.objects.filter(family=Exam.Family.SCALE).count() == 11
    assert set(Exam.objects.filter(family=Exam.Family.LEGACY).values_list("code", flat=True)) == {
        "ICFE",
        "ILEC",
        "DELTA1",
    }


@pytest.mark.parametrize(
    ("mode", "opens", "closes"),
    [
        ("paper", dt.date(2026, 7, 18), dt.date(2026, 7, 31)),
        ("computer", dt.date(2026, 6, 27), dt.date(2026, 7, 10)),
        # Digital: results 5–10 days after the exam (docs/domain.md §16.3): the 5th to the 10th day.
        ("digital", dt.date(2026, 6, 18), dt.date(2026, 6, 23)),
    ],
)
def test_release_window_default_paper_five_weeks_computer_two_weeks_digital_days_five_to_ten(
    mode: str, opens: dt.date, closes: dt.date
) -> None:
    start, end = release_window_default(exam_date=dt.date(2026, 6, 13), mode=mode)

    assert timezone.localtime(start).date() == opens
    assert timezone.localtime(start).time() == dt.time(0, 0)
    assert timezone.localtime(end).date() == closes
    assert timezone.localtime(end).time() == dt.time(23, 59, 59)
    assert (end - start) < dt.timedelta(days=14)


def test_session_computes_its_window_unless_given_one() -> None:
    exam = Exam.objects.get(code="CAE")
    computed = ExamSession.objects.create(exam=exam, date=dt.date(2026, 6, 13), mode=ExamSession.Mode.PAPER)
    opens = dt.datetime(2026, 7, 1, 9, 0, tzinfo=timezone.get_default_timezone())
    closes = dt.datetime(2026, 7, 20, 17, 0, tzinfo=timezone.get_default_timezone())
    edited = ExamSession.objects.create(
        exam=exam, date=dt.date(2026, 6, 14), mode=ExamSession.Mode.PAPER, window_start=opens, window_end=closes
    )

    assert timezone.localtime(computed.window_start).date() == dt.date(2026, 7, 18)
    assert (edited.window_start, edited.window_end) == (opens, closes)
