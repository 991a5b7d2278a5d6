"""Helpers to make candidates with accounts and results in tests."""

import datetime as dt
from typing import Any

from django.utils import timezone

from accounts.tests.factories import UserFactory
from candidates.models import CandidateAccount, LinkedEntry
from centres.models import Entry
from exams.models import Component, Exam, ExamSession, GradeBoundaryTable
from results.models import ComponentScore, Result

FCE_SCORES = {"reading": 176, "use_of_english": 181, "writing": 169, "listening": 172, "speaking": 180}


def account_for(entry: Entry, *, confirmed: bool = True, language: str = "en") -> CandidateAccount:
    """Return a confirmed Results Online account holding ``entry``."""
    user = UserFactory(
        username=f"candidate-{entry.candidate_id.lower()}", email=f"{entry.candidate_id.lower()}@example.org"
    )
    account = CandidateAccount.objects.create(
        user=user, email_confirmed_at=timezone.now() if confirmed else None, language=language
    )
    LinkedEntry.objects.create(account=account, entry=entry)
    return account


def result_for(
    entry: Entry,
    *,
    released_at: dt.datetime | None,
    status: str = Result.Status.RELEASED,
    scores: dict[str, int] | None = None,
    grade: str = "Grade B",
    overall: int | None = 176,
    cefr: str = "B2",
) -> Result:
    """Return a result for ``entry`` visible from ``released_at`` with its component scores."""
    result = Result.objects.create(
        entry=entry,
        status=status,
        overall_score=overall,
        grade=grade,
        cefr_level=cefr,
        certificate=True,
        ready_at=released_at or timezone.now(),
        released_at=released_at,
        centre_released_at=released_at,
    )
    components = {c.code: c for c in Component.objects.filter(exam=entry.session.exam)}
    ComponentScore.objects.bulk_create(
        ComponentScore(result=result, component=components[code], score=score)
        for code, score in (scores or FCE_SCORES).items()
    )
    return result


UK = timezone.get_default_timezone()


def unitised_qualification(code: str = "ANBUS") -> Any:
    """Return a Certificate-size unitised qualification: two mandatory units and one of two optional units.

    Units are 100 UMS each (pass 40, merit 60, distinction 80); the qualification is 300 UMS with Pass 120,
    Merit 165, Distinction 210, Distinction* 255.
    """
    exam = Exam.objects.create(
        code=code,
        name="Advanced National in Business",
        family=Exam.Family.UNITISED,
        size="Certificate (180 GLH)",
        ums_max_total=300,
        qualification_boundaries=[120, 165, 210, 255],
        optional_units_required=1,
        verifiable_online=False,
    )
    for order, (unit, kind, max_mark, mandatory) in enumerate(
        [
            ("F240", "examined_unit", 60, True),
            ("F241", "nea_unit", 12, True),
            ("F242", "examined_unit", 60, False),
            ("F243", "examined_unit", 60, False),
        ],
        start=1,
    ):
        Component.objects.create(
            exam=exam,
            code=unit,
            name=f"Unit {unit}",
            kind=kind,
            order=order,
            max_mark=max_mark,
            ums_max=100,
            ums_boundaries=[40, 60, 80],
            mandatory=mandatory,
        )
    return exam


def unitised_series(exam: Any, *, year: int = 2026, month: int = 6, boundaries: bool = True) -> ExamSession:
    """Return a series with the summer embargo: centres from 00:01 on 12 August, candidates 08:00 on 13 August."""
    day = dt.date(year, month, 10)
    session = ExamSession.objects.create(
        exam=exam,
        date=day,
        mode=ExamSession.Mode.PAPER,
        window_start=dt.datetime(year, 8, 13, 8, 0, tzinfo=UK)
        if month == 6
        else dt.datetime(year, 3, 5, 8, 0, tzinfo=UK),
        window_end=dt.datetime(year, 9, 30, 23, 59, tzinfo=UK)
        if month == 6
        else dt.datetime(year, 3, 31, 23, 59, tzinfo=UK),
        centre_release_at=dt.datetime(year, 8, 12, 0, 1, tzinfo=UK)
        if month == 6
        else dt.datetime(year, 3, 4, 0, 1, tzinfo=UK),
        certification_closing_date=dt.date(year, 9, 24) if month == 6 else dt.date(year, 3, 25),
    )
    if boundaries:
        for unit in exam.components.all():
            top = int(unit.max_mark)
            GradeBoundaryTable.objects.create(
                session=session,
                component=unit,
                kind=GradeBoundaryTable.Kind.UNIT_RAW,
                version=1,
                boundaries=[["pass", str(top // 3)], ["merit", str(top // 2)], ["distinction", str(top * 2 // 3)]],
            )
    return session
