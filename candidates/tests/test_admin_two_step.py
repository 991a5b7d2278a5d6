"""Board staff remove a candidate's second factors (lost phone and recovery codes): with a reason, audited, emailed."""

import pytest
from django.core import mail
from django.test import Client

from accounts.models import AuditEvent, CredentialLock, Passkey, RecoveryCode
from accounts.two_step import identifier_of, recovery_codes_generate
from centres.tests.factories import EntryFactory
from results.tests.factories import account_for

pytestmark = pytest.mark.django_db

URL = "/admin/candidates/candidateaccount/"


def test_removal_asks_for_a_reason_then_removes_every_factor_audits_and_emails_in_the_accounts_language(
    board_client: Client,
) -> None:
    account = account_for(EntryFactory(), language="es")
    user = account.user
    user.totpdevice_set.create(name="authenticator", confirmed=True)
    Passkey.objects.create(user=user, credential_id="abc", public_key=b"k", name="Phone")
    user.two_step_enabled = True
    user.save()
    recovery_codes_generate(user=user, language="es")
    CredentialLock.objects.create(kind="code", identifier=identifier_of(user), failures=3)
    mail.outbox.clear()

    listing = board_client.get(URL).content.decode()
    assert "two-step" in listing
    assert board_client.post(URL, {"action": "remove_two_step", "_selected_action": [account.pk]}).status_code == 200
    assert not AuditEvent.objects.filter(action="two_step.removed_by_board").exists()  # not without a reason
    board_client.post(
        URL,
        {"action": "remove_two_step", "_selected_action": [account.pk], "reason": "ID checked by video call."},
    )

    user.refresh_from_db()
    assert not user.two_step_enabled
    assert not user.totpdevice_set.exists() and not Passkey.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert CredentialLock.objects.get(kind="code").failures == 0
    event = AuditEvent.objects.get(action="two_step.removed_by_board")
    assert event.reason == "ID checked by video call." and event.subject == user.email
    assert [m.to for m in mail.outbox] == [[user.email]]
