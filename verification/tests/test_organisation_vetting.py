"""Organisations start unverified: candidates see that beside the name, and the limits are an anonymous verifier's."""

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tests.factories import UserFactory
from centres.tests.factories import DEFAULT_SECRET
from results.tests.factories import account_for
from verification.models import Verification, VerifierOrganisation
from verification.services import verification_lookup

from .conftest import released_entry

pytestmark = pytest.mark.django_db


def _organisation() -> VerifierOrganisation:
    return VerifierOrganisation.objects.create(
        user=UserFactory(),
        name="University of Oxford Admissions",
        country="United Kingdom",
        email="admissions@example.ac.uk",
        email_confirmed_at=timezone.now(),
        allowance=10,
    )


def test_a_new_organisation_is_unverified_with_an_anonymous_allowance() -> None:
    organisation = _organisation()

    assert not organisation.is_verified and organisation.effective_allowance == 1


def test_the_candidate_sees_whether_the_organisation_was_verified(board_client: Client) -> None:
    entry = released_entry()
    organisation = _organisation()
    verification_lookup(
        candidate_id=entry.candidate_id,
        secret_number=DEFAULT_SECRET,
        ip="203.0.113.7",
        channel=Verification.Channel.FORM,
        organisation=organisation,
    )
    candidate = Client()
    candidate.force_login(account_for(entry).user)

    assert "unverified organisation" in candidate.get("/results/").content.decode()

    board_client.post(
        "/admin/verification/verifierorganisation/", {"action": "vet", "_selected_action": [organisation.pk]}
    )

    organisation.refresh_from_db()
    page = candidate.get("/results/").content.decode()
    assert organisation.is_verified and organisation.effective_allowance == 10
    assert "verified organisation" in page and "unverified organisation" not in page
    assert AuditEvent.objects.get(action="organisation.verified").subject == organisation.email
