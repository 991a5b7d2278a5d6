"""The timetable import: exam sessions from a CSV file, all or nothing (docs/domain.md §3.7).

One line per session: ``exam_code,session_date,mode`` required, ``window_start,window_end,centre_release_at,
certification_closing_date,enquiry_deadline`` optional. A new session takes the given instants, or the defaults
computed from its date and mode (``exams.services.release_window_default``). A line for a session that exists
changes only the optional fields it gives. A session whose results someone may already have seen
(``release.seen_by_anyone``) keeps its release window and restricted release: a line moving them is refused.
Saving goes through the model, so the results of a session whose release moved are rescheduled by the one signal
that does it for every save (``results/signals.py``).
"""

import copy
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import audit_record
from exams.availability import MODES, session_refusal
from exams.models import Exam, ExamSession
from exams.services import release_window_default
from results_portal.csvimport import (
    ImportRejected,
    Record,
    RowError,
    check_date,
    check_text,
    error_text,
    read_records,
)

from .approvals import release_moved_earlier
from .models import Result

SESSION_COLUMNS = ("exam_code", "session_date", "mode")
SESSION_OPTIONAL = (
    "window_start",
    "window_end",
    "centre_release_at",
    "certification_closing_date",
    "enquiry_deadline",
)
DATE_COLUMNS = ("certification_closing_date", "enquiry_deadline")
INSTANT_COLUMNS = ("window_start", "window_end", "centre_release_at")

EXAM_UNKNOWN = _("unknown exam code '%(code)s'")
MODE_UNKNOWN = _("'%(value)s' is not a mode: use %(modes)s")
INSTANT_MALFORMED = _(
    "'%(value)s' is not a date and time in ISO 8601 with its UTC offset, e.g. 2026-08-13T08:00:00+01:00"
)
WINDOW_ENDS_FIRST = _("the release window closes (%(end)s) before it opens (%(start)s)")
RESTRICTED_AFTER_WINDOW = _("the restricted release to centres (%(at)s) is after the window opens (%(start)s)")
RELEASED_WINDOW_FIXED = _(
    "results of this session have already been released, so its release window and restricted release cannot change"
)
SESSION_REPEATED = _("this session is already on line %(line)d")
RELEASE_EARLIER_NEEDS_APPROVAL = _(
    "this moves the release of a session with results earlier, which needs a second board user: change it on the "
    "session's admin page, with a reason"
)


@dataclass
class TimetableSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    sessions: list[ExamSession] = field(default_factory=list)


def _instant(*, record: Record, column: str, errors: list[RowError]) -> dt.datetime | None:
    value = record.values[column]
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or timezone.is_naive(parsed) or "T" not in value.upper():
        errors.append(RowError(record.line, column, error_text(INSTANT_MALFORMED, value=value)))
        return None
    return parsed


def _seen_sessions(session_ids: Iterable[int], *, now: dt.datetime) -> set[int]:
    """Return the sessions with a result that its centre or candidate may already have seen (one query).

    The SQL form of ``release.seen_by_anyone``: the earlier of a result's two instants has passed.
    """
    seen = Result.objects.filter(entry__session_id__in=list(session_ids)).filter(
        Q(released_at__lte=now) | Q(centre_released_at__lte=now)
    )
    return set(seen.values_list("entry__session_id", flat=True).distinct())


def _shown(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).isoformat() if moment else "—"


