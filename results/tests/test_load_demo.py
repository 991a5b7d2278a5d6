from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from centres.models import Candidate, Centre, Entry
from exams.models import ExamSession
from results.models import ComponentScore, Result

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    models = (Centre, Candidate, Entry, ExamSession, Result, ComponentScore)
    return tuple(m.objects.count() for m in models)


@override_settings(DEBUG=True)
def test_load_demo_is_idempotent() -> None:
    first = StringIO()
    call_command("load_demo", stdout=first)
    after_first = _counts()
    second = StringIO()
    call_command("load_demo", stdout=second)

    assert _counts() == after_first
    assert "already loaded" in second.getvalue()
    assert after_first[0] == 2


@override_settings(DEBUG=True)
def test_load_demo_has_a_released_an_open_and_a_future_session() -> None:
    call_command("load_demo", stdout=StringIO())
    now = timezone.now()
    sessions = ExamSession.objects.all()

    assert any(s.window_end < now for s in sessions)
    assert any(s.window_start <= now <= s.window_end for s in sessions)
    assert any(s.window_start > now for s in sessions)
    assert not Result.objects.filter(released_at__gt=now).exists()


@override_settings(DEBUG=True)
def test_load_demo_prints_login_details_that_work() -> None:
    out = StringIO()
    call_command("load_demo", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if "DEM000101" in line)
    candidate_id, secret = line.split()[:2]

    from centres.services import secret_number_matches

    entry = Entry.objects.get(candidate_id=candidate_id)
    assert secret_number_matches(secret_number=secret, secret_hash=entry.secret_hash)
    assert not secret_number_matches(
        secret_number="0000" if secret != "0000" else "1111", secret_hash=entry.secret_hash
    )


def test_load_demo_refuses_on_a_real_portal() -> None:
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo", stdout=StringIO())
    assert Centre.objects.count() == 0


@override_settings(DEBUG=True)
def test_the_demo_exams_officer_is_an_exams_officer() -> None:
    """The README prints an exams officer: the role that manages staff and sees results before candidates."""
    from centres.models import StaffMember

    call_command("load_demo", stdout=StringIO())

    officer = StaffMember.objects.get(user__email="officer@riverside.example")
    assert (officer.centre.number, officer.role) == ("GB901", "exams_officer")


@override_settings(DEBUG=True)
def test_load_demo_has_a_legacy_delta_result_on_an_old_style_statement() -> None:
    call_command("load_demo", stdout=StringIO())

    result = Result.objects.get(entry__candidate_id="DEM000200")
    # 74 + 62 = 136 of 200 against the demo thresholds: Pass with Merit (130–149).
    assert (result.entry.session.exam.code, result.grade, result.status) == ("DELTA1", "Pass with Merit", "released")


@override_settings(DEBUG=True)
def test_the_demo_has_enquiries_in_every_state() -> None:
    from results.models import ResultEnquiry

    call_command("load_demo", stdout=StringIO())

    states = sorted(ResultEnquiry.objects.values_list("status", "outcome"))
    assert states == [
        ("completed", "grade_changed"),
        ("completed", "marks_changed"),
        ("completed", "no_change"),
        ("in_progress", ""),
        ("received", ""),
    ]
    changed = ResultEnquiry.objects.get(outcome="grade_changed")
    assert (changed.grade_before, changed.grade_after, changed.fee_waived) == ("Grade C", "Level B1", True)
    assert changed.result.version == 2
