"""Centre roles: who sees results when (restricted release), and the exams officer's staff page.

On a restricted-release day only the exams officers and the head of centre see results; other staff see them from
the candidates' instant, on every centre output (pages, slip, reports, results files, CSV, certificate desk).
Exams officers invite colleagues, change roles, send new set-up links and deactivate leavers at their own centre;
the centre always keeps an active exams officer; a new exams officer is announced to the head of centre.
"""

import datetime as dt
import re
from collections.abc import Callable
from io import StringIO
from typing import Any, cast

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent, User
from centres.models import StaffMember
from centres.services import STAFF_LAST_OFFICER, staff_role_change
from centres.tests.factories import CentreFactory, StaffMemberFactory
from centres.tests.test_unitised_pages import (
    CENTRE_RELEASE,
    UK,
    build_world,
    results_in,
    text_of,
    url,
)
from conftest import CommittingClient, otp_login
from results.centre_files import results_files_regenerate_all

pytestmark = pytest.mark.django_db

# The unitised series' embargo (docs/domain.md §3.4): centres from 00:01 on the 12th, candidates from 08:00 on the
# 13th. The dates are the series' own, fixed, so the test means the same on any day.
DAY_ONE_EVENING = dt.datetime(2026, 8, 12, 20, 0, tzinfo=UK)
DAY_TWO_0759 = dt.datetime(2026, 8, 13, 7, 59, tzinfo=UK)
DAY_TWO_0800 = dt.datetime(2026, 8, 13, 8, 0, tzinfo=UK)
ROLES = StaffMember.Role


def _member_client(centre: Any, role: str) -> Client:
    member = StaffMemberFactory(centre=centre, role=role)
    return otp_login(CommittingClient(), member.user)


def _sees_results(client: Client, world: Any) -> dict[str, bool]:
    """Return, for each centre output, whether it shows the student's June results."""
    entry = world.second
    results_page = text_of(client.get(url("results", world)))
    boundaries = text_of(client.get(url("boundaries", world)))
    results_csv = client.get("/centre/results.csv").content.decode("utf-8-sig")
    detail = text_of(client.get(f"/centre/entries/{entry.public_id}/"))
    desk = text_of(client.get("/centre/certificates/"))
    return {
        "results page": "45 / 60" in results_page,
        "slip": client.get(url("slip", world)).status_code == 200,
        "boundaries report": "20 / 30 / 40" in boundaries,
        "Unit results file": client.get(url("files_unit", world)).status_code == 200,
        "paper copy": client.get(f"/centre/entries/{entry.public_id}/results/").status_code == 200,
        "results CSV": bool(re.search(rf"{entry.candidate_id},[^\n]*,released,", results_csv)),
        "entry page": "Print a paper copy of the results" in detail,
        "certificate desk": entry.candidate_id in desk,
    }


@pytest.mark.parametrize(
    ("moment", "staff_sees"),
    [(CENTRE_RELEASE, False), (DAY_ONE_EVENING, False), (DAY_TWO_0759, False), (DAY_TWO_0800, True)],
)
def test_before_the_candidates_instant_only_exams_officers_and_the_head_see_results(
    at: Callable[[dt.datetime], None], moment: dt.datetime, staff_sees: bool
) -> None:
    world = build_world()  # its client is the exams officer's
    results_in(world)
    results_files_regenerate_all(now=CENTRE_RELEASE)
    head = _member_client(world.centre, ROLES.HEAD_OF_CENTRE)
    teacher = _member_client(world.centre, ROLES.STAFF)
    at(moment)

    officer_sees, head_sees, teacher_sees = (_sees_results(c, world) for c in (world.client, head, teacher))

    everything = dict.fromkeys(officer_sees, True)
    assert officer_sees == everything
    assert head_sees == everything
    assert teacher_sees == dict.fromkeys(officer_sees, staff_sees)


def test_nobody_at_the_centre_sees_results_before_the_restricted_release(at: Callable[[dt.datetime], None]) -> None:
    world = build_world()
    results_in(world)
    at(dt.datetime(2026, 8, 12, 0, 0, tzinfo=UK))

    for role in ROLES.values:
        assert set(_sees_results(_member_client(world.centre, role), world).values()) == {False}, role


def test_a_teacher_is_told_when_results_open_to_them(at: Callable[[dt.datetime], None]) -> None:
    world = build_world()
    results_in(world)
    teacher = _member_client(world.centre, ROLES.STAFF)
    at(DAY_ONE_EVENING)

    page = text_of(teacher.get(url("results", world)))

    assert "45 / 60" not in page
    # The candidates' instant is the teacher's; the restricted release is named as the officers'.
    assert "You see this series' results from 13 August 2026, 08:00, with the students." in page
    assert "(restricted release at 12 August 2026, 00:01)" in page


