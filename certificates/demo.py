"""The post-results demo data of certificates, added to ``results.demo`` so that ``make run`` shows them.

On the released First session (``results.demo``): Rahul Patel has a Results Online account and has ordered a
certifying statement for the certificate he lost, waiting for the board to record his payment; the Riverside
centre (GB901, the demo exams officer's) has asked for a duplicate of Amelia Hughes's certificate, which was
damaged and returned, waiting for the board's decision. Both are made through the services, as a candidate and
a centre make them.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from candidates.models import CandidateAccount, LinkedEntry
from results.demo import DEMO_OFFICER_USERNAME
from results.models import Result

from .duplicates import duplicate_certificate_request
from .models import CertifyingStatementOrder, Document, DuplicateCertificateRequest
from .services import certifying_statement_order, document_current

DEMO_CANDIDATE_PASSWORD = "demo-candidate-password"  # noqa: S105 - printed by load_demo, demo only
DEMO_STATEMENT_LAST_NAME = "Patel"  # orders a certifying statement from his account
DEMO_DUPLICATE_LAST_NAME = "Hughes"  # her centre asks for a duplicate of her damaged certificate


@dataclass(frozen=True)
class DemoCandidateLogin:
    """The demo candidate account's login, as printed by ``load_demo``."""

    candidate_id: str
    password: str
    name: str


def _released_first_result(last_name: str) -> Result:
    return Result.objects.select_related("entry__person", "entry__session").get(
        entry__centre__number="GB901", entry__session__exam__code="FCE", entry__person__last_name=last_name
    )


@transaction.atomic
def demo_post_results_load(*, today: dt.date | None = None) -> tuple[bool, DemoCandidateLogin]:
    """Add the demo certifying-statement order and duplicate request once; return (whether anything was created,
    the demo candidate's login).

    Needs ``results.demo.demo_load`` first. Running it again changes nothing: the order marks the data as loaded.
    """
    day = today or timezone.localdate()
    statement_result = _released_first_result(DEMO_STATEMENT_LAST_NAME)
    entry = statement_result.entry
    login = DemoCandidateLogin(
        candidate_id=entry.candidate_id, password=DEMO_CANDIDATE_PASSWORD, name=entry.person.full_name
    )
    if CertifyingStatementOrder.objects.filter(result=statement_result).exists():
        return False, login
    account = _account(statement_result)
    document_current(result=statement_result, kind=Document.Kind.CERTIFICATE)  # the certificate he had
    certifying_statement_order(result=statement_result, account=account, today=day)

    damaged = _released_first_result(DEMO_DUPLICATE_LAST_NAME)
    certificate = document_current(result=damaged, kind=Document.Kind.CERTIFICATE)
    duplicate = duplicate_certificate_request(
        certificate=certificate,
        actor=User.objects.get(username=DEMO_OFFICER_USERNAME),
        reason=DuplicateCertificateRequest.Reason.DAMAGED,
        original_returned=True,
        today=day,
    )
    if duplicate.status != DuplicateCertificateRequest.Status.REQUESTED:
        raise RuntimeError(f"the demo duplicate request was refused: {duplicate.refusal}")
    return True, login


def _account(result: Result) -> CandidateAccount:
    """Return the confirmed Results Online account that holds ``result``'s entry, with the demo password."""
    entry = result.entry
    user = User.objects.create_user(
        username=f"candidate-demo-{entry.candidate_id.lower()}",
        email=f"{entry.person.first_name.lower()}.{entry.person.last_name.lower()}@example.org",
        password=DEMO_CANDIDATE_PASSWORD,
        first_name=entry.person.first_name,
    )
    account = CandidateAccount.objects.create(user=user, email_confirmed_at=timezone.now(), language="en")
    LinkedEntry.objects.create(account=account, entry=entry)
    return account
