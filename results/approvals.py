"""The changes to results that need a second board user (docs/domain.md §12.7), and how each is applied.

``accounts.approvals`` keeps the requests and decisions; here the results app says when a change needs one
(it knows where results exist) and registers how an approved change is applied, through the same services a
direct change uses.
"""

import datetime as dt
from typing import Any

from accounts.approvals import approval_kind
from accounts.models import User
from exams.models import Component, ExamSession
from exams.services import boundary_table_set

from .models import Result
from .release import centre_opening
from .services import result_unhold

BOUNDARIES = "boundaries.change"
RELEASE_EARLIER = "session.release_earlier"
UNHOLD_BULK = "results.unhold_bulk"
RELEASE_FIELDS = ("window_start", "window_end", "centre_release_at")


def session_has_results(session: ExamSession) -> bool:
    return Result.objects.filter(entry__session_id=session.pk).exists()


def boundaries_need_approval(session: ExamSession) -> bool:
    """A new boundary version needs a second board user once the session has any result."""
    return session_has_results(session)


def release_moved_earlier(*, before: ExamSession, after: ExamSession) -> bool:
    """Whether a change brings the candidates' or the centre's release instant forward."""
    return after.window_start < before.window_start or centre_opening(after, restricted=True) < centre_opening(
        before, restricted=True
    )


def release_change_needs_approval(*, before: ExamSession, after: ExamSession) -> bool:
    """Moving a release earlier needs a second board user when the session has results (nothing else changes)."""
    return release_moved_earlier(before=before, after=after) and session_has_results(before)


def release_payload(session: ExamSession) -> dict[str, Any]:
    return {
        "session_id": session.pk,
        **{name: getattr(session, name).isoformat() if getattr(session, name) else None for name in RELEASE_FIELDS},
    }


@approval_kind(BOUNDARIES)
def _apply_boundaries(payload: dict[str, Any], approver: User) -> None:
    boundary_table_set(
        session=ExamSession.objects.select_related("exam").get(pk=payload["session_id"]),
        component=Component.objects.get(pk=payload["component_id"]) if payload.get("component_id") else None,
        kind=payload["kind"],
        boundaries=[tuple(pair) for pair in payload["boundaries"]],  # type: ignore[misc]
        actor=approver,
        reason=payload["reason"],
        source=payload.get("source", ""),
    )


@approval_kind(RELEASE_EARLIER)
def _apply_release(payload: dict[str, Any], approver: User) -> None:
    session = ExamSession.objects.get(pk=payload["session_id"])
    for name in RELEASE_FIELDS:
        value = payload.get(name)
        setattr(session, name, dt.datetime.fromisoformat(value) if value else None)
    session.full_clean(exclude=["exam", "date", "mode"])
    session.save()  # results are rescheduled by the one signal every save goes through (results/signals.py)


@approval_kind(UNHOLD_BULK)
def _apply_unhold(payload: dict[str, Any], approver: User) -> None:
    for result in Result.objects.filter(pk__in=payload["result_ids"]).order_by("pk"):
        result_unhold(result=result, actor=approver, reason=payload["reason"])
