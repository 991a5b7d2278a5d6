"""Legacy sittings for tests: a First session of June 2013 and a Delta Module One session of June 2016.

The paper maxima of First and every threshold here are entered as the board would enter them (they are not
public: docs/domain.md §6.4); the figures are the test's own, not Cambridge's.
"""

import datetime as dt
from typing import Any

from centres.tests.factories import EntryFactory, ExamSessionFactory
from exams.models import Component, Exam, GradeBoundaryTable
from exams.services import boundary_table_set

FIRST_2013 = dt.date(2013, 6, 12)
DELTA_2016 = dt.date(2016, 6, 1)
# The board's entries for the test: First's paper maxima, the session's aggregate thresholds (out of 200) and
# profile cut-offs (a paper's percentage).
FIRST_MAXIMA = {"paper1": 40, "paper2": 40, "paper3": 42, "paper4": 30, "paper5": 20}
FIRST_THRESHOLDS = [("Grade A", 160), ("Grade B", 150), ("Grade C", 120), ("Level B1", 90)]
PROFILE = [("Exceptional", 80), ("Good", 60), ("Borderline", 45)]
DELTA_THRESHOLDS = [("Pass with Distinction", 150), ("Pass with Merit", 130), ("Pass", 100)]
# A candidate of June 2013: 19/40, 31/40, 35/42, 24/30, 8/20.
FIRST_MARKS = {"paper1": 19, "paper2": 31, "paper3": 35, "paper4": 24, "paper5": 8}
DELTA_MARKS = {"paper1": 72, "paper2": 61}


def first_2013_session() -> Any:
    """Return the First session of 12 June 2013 with the board's maxima, thresholds and profile entered."""
    exam = Exam.objects.get(code="FCE")
    for code, maximum in FIRST_MAXIMA.items():
        Component.objects.filter(exam=exam, code=code).update(max_mark=maximum)
    session = ExamSessionFactory(exam=exam, date=FIRST_2013, mode="paper")
    boundary_table_set(
        session=session, kind=GradeBoundaryTable.Kind.AGGREGATE, boundaries=FIRST_THRESHOLDS, actor=None, reason="test"
    )
    boundary_table_set(
        session=session, kind=GradeBoundaryTable.Kind.PROFILE, boundaries=PROFILE, actor=None, reason="test"
    )
    return session


def delta_2016_session() -> Any:
    """Return the Delta Module One session of 1 June 2016 with the board's aggregate thresholds."""
    session = ExamSessionFactory(exam=Exam.objects.get(code="DELTA1"), date=DELTA_2016, mode="paper")
    boundary_table_set(
        session=session, kind=GradeBoundaryTable.Kind.AGGREGATE, boundaries=DELTA_THRESHOLDS, actor=None, reason="test"
    )
    return session


def legacy_csv(entry: Any, marks: dict[str, int]) -> str:
    """Return a legacy results file with one line per paper of ``entry``."""
    lines = ["candidate_id,exam_code,session_date,component,score"]
    for code, mark in marks.items():
        lines.append(f"{entry.candidate_id},{entry.session.exam.code},{entry.session.date},{code},{mark}")
    return "\n".join(lines) + "\n"


def legacy_entry(session: Any, **kwargs: Any) -> Any:
    """Return an entry for ``session``."""
    return EntryFactory(session=session, **kwargs)
