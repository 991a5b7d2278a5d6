"""A leaked Candidate ID + secret number never takes someone's entry, and a centre can undo a link that happened.

Person B gave a university their Candidate ID and secret number. Person A, who saw them, tries to add B's entry to
A's account; B's centre reissues B's secret number and detaches the entry from whatever account holds it; B then
registers with the new number. Every step through the pages people use.
"""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import AuditEvent
from candidates.models import CandidateAccount, LinkedEntry
from centres.tests.factories import DEFAULT_SECRET, CentreFactory, EntryFactory, StaffMemberFactory
from conftest import CommittingClient, otp_login

pytestmark = pytest.mark.django_db

PASSWORD = "violet-harbour-1987"
BORN = "17/05/2006"  # the factories' date of birth


def _register(client: Client, candidate_id: str, secret: str, email: str) -> str:
    response = client.post(
        "/results/register/",
        {
            "candidate_id": candidate_id,
            "secret_number": secret,
            "date_of_birth": BORN,
            "email": email,
            "password": PASSWORD,
            "confirm_password": PASSWORD,
        },
    )
    return response.content.decode()


def _confirm_and_log_in(client: Client, candidate_id: str) -> None:
    link = re.search(r"http://127\.0\.0\.1:8000(/\S+)", mail.outbox[-1].body)
    assert link is not None
    client.get(link.group(1))
    assert client.post("/results/login/", {"candidate_id": candidate_id, "password": PASSWORD}).status_code == 302


def test_a_leaked_entry_cannot_be_taken_and_a_reissue_with_detach_gives_it_back() -> None:
    centre = CentreFactory()
    a_entry = EntryFactory(person__centre=centre, person__first_name="Ana", person__last_name="Adams")
    b_entry = EntryFactory(person__centre=centre, person__first_name="Bea", person__last_name="Brown")
    a = CommittingClient()
    assert "Check your email" in _register(a, a_entry.candidate_id, DEFAULT_SECRET, "a@example.org")
    _confirm_and_log_in(a, a_entry.candidate_id)

    # A holds B's ID, secret number and date of birth: still not A's entry.
    refused = a.post(
        "/results/link/",
        {"candidate_id": b_entry.candidate_id, "secret_number": DEFAULT_SECRET, "date_of_birth": BORN},
    )
    assert "This entry is for someone else" in refused.content.decode()
    assert not LinkedEntry.objects.filter(entry=b_entry).exists()

    # Suppose it had happened (a link made before this rule existed): B's centre undoes it with the reissue.
    a_account = CandidateAccount.objects.get()
    LinkedEntry.objects.create(account=a_account, entry=b_entry)
    assert "already registered" in _register(CommittingClient(), b_entry.candidate_id, DEFAULT_SECRET, "b@example.org")
    mail.outbox.clear()
    staff = otp_login(CommittingClient(), StaffMemberFactory(centre=centre).user)
    page = staff.post(
        f"/centre/entries/{b_entry.public_id}/reissue/",
        {"reason": "candidate reports someone else registered the entry", "detach": "on"},
        follow=True,
    ).content.decode()
    new_secret = re.search(r'class="credential">(\d{4})<', page)
    assert new_secret is not None

    assert not LinkedEntry.objects.filter(entry=b_entry).exists()
    assert LinkedEntry.objects.filter(entry=a_entry, account=a_account).exists()  # A keeps A's own entry
    detached = AuditEvent.objects.get(action="entry.detached")
    assert detached.subject == b_entry.candidate_id and detached.detail == {"account": a_account.pk}
    assert [m.to for m in mail.outbox] == [["a@example.org"]] and b_entry.candidate_id in mail.outbox[0].body

    b = CommittingClient()
    assert "Check your email" in _register(b, b_entry.candidate_id, new_secret.group(1), "b@example.org")
    _confirm_and_log_in(b, b_entry.candidate_id)
    assert LinkedEntry.objects.get(entry=b_entry).account.user.email == "b@example.org"


def test_a_reissue_without_detach_leaves_the_account_alone() -> None:
    centre = CentreFactory()
    entry = EntryFactory(person__centre=centre)
    account = CandidateAccount.objects.create(user=_user())
    LinkedEntry.objects.create(account=account, entry=entry)
    staff = otp_login(CommittingClient(), StaffMemberFactory(centre=centre).user)

    staff.post(f"/centre/entries/{entry.public_id}/reissue/", {"reason": "lost the letter"})

    assert LinkedEntry.objects.filter(entry=entry, account=account).exists()
    assert not AuditEvent.objects.filter(action="entry.detached").exists()


def _user() -> object:
    from accounts.tests.factories import UserFactory

    return UserFactory()
