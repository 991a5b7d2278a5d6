"""Candidates with results for the integration tests: committed rows the worker reads."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from candidates.models import CandidateAccount
from centres.models import Entry
from centres.tests.factories import EntryFactory, ExamSessionFactory
from exams.models import Exam, ExamSession
from results.models import Result
from results.tests.factories import account_for, result_for


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    account: CandidateAccount
    result: Result

    @property
    def address(self) -> str:
        return str(self.account.user.email)


def past_session() -> ExamSession:
    """Return a B2 First session sat two months ago (relative to today, so the suite passes on any day)."""
    return ExamSessionFactory.create(
        exam=Exam.objects.get(code="FCE"), date=timezone.localdate() - dt.timedelta(days=60)
    )


def candidate_with_result(
    *, session: ExamSession, status: str, first_name: str = "Ana", due_in: dt.timedelta = dt.timedelta(minutes=-1)
) -> Candidate:
    """Return a candidate with a confirmed account and a result of ``session`` visible from now + ``due_in``.

    ``status`` READY: the release job has yet to release it (and queue its email); RELEASED: it has.
    """
    entry = EntryFactory.create(session=session, person__first_name=first_name, person__last_name="López García")
    account = account_for(entry)
    result = result_for(entry, released_at=timezone.now() + due_in, status=status)
    return Candidate(entry=entry, account=account, result=result)
