"""Board staff invited from the admin with a one-time set-up link (password and authenticator), and a new link."""

import re
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "quiet-harbour-9172"


def _link() -> str:
    match = re.search(r"http://127\.0\.0\.1:8000(/admin/accounts/user/setup/\S+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def _set_up(link: str) -> Any:
    client = Client()
    page = client.get(link)
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user__email="checker@board.example", confirmed=False)
    response = client.post(link, {"password": NEW_PASSWORD, "otp_token": f"{totp(device.bin_key):06d}"})
    return client, response


def test_an_invited_board_member_sets_up_password_and_authenticator(
    board_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    team = Group.objects.create(name="Results team")
    with django_capture_on_commit_callbacks(execute=True):
        sent = board_client.post(
            "/admin/accounts/user/invite/", {"email": "Checker@Board.example", "groups": [team.pk]}, follow=True
        )
    assert "A set-up link was sent to checker@board.example." in sent.content.decode()
    user = User.objects.get(email="checker@board.example")
    assert (user.is_staff, user.is_superuser, user.has_usable_password()) == (True, False, False)
    assert list(user.groups.all()) == [team]

    client, done = _set_up(_link())

    assert done.status_code == 302 and done["Location"] == "/admin/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert Client().get(_link()).status_code == 400  # single use: the password is set
    assert {"board_staff.invite", "board_staff.setup"} <= set(AuditEvent.objects.values_list("action", flat=True))


def test_a_wrong_code_or_a_weak_password_sets_nothing_up(
    board_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        board_client.post("/admin/accounts/user/invite/", {"email": "checker@board.example"})
    client = Client()

    wrong = client.post(_link(), {"password": NEW_PASSWORD, "otp_token": "000000"})

    assert "That code is not right" in wrong.content.decode()
    assert not User.objects.get(email="checker@board.example").has_usable_password()


def test_only_a_superuser_makes_a_superuser_and_an_address_is_invited_once(
    board_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        board_client.post("/admin/accounts/user/invite/", {"email": "lead@board.example", "superuser": "on"})
    again = board_client.post("/admin/accounts/user/invite/", {"email": "LEAD@board.example"})

    assert User.objects.get(email="lead@board.example").is_superuser
    assert "An account with this email address exists already" in again.content.decode()


def test_a_lost_phone_gets_a_new_set_up_link_from_another_board_member(
    board_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    lost = UserFactory(username="checker@board.example", email="checker@board.example", is_staff=True)
    TOTPDevice.objects.create(user=lost, name="old phone", confirmed=True)

    with django_capture_on_commit_callbacks(execute=True):
        board_client.post(
            "/admin/accounts/user/",
            {"action": "send_setup_link", "_selected_action": [lost.pk], "reason": "phone stolen, called back"},
        )

    lost.refresh_from_db()
    assert not lost.has_usable_password() and not TOTPDevice.objects.filter(user=lost, confirmed=True).exists()
    _client, done = _set_up(_link())
    assert done.status_code == 302
    assert AuditEvent.objects.filter(action="board_staff.setup_link", reason="phone stolen, called back").exists()


def test_the_invitation_needs_the_right_to_add_users(client: Client) -> None:
    from conftest import otp_login

    otp_login(client, UserFactory(username="viewer@board.example", is_staff=True))

    assert client.get("/admin/accounts/user/invite/").status_code == 403