@transaction.atomic
def timetable_import(*, text: str, actor: User | None = None, now: dt.datetime | None = None) -> TimetableSummary:
    """Create or update the sessions of a timetable file; raise ``ImportRejected`` naming every bad line."""
    moment = now or timezone.now()
    records = read_records(text=text, columns=SESSION_COLUMNS, optional=SESSION_OPTIONAL)
    exams = {exam.code.upper(): exam for exam in Exam.objects.prefetch_related(MODES)}  # docs/domain.md §16
    modes = {choice.value: choice for choice in ExamSession.Mode}
    errors: list[RowError] = []
    parsed: list[tuple[Record, Exam, dt.date, str, dict[str, object]]] = []
    first_line: dict[tuple[int, dt.date, str], int] = {}
    for record in records:
        problems_before = len(errors)
        code = check_text(record=record, column="exam_code", required=True, max_length=20, errors=errors)
        exam = exams.get(code.upper()) if code else None
        if code and exam is None:
            errors.append(RowError(record.line, "exam_code", error_text(EXAM_UNKNOWN, code=code)))
        day = check_date(record=record, column="session_date", errors=errors)
        mode = record.values["mode"].lower()
        if mode not in modes:
            message = error_text(MODE_UNKNOWN, value=record.values["mode"], modes=", ".join(modes))
            errors.append(RowError(record.line, "mode", message))
        given: dict[str, object] = {}
        for column in INSTANT_COLUMNS:
            if record.values[column]:
                given[column] = _instant(record=record, column=column, errors=errors)
        for column in DATE_COLUMNS:
            if record.values[column]:
                given[column] = check_date(record=record, column=column, errors=errors)
        if len(errors) > problems_before or exam is None or day is None:
            continue
        key = (exam.pk, day, mode)
        if key in first_line:
            errors.append(RowError(record.line, "", error_text(SESSION_REPEATED, line=first_line[key])))
            continue
        first_line[key] = record.line
        parsed.append((record, exam, day, mode, given))

    existing = {
        (session.exam_id, session.date, session.mode): session
        for session in ExamSession.objects.select_related("exam").filter(
            exam_id__in={exam.pk for _record, exam, _day, _mode, _given in parsed},
            date__in={day for _record, _exam, day, _mode, _given in parsed},
        )
    }
    seen = _seen_sessions((s.pk for s in existing.values()), now=moment)
    with_results = set(
        Result.objects.filter(entry__session_id__in=[s.pk for s in existing.values()])
        .values_list("entry__session_id", flat=True)
        .distinct()
    )
    summary = TimetableSummary()
    to_save: list[tuple[ExamSession, bool]] = []
    for record, exam, day, mode, given in parsed:
        session = existing.get((exam.pk, day, mode))
        created = session is None
        if session is None:
            refusal = session_refusal(exam=exam, day=day, mode=mode)
            if refusal is not None:  # docs/domain.md §16: no new session of an exam not offered then
                errors.append(RowError(record.line, "session_date", refusal))
                continue
            start, end = release_window_default(exam_date=day, mode=mode)
            session = ExamSession(exam=exam, date=day, mode=mode, window_start=start, window_end=end)
        before = {name: getattr(session, name) for name in SESSION_OPTIONAL}
        for name, value in given.items():
            setattr(session, name, value)
        if session.window_end <= session.window_start:
            column = "window_end" if "window_end" in given else "window_start"
            message = error_text(WINDOW_ENDS_FIRST, end=_shown(session.window_end), start=_shown(session.window_start))
            errors.append(RowError(record.line, column, message))
            continue
        if session.centre_release_at is not None and session.centre_release_at > session.window_start:
            column = "centre_release_at" if "centre_release_at" in given else "window_start"
            message = error_text(
                RESTRICTED_AFTER_WINDOW, at=_shown(session.centre_release_at), start=_shown(session.window_start)
            )
            errors.append(RowError(record.line, column, message))
            continue
        moved = [name for name in INSTANT_COLUMNS if getattr(session, name) != before[name]]
        if not created and session.pk in seen and moved:
            errors.append(RowError(record.line, moved[0], error_text(RELEASED_WINDOW_FIXED)))
            continue
        if not created and session.pk in with_results and moved:
            stored = copy.copy(session)
            for name in INSTANT_COLUMNS:
                setattr(stored, name, before[name])
            if release_moved_earlier(before=stored, after=session):
                errors.append(RowError(record.line, moved[0], error_text(RELEASE_EARLIER_NEEDS_APPROVAL)))
                continue
        changed = created or any(getattr(session, name) != before[name] for name in SESSION_OPTIONAL)
        if changed:
            to_save.append((session, created))
        else:
            summary.unchanged += 1
    if errors:
        raise ImportRejected(sorted(errors, key=lambda error: error.line))
    for session, created in to_save:
        session.save()
        summary.sessions.append(session)
        if created:
            summary.created += 1
        else:
            summary.updated += 1
    audit_record(
        actor=actor,
        action="timetable.import",
        detail={"created": summary.created, "updated": summary.updated, "unchanged": summary.unchanged},
    )
    return summary
