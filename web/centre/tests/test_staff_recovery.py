"""Centre staff recover without a database shell: a forgotten password by email, a lost phone by a new set-up link."""

import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent
from centres.models import StaffMember
from centres.services import staff_invite, staff_setup_complete
from centres.tests.factories import CentreFactory
from conftest import CommittingClient

pytestmark = pytest.mark.django_db

EMAIL = "officer@school.example"
OLD, NEW = "harbour-lights-42", "quiet-meadow-77"


def _set_up(centre: object) -> TOTPDevice:
    member, _path = staff_invite(centre=centre, role=StaffMember.Role.EXAMS_OFFICER, email=EMAIL, actor=None)
    device = TOTPDevice.objects.create(user=member.user, name="phone", confirmed=False)
    staff_setup_complete(user=member.user, device=device, password=OLD)
    mail.outbox.clear()  # the centre's address was told of its new exams officer
    return device


def _login(client: Client, password: str, device: TOTPDevice) -> int:
    device.refresh_from_db()
    response = client.post(
        "/centre/login/", {"email": EMAIL, "password": password, "otp_token": f"{totp(device.bin_key):06d}"}
    )
    return response.status_code


def _main(response: object) -> str:
    html = response.content.decode()  # type: ignore[attr-defined]
    return html[html.index("<main") : html.index("</main>")]


def _link(message: mail.EmailMessage) -> str:
    found = re.search(r"https?://[^/\s]+(/\S+)", message.body)
    assert found is not None, message.body
    return found.group(1)


def test_a_forgotten_password_is_reset_from_an_emailed_link_and_the_authenticator_still_counts() -> None:
    device = _set_up(CentreFactory())
    client = CommittingClient()

    unknown = client.post("/centre/password-reset/", {"email": "nobody@school.example"})
    known = CommittingClient().post("/centre/password-reset/", {"email": EMAIL.upper()})
    assert unknown.status_code == known.status_code == 200 and _main(unknown) == _main(known)
    assert [m.to for m in mail.outbox] == [[EMAIL]]

    page = client.get(_link(mail.outbox[0]), follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else _link(mail.outbox[0])
    client.post(form_url, {"new_password1": NEW, "new_password2": NEW})

    assert _login(CommittingClient(), OLD, device) == 200  # refused: the old password no longer works
    assert _login(CommittingClient(), NEW, device) == 302


def test_a_lost_phone_gets_a_new_set_up_link_from_the_board(board_client: Client) -> None:
    centre = CentreFactory()
    old_device = _set_up(centre)
    member = old_device.user.centre_staff  # type: ignore[attr-defined]

    board_client.post("/admin/centres/staffmember/", {"action": "send_setup_link", "_selected_action": [member.pk]})

    (message,) = mail.outbox
    assert message.to == [EMAIL]
    event = AuditEvent.objects.get(action="staff.setup_link")
    assert event.subject == EMAIL and "Lost authenticator" in event.reason
    client = CommittingClient()
    path = _link(message)
    client.get(path)
    new_device = TOTPDevice.objects.get(user=member.user, confirmed=False)
    done = client.post(
        path, {"password": NEW, "confirm_password": NEW, "otp_token": f"{totp(new_device.bin_key):06d}"}
    )
    assert done.status_code == 302 and done["Location"] == reverse("centres:home")
    assert list(TOTPDevice.objects.filter(user=member.user).values_list("pk", flat=True)) == [new_device.pk]


def test_create_centre_staff_on_an_existing_member_prints_a_new_set_up_link() -> None:
    centre = CentreFactory()
    _set_up(centre)
    out = StringIO()

    call_command("create_centre_staff", "--centre", centre.number, "--email", EMAIL, stdout=out)

    assert "/centre/setup/" in out.getvalue()
    assert AuditEvent.objects.filter(action="staff.setup_link", subject=EMAIL).exists()
