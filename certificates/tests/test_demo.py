"""The demo data of post-results certificates: an order waiting for payment, a duplicate waiting for the board."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_the_demo_has_a_certifying_statement_order_and_a_duplicate_request_waiting_for_the_board(
    fake_pdf: list,
) -> None:
    from candidates.models import CandidateAccount
    from certificates.models import CertifyingStatementOrder, DuplicateCertificateRequest

    out = StringIO()
    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=StringIO())  # a second run adds nothing

    order = CertifyingStatementOrder.objects.get()
    assert (order.status, order.result.entry.person.last_name, str(order.amount)) == ("ordered", "Patel", "52.00")
    assert order.document is None and order.account.is_confirmed
    duplicate = DuplicateCertificateRequest.objects.get()
    assert (duplicate.status, duplicate.reason, duplicate.original_returned, str(duplicate.fee)) == (
        "requested",
        "damaged",
        True,
        "40.00",
    )
    assert (duplicate.certificate.result.entry.centre.number, duplicate.requested_by.email) == (
        "GB901",
        "officer@riverside.example",
    )
    # The printed login of the demo candidate works.
    line = next(line for line in out.getvalue().splitlines() if "Results Online account" in line)
    candidate_id, password = line.split(": ", 1)[1].split(" (")[0].split(" / ")
    account = CandidateAccount.objects.get(links__entry__candidate_id=candidate_id)
    assert account == order.account and account.user.check_password(password)
