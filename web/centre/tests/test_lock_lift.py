"""A centre lifts the lock on its own candidate's Candidate ID, the board on any; audited, never for another centre."""

import pytest
from django.test import Client

from accounts.guard import GuardRefusal, guard_check, guard_locked_until
from accounts.models import AuditEvent, CredentialLock
from centres.tests.factories import CentreFactory, EntryFactory, StaffMemberFactory
from conftest import otp_login

pytestmark = pytest.mark.django_db


def _lock(candidate_id: str) -> None:
    for _ in range(5):
        with pytest.raises(GuardRefusal):
            guard_check(
                kind="secret", identifier=candidate_id, ip="203.0.113.9", purpose="verify", verify=lambda _: None
            )
    assert guard_locked_until(kind="secret", identifier=candidate_id) is not None


def test_the_centre_sees_the_lock_and_lifts_it_with_a_reason() -> None:
    member = StaffMemberFactory()
    staff = otp_login(Client(), member.user)
    entry = EntryFactory(person__centre=member.centre)
    _lock(entry.candidate_id)

    page = staff.get(f"/centre/entries/{entry.public_id}/").content.decode()
    assert "Locked after wrong secret numbers" in page
    without_reason = staff.post(f"/centre/entries/{entry.public_id}/lock/", {"lock-reason": ""})
    assert without_reason.status_code == 302 and guard_locked_until(kind="secret", identifier=entry.candidate_id)
    staff.post(f"/centre/entries/{entry.public_id}/lock/", {"lock-reason": "candidate phoned, locked out"})

    assert guard_locked_until(kind="secret", identifier=entry.candidate_id) is None
    event = AuditEvent.objects.get(action="lock.lift")
    assert (event.subject, event.actor, event.reason) == (
        entry.candidate_id,
        member.user,
        "candidate phoned, locked out",
    )
    assert "Locked after wrong secret numbers" not in staff.get(f"/centre/entries/{entry.public_id}/").content.decode()


def test_another_centre_cannot_lift_it() -> None:
    entry = EntryFactory(person__centre=CentreFactory())
    _lock(entry.candidate_id)
    other = otp_login(Client(), StaffMemberFactory().user)

    assert other.post(f"/centre/entries/{entry.public_id}/lock/", {"lock-reason": "please"}).status_code == 404
    assert guard_locked_until(kind="secret", identifier=entry.candidate_id) is not None


def test_the_board_lifts_any_lock_from_the_admin(board_client: Client) -> None:
    entry = EntryFactory()
    _lock(entry.candidate_id)
    lock = CredentialLock.objects.get(identifier=entry.candidate_id)

    board_client.post(
        "/admin/accounts/credentiallock/", {"action": "lift", "_selected_action": [lock.pk]}, follow=True
    )

    assert guard_locked_until(kind="secret", identifier=entry.candidate_id) is None
    assert AuditEvent.objects.get(action="lock.lift").subject == entry.candidate_id
