"""The one rule for when a result becomes visible: its release instants for candidates and for the centre.

Rules: a result is released as soon as it is ready inside its session's results release window, never before
the window opens; a session with a restricted release shows results to its centres from that earlier instant
(docs/domain.md §3). Every writer of ``Result.released_at`` and
``Result.centre_released_at`` takes them from here: ``release_instants`` for one result, and
``release_instants_sql`` for the bulk UPDATE of a whole session. A test holds the two to the same answers.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import DateTimeField, F, Value
from django.db.models.expressions import Expression
from django.db.models.functions import Greatest

from exams.models import ExamSession


@dataclass(frozen=True)
class ReleaseInstants:
    """When a result becomes visible: to the candidate (and verifiers), and to the candidate's centre."""

    candidate: dt.datetime
    centre: dt.datetime


def centre_opening(session: ExamSession, *, restricted: bool) -> dt.datetime:
    """Return the instant a session's results open to a centre's staff.

    ``restricted``: the member sees the restricted release (exams officers and the head of centre,
    ``StaffMember.sees_restricted_release``); they see the session's restricted release, or the window opening
    when it has none. Other staff see results with the candidates, from the window opening (docs/domain.md §3.4).
    """
    if restricted and session.centre_release_at is not None:
        return session.centre_release_at
    return session.window_start


def release_instants(*, session: ExamSession, ready_at: dt.datetime) -> ReleaseInstants:
    """Return the release instants of a result of ``session`` that became ready at ``ready_at``."""
    return ReleaseInstants(
        candidate=max(session.window_start, ready_at),
        centre=max(centre_opening(session, restricted=True), ready_at),
    )


def release_instants_sql(*, session: ExamSession) -> dict[str, Expression]:
    """Return ``release_instants`` for ``session`` as SQL over each row's ``ready_at``: fields for ``update()``."""
    return {
        "released_at": Greatest(F("ready_at"), Value(session.window_start, output_field=DateTimeField())),
        "centre_released_at": Greatest(
            F("ready_at"), Value(centre_opening(session, restricted=True), output_field=DateTimeField())
        ),
    }


def release_fields_changed(*, before: ExamSession | None, after: ExamSession) -> bool:
    """Return whether a save of ``after`` (``before`` as it was stored) moves any release instant."""
    if before is None:
        return False
    return (before.window_start, centre_opening(before, restricted=True)) != (
        after.window_start,
        centre_opening(after, restricted=True),
    )


def seen_by_anyone(
    *, released_at: dt.datetime | None, centre_released_at: dt.datetime | None, now: dt.datetime
) -> bool:
    """Return whether a result's centre or candidate may already have seen it: it then changes only by amendment.

    The earlier of its two instants counts: on a restricted-release day the centre has seen the result hours
    before the candidate may. A hold keeps instants already passed (``result_hold``), so a result held after its
    release still counts as seen.
    """
    instants = [instant for instant in (released_at, centre_released_at) if instant is not None]
    return bool(instants) and min(instants) <= now
