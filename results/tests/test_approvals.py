"""Two-person control (docs/domain.md §12.7): boundaries after results, a release moved earlier, bulk release."""

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from accounts.approvals import approval_decide, approval_request
from accounts.models import Approval, AuditEvent
from accounts.tests.factories import UserFactory
from centres.tests.factories import EntryFactory, ExamSessionFactory
from conftest import otp_login
from exams.models import GradeBoundaryTable
from results.approvals import UNHOLD_BULK
from results.models import Result
from results.tests.factories import result_for
from results.timetable import timetable_import
from results_portal.csvimport import ImportRejected

pytestmark = pytest.mark.django_db


@pytest.fixture
def second(client: Client) -> Client:
    """Another board superuser, logged in with 2FA on a client of its own."""
    return otp_login(Client(), UserFactory(username="second@example.org", is_staff=True, is_superuser=True))


def _approve_all(client: Client) -> Any:
    ids = list(Approval.objects.filter(status="pending").values_list("pk", flat=True))
    return client.post("/admin/accounts/approval/", {"action": "approve", "_selected_action": ids}, follow=True)


def _future_session_with_a_ready_result() -> Any:
    session = ExamSessionFactory(date=timezone.localdate() + dt.timedelta(days=10), mode="paper")
    result_for(EntryFactory(session=session), released_at=session.window_start, status=Result.Status.READY)
    Result.objects.update(ready_at=timezone.now())
    return session


def test_nobody_approves_their_own_request_and_a_decision_is_final() -> None:
    asker, other = UserFactory(username="a@example.org"), UserFactory(username="b@example.org")
    held = [result_for(EntryFactory(), released_at=timezone.now(), status=Result.Status.HELD) for _ in range(2)]
    approval = approval_request(
        kind=UNHOLD_BULK,
        summary="Release 2 held results",
        payload={"result_ids": [r.pk for r in held], "reason": "marking checked"},
        actor=asker,
        reason="marking checked",
    )

    with pytest.raises(PermissionDenied, match="A second board user must decide"):
        approval_decide(approval=approval, actor=asker, approve=True)
    assert set(Result.objects.values_list("status", flat=True)) == {"held"}
    decided = approval_decide(approval=approval, actor=other, approve=True)
    with pytest.raises(ValidationError, match="already decided"):
        approval_decide(approval=approval, actor=other, approve=False)

    assert decided.status == "applied" and decided.decided_by == other
    assert set(Result.objects.values_list("status", flat=True)) == {"ready"}
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", "actor__username"))
    assert ("approval.request", "a@example.org") in actions and ("approval.applied", "b@example.org") in actions


def test_boundaries_after_results_wait_for_a_second_board_user(board_client: Client, second: Client) -> None:
    session = _future_session_with_a_ready_result()
    form = {
        "session": session.pk,
        "kind": GradeBoundaryTable.Kind.PROFILE,
        "lines": "exceptional = 80\ngood = 65\nborderline = 50",
        "source": "awarding meeting",
        "reason": "late script review",
    }

    asked = board_client.post("/admin/exams/gradeboundarytable/add/", form, follow=True)
    own = _approve_all(board_client)

    assert "needs a second board user&#x27;s approval" in asked.content.decode()
    assert "A second board user must decide" in own.content.decode()
    assert not GradeBoundaryTable.objects.exists()
    _approve_all(second)
    table = GradeBoundaryTable.objects.get()
    assert (table.created_by.username, table.reason) == ("second@example.org", "late script review")


def test_boundaries_before_any_result_need_no_approval(board_client: Client) -> None:
    session = ExamSessionFactory()
    board_client.post(
        "/admin/exams/gradeboundarytable/add/",
        {
            "session": session.pk,
            "kind": "profile",
            "lines": "exceptional = 80\ngood = 65\nborderline = 50",
            "reason": "first",
        },
    )

    assert GradeBoundaryTable.objects.count() == 1 and not Approval.objects.exists()


def _session_form(session: Any, **changes: Any) -> dict[str, Any]:
    local = {name: timezone.localtime(getattr(session, name)) for name in ("window_start", "window_end")}
    form = {
        "exam": session.exam_id,
        "date": session.date.isoformat(),
        "mode": session.mode,
        "window_start_0": local["window_start"].date().isoformat(),
        "window_start_1": local["window_start"].time().isoformat(),
        "window_end_0": local["window_end"].date().isoformat(),
        "window_end_1": local["window_end"].time().isoformat(),
        "centre_release_at_0": "",
        "centre_release_at_1": "",
        "certification_closing_date": "",
        "change_reason": "",
    }
    form.update(changes)
    return form


def test_a_release_moved_earlier_waits_for_approval_then_reschedules(board_client: Client, second: Client) -> None:
    session = _future_session_with_a_ready_result()
    earlier = timezone.localtime(session.window_start) - dt.timedelta(days=2)
    url = f"/admin/exams/examsession/{session.pk}/change/"
    move = {"window_start_0": earlier.date().isoformat(), "window_start_1": earlier.time().isoformat()}

    no_reason = board_client.post(url, _session_form(session, **move))
    asked = board_client.post(url, _session_form(session, **move, change_reason="printing error"), follow=True)
    session.refresh_from_db()
    unchanged = session.window_start

    assert "Say why the release moves earlier" in no_reason.content.decode()
    assert "needs a second board user&#x27;s approval" in asked.content.decode()
    assert unchanged == earlier + dt.timedelta(days=2)
    _approve_all(second)
    session.refresh_from_db()
    assert session.window_start == earlier
    assert Result.objects.get().released_at == earlier


def test_a_later_window_needs_no_approval(board_client: Client) -> None:
    session = _future_session_with_a_ready_result()
    later = timezone.localtime(session.window_start) + dt.timedelta(days=1)

    board_client.post(
        f"/admin/exams/examsession/{session.pk}/change/",
        _session_form(session, window_start_0=later.date().isoformat(), window_start_1=later.time().isoformat()),
    )

    session.refresh_from_db()
    assert session.window_start == later and not Approval.objects.exists()


def test_releasing_held_results_in_bulk_waits_for_approval(board_client: Client, second: Client) -> None:
    held = [result_for(EntryFactory(), released_at=timezone.now(), status=Result.Status.HELD) for _ in range(2)]
    ids = [r.pk for r in held]

    board_client.post(
        "/admin/results/result/", {"action": "unhold", "_selected_action": ids, "reason": "checked again"}
    )
    assert set(Result.objects.values_list("status", flat=True)) == {"held"}
    _approve_all(second)

    assert set(Result.objects.values_list("status", flat=True)) == {"ready"}


def test_the_timetable_import_refuses_to_move_a_release_earlier_on_a_session_with_results() -> None:
    session = _future_session_with_a_ready_result()
    earlier = (session.window_start - dt.timedelta(days=1)).isoformat()

    with pytest.raises(ImportRejected) as rejected:
        timetable_import(text=f"exam_code,session_date,mode,window_start\nFCE,{session.date},paper,{earlier}\n")

    assert str(rejected.value.errors[0]).startswith(
        "line 2, column window_start: this moves the release of a session with results earlier, which needs a "
        "second board user"
    )
