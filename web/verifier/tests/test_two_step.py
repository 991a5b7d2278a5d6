"""An organisation turns on two-step verification; its login then needs the second step, and keeps ``next``."""

import base64
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from accounts.models import AuditEvent
from accounts.tests.factories import totp_code
from verification.tests.conftest import PASSWORD, organisation

pytestmark = pytest.mark.django_db

LOGIN = "/verify/organisations/login/"


def _log_in(client: Client, org: Any, query: str = "") -> Any:
    return client.post(LOGIN + query, {"email": org.email, "password": PASSWORD})


def test_an_organisation_turns_on_an_authenticator_and_logs_in_with_it(client: Client) -> None:
    org = organisation()
    _log_in(client, org)
    page = client.get("/verify/organisations/").content.decode()
    assert 'href="/verify/organisations/security/"' in page
    page = client.get("/verify/organisations/security/authenticator/").content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    response = client.post("/verify/organisations/security/authenticator/", {"code": totp_code(key)})
    assert response["Location"] == "/verify/organisations/security/recovery-codes/"
    codes = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", client.get(response["Location"]).content.decode())
    assert len(codes) == 10
    assert mail.outbox[-2].to == [org.email]
    client.post("/verify/organisations/logout/")

    response = _log_in(client, org, "?next=/verify/organisations/history/")

    assert response["Location"] == "/verify/organisations/login/second-step/"
    assert client.get("/verify/organisations/")["Location"].startswith(LOGIN)
    response = client.post("/verify/organisations/login/second-step/", {"code-code": totp_code(key, steps_ahead=1)})
    assert response["Location"] == "/verify/organisations/history/"
    assert client.get("/verify/organisations/history/").status_code == 200


def test_a_pending_candidate_login_does_not_open_the_organisations_second_step(client: Client) -> None:
    session = client.session
    session["two_step_pending"] = {"area": "candidate", "user": 1, "hash": "", "until": 9e12, "next": ""}
    session.save()

    assert client.get("/verify/organisations/login/second-step/")["Location"] == LOGIN


def test_the_security_pages_need_an_organisation_login(client: Client, db: None) -> None:
    response = client.get("/verify/organisations/security/")

    assert response["Location"].startswith(LOGIN)


def test_the_board_removes_an_organisations_second_factor_with_a_reason(board_client: Client) -> None:
    org = organisation()
    client = Client()  # the organisation's browser; board_client is the board's
    _log_in(client, org)
    page = client.get("/verify/organisations/security/authenticator/").content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    client.post(
        "/verify/organisations/security/authenticator/",
        {"code": totp_code(base64.b32decode(secret + "=" * (-len(secret) % 8)))},
    )
    mail.outbox.clear()
    url = "/admin/verification/verifierorganisation/"

    asked = board_client.post(url, {"action": "remove_two_step", "_selected_action": [org.pk]})
    assert asked.status_code == 200 and "Recorded in the audit trail" in asked.content.decode()
    board_client.post(
        url, {"action": "remove_two_step", "_selected_action": [org.pk], "reason": "Called from the registered phone."}
    )

    org.user.refresh_from_db()
    assert not org.user.two_step_enabled
    event = AuditEvent.objects.get(action="two_step.removed_by_board")
    assert event.reason == "Called from the registered phone." and event.actor.is_superuser
    assert [m.subject for m in mail.outbox] == ["Two-step verification was removed from your account"]
    assert client.get("/verify/organisations/").status_code == 302  # its sessions ended
    assert _log_in(client, org)["Location"] == "/verify/organisations/"
