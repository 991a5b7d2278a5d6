"""/admin/login/: username, password and TOTP code in one guarded try; the same answer whichever part is wrong."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.admin_login import WRONG_BOARD_LOGIN
from accounts.models import AuthFailure
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def _board_user() -> tuple[object, TOTPDevice]:
    user = UserFactory(username="board@example.org", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return user, TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _login(client: Client, password: str, token: str) -> object:
    return client.post(
        "/admin/login/?next=/admin/", {"username": "board@example.org", "password": password, "otp_token": token}
    )


def _errors(response: object) -> str:
    html = response.content.decode()  # type: ignore[attr-defined]
    start = html.index('class="errornote"')
    return html[start : html.index("</p>", start)]


def test_the_right_password_code_and_user_log_in_with_the_device_chosen_automatically(client: Client) -> None:
    _user, device = _board_user()

    response = _login(client, PASSWORD, _code(device))

    assert response.status_code == 302 and response["Location"] == "/admin/"  # type: ignore[index]
    assert client.get("/admin/").status_code == 200  # verified with the device: no second step


def test_a_right_password_with_a_wrong_code_answers_as_a_wrong_password(client: Client) -> None:
    _user, device = _board_user()

    right_password = _login(client, PASSWORD, _wrong(_code(device)))
    wrong_password = _login(Client(), "not the password", _code(device))

    assert WRONG_BOARD_LOGIN in _errors(right_password) and _errors(right_password) == _errors(wrong_password)
    assert "phone" not in right_password.content.decode()  # type: ignore[attr-defined]  # no device is listed
    assert AuthFailure.objects.filter(purpose="board_login").count() == 2


def test_password_guessing_is_stopped_after_five_tries(client: Client) -> None:
    _user, device = _board_user()

    answers = [_login(client, f"guess-{n}", _code(device)) for n in range(8)]
    right = _login(client, PASSWORD, _code(device))

    assert AuthFailure.objects.filter(purpose="board_login").count() == 5  # then locked: not even tried
    assert all("Too many unsuccessful attempts to log in to this account" in _errors(a) for a in answers[5:])
    assert _errors(right) == _errors(answers[-1])  # locked even for the right password and code
    assert client.get("/admin/").status_code == 302