# --- The staff page ----------------------------------------------------------------------------------------
@pytest.fixture
def officer() -> tuple[Client, StaffMember]:
    member = cast(
        StaffMember, StaffMemberFactory(role=ROLES.EXAMS_OFFICER, centre=CentreFactory(email="office@school.example"))
    )
    return otp_login(CommittingClient(), member.user), member


def _audit(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


@pytest.mark.parametrize("role", [ROLES.HEAD_OF_CENTRE, ROLES.STAFF])
def test_only_exams_officers_manage_staff(officer: tuple[Client, StaffMember], role: str) -> None:
    _client, officer_member = officer
    other = StaffMemberFactory(centre=officer_member.centre, role=role)
    client = otp_login(CommittingClient(), other.user)
    target = officer_member.public_id

    home = text_of(client.get("/centre/"))
    responses = [
        client.get("/centre/staff/"),
        client.post("/centre/staff/", {"email": "new@school.example", "role": ROLES.EXAMS_OFFICER}),
        client.post(f"/centre/staff/{target}/role/", {f"{target}-role": ROLES.STAFF}),
        client.post(f"/centre/staff/{target}/deactivate/"),
        client.post(f"/centre/staff/{target}/setup-link/"),
    ]

    assert [r.status_code for r in responses] == [403] * 5
    assert 'href="/centre/staff/"' not in home
    assert not User.objects.filter(email="new@school.example").exists()
    officer_member.refresh_from_db()
    assert (officer_member.role, officer_member.deactivated_at) == (ROLES.EXAMS_OFFICER, None)
    assert _audit("staff.invite") == _audit("staff.role_change") == _audit("staff.deactivate") == []


def test_an_exams_officer_invites_a_colleague_who_sets_up_from_the_emailed_link(
    officer: tuple[Client, StaffMember],
) -> None:
    client, member = officer
    assert 'href="/centre/staff/"' in text_of(client.get("/centre/"))

    response = client.post("/centre/staff/", {"email": "Teacher@School.example", "role": ROLES.STAFF})

    assert response.status_code == 302
    colleague = StaffMember.objects.get(user__email="teacher@school.example")
    assert (colleague.centre, colleague.role) == (member.centre, ROLES.STAFF)
    [invitation] = mail.outbox  # a teacher is not announced to anyone
    assert invitation.to == ["teacher@school.example"]
    assert member.user.email in invitation.body and member.centre.name in invitation.body
    [event] = _audit("staff.invite")
    assert (event.actor, event.subject, event.detail["role"]) == (member.user, "teacher@school.example", "staff")
    link = re.search(r"https?://[^/\s]+(/\S+)", invitation.body)
    assert link is not None
    setup = CommittingClient().get(link.group(1))
    assert setup.status_code == 200 and "authenticator" in setup.content.decode().lower()


def test_a_new_exams_officer_is_announced_to_the_head_of_centre(officer: tuple[Client, StaffMember]) -> None:
    client, member = officer
    head = StaffMemberFactory(centre=member.centre, role=ROLES.HEAD_OF_CENTRE)
    teacher = StaffMemberFactory(centre=member.centre, role=ROLES.STAFF)

    client.post("/centre/staff/", {"email": "deputy@school.example", "role": ROLES.EXAMS_OFFICER})
    client.post(f"/centre/staff/{teacher.public_id}/role/", {f"{teacher.public_id}-role": ROLES.EXAMS_OFFICER})

    told = [m for m in mail.outbox if m.to == [head.user.email]]
    assert [("deputy@school.example" in m.body, teacher.user.email in m.body) for m in told] == [
        (True, False),
        (False, True),
    ]
    assert all(member.user.email in m.body for m in told)
    teacher.refresh_from_db()
    assert teacher.role == ROLES.EXAMS_OFFICER
    [change] = _audit("staff.role_change")
    assert change.detail == {"centre": member.centre.number, "from": "staff", "to": "exams_officer"}


def test_without_a_head_of_centre_the_centre_address_is_told(officer: tuple[Client, StaffMember]) -> None:
    client, member = officer

    client.post("/centre/staff/", {"email": "deputy@school.example", "role": ROLES.EXAMS_OFFICER})

    assert sorted(m.to[0] for m in mail.outbox) == ["deputy@school.example", "office@school.example"]


def test_the_centre_always_keeps_an_active_exams_officer(officer: tuple[Client, StaffMember]) -> None:
    client, member = officer
    mine = member.public_id

    demoted = client.post(f"/centre/staff/{mine}/role/", {f"{mine}-role": ROLES.STAFF}, follow=True)
    gone = client.post(f"/centre/staff/{mine}/deactivate/", follow=True)

    member.refresh_from_db()
    assert (member.role, member.deactivated_at) == (ROLES.EXAMS_OFFICER, None)
    assert str(STAFF_LAST_OFFICER) in text_of(demoted).replace("&#x27;", "'")
    assert str(STAFF_LAST_OFFICER) in text_of(gone).replace("&#x27;", "'")

    deputy = StaffMemberFactory(centre=member.centre, role=ROLES.EXAMS_OFFICER)
    client.post(f"/centre/staff/{mine}/role/", {f"{mine}-role": ROLES.HEAD_OF_CENTRE})
    member.refresh_from_db()
    assert member.role == ROLES.HEAD_OF_CENTRE
    assert deputy.role == ROLES.EXAMS_OFFICER
    assert client.get("/centre/staff/").status_code == 403  # no longer an exams officer, from the next request


def test_a_deactivated_leaver_is_logged_out_everywhere_and_cannot_log_in(officer: tuple[Client, StaffMember]) -> None:
    client, member = officer
    leaver = StaffMemberFactory(centre=member.centre, role=ROLES.STAFF)
    leaver.user.set_password("long-enough-pass-1")
    leaver.user.save()
    device = TOTPDevice.objects.create(user=leaver.user, name="phone", confirmed=True)
    leaver_client = otp_login(CommittingClient(), leaver.user)
    assert leaver_client.get("/centre/").status_code == 200

    client.post(f"/centre/staff/{leaver.public_id}/deactivate/")

    assert leaver_client.get("/centre/").status_code == 302
    login = CommittingClient().post(
        "/centre/login/",
        {"email": leaver.user.email, "password": "long-enough-pass-1", "otp_token": f"{totp(device.bin_key):06d}"},
    )
    assert login.status_code == 200 and "do not match a centre account" in login.content.decode()
    mail.outbox.clear()
    CommittingClient().post("/centre/password-reset/", {"email": leaver.user.email})
    assert mail.outbox == []  # no reset link for a leaver
    [event] = _audit("staff.deactivate")
    assert (event.actor, event.subject) == (member.user, leaver.user.email)

    client.post(f"/centre/staff/{leaver.public_id}/reactivate/")

    leaver.refresh_from_db()
    leaver.user.refresh_from_db()
    assert (leaver.deactivated_at, leaver.user.is_active) == (None, True)
    assert not leaver.user.has_usable_password()  # a new password and authenticator, from the new link
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert [m.to for m in mail.outbox] == [[leaver.user.email]]
    assert len(_audit("staff.reactivate")) == 1


def test_an_exams_officer_sends_a_lost_phone_set_up_link(officer: tuple[Client, StaffMember]) -> None:
    client, member = officer
    colleague = StaffMemberFactory(centre=member.centre, role=ROLES.STAFF)

    client.post(f"/centre/staff/{colleague.public_id}/setup-link/")

    [sent] = mail.outbox
    assert sent.to == [colleague.user.email]
    [event] = _audit("staff.setup_link")
    assert (event.actor, event.subject) == (member.user, colleague.user.email)
    assert "exams officer" in event.reason


def test_another_centres_staff_are_out_of_reach(officer: tuple[Client, StaffMember]) -> None:
    client, member = officer
    stranger = StaffMemberFactory(role=ROLES.STAFF)

    responses = [
        client.post(f"/centre/staff/{stranger.public_id}/role/", {f"{stranger.public_id}-role": ROLES.STAFF}),
        client.post(f"/centre/staff/{stranger.public_id}/deactivate/"),
        client.post(f"/centre/staff/{stranger.public_id}/setup-link/"),
    ]
    page = text_of(client.get("/centre/staff/"))

    assert [r.status_code for r in responses] == [404] * 3
    assert stranger.user.email not in page
    with pytest.raises(PermissionDenied):
        staff_role_change(member=stranger, role=ROLES.EXAMS_OFFICER, actor=member.user, manager=member)


def test_the_staff_page_takes_the_same_queries_for_any_number_of_colleagues(
    officer: tuple[Client, StaffMember],
) -> None:
    client, member = officer

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/centre/staff/").status_code == 200
        return len(captured)

    few = queries()
    StaffMemberFactory.create_batch(8, centre=member.centre, role=ROLES.STAFF)
    assert queries() == few


def test_the_board_creates_a_head_of_centre_from_the_command() -> None:
    centre = CentreFactory()
    out = StringIO()

    call_command(
        "create_centre_staff",
        "--centre",
        centre.number,
        "--email",
        "head@school.example",
        "--role",
        "head_of_centre",
        stdout=out,
    )

    member = StaffMember.objects.get(user__email="head@school.example")
    assert (member.centre, member.role) == (centre, ROLES.HEAD_OF_CENTRE)
    assert "Head of centre" in out.getvalue()
