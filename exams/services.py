"""Writes and rules for exams and sessions."""

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from grading.aggregate import aggregate_grade
from grading.standardised import ProfileThresholds
from results_portal.dates import months_later

from .models import Component, ExamSession, GradeBoundaryTable, ServiceFee

Number = int | Decimal | Fraction | str

# docs/domain.md §3 'Release windows and embargo': a window is usually about two weeks long and starts about
# 4–5 weeks after a paper-based exam and about 2 weeks after a computer-based one. The results FAQ
# ("5–7 weeks after the exam for paper-based") agrees with a 5-week start and a 2-week window.
PAPER_WINDOW_OPENS_AFTER = dt.timedelta(weeks=5)
COMPUTER_WINDOW_OPENS_AFTER = dt.timedelta(weeks=2)
WINDOW_LENGTH_DAYS = 14
# docs/domain.md §16.3: a digital exam's results come 5–10 days after the exam, so its window opens on the 5th day
# after the exam and its last day is the 10th (six days long).
DIGITAL_WINDOW_OPENS_AFTER = dt.timedelta(days=5)
DIGITAL_WINDOW_LENGTH_DAYS = 6
# Mode → (the window's first day after the exam, its length in days).
WINDOW_DEFAULTS: dict[str, tuple[dt.timedelta, int]] = {
    ExamSession.Mode.PAPER: (PAPER_WINDOW_OPENS_AFTER, WINDOW_LENGTH_DAYS),
    ExamSession.Mode.COMPUTER: (COMPUTER_WINDOW_OPENS_AFTER, WINDOW_LENGTH_DAYS),
    ExamSession.Mode.DIGITAL: (DIGITAL_WINDOW_OPENS_AFTER, DIGITAL_WINDOW_LENGTH_DAYS),
}
FEE_NOT_NEGATIVE = "A fee is an amount in pounds, zero or more."


def release_window_default(*, exam_date: dt.date, mode: str) -> tuple[dt.datetime, dt.datetime]:
    """Return the default (opens, closes) of a session's results release window.

    The window opens at 00:00 UK time on its first day and closes at 23:59:59 on its last day, whose date is the
    "final date by which results will be available" on the Confirmation of Entry: paper-based, 5 weeks after the
    exam for 14 days; computer-based, 2 weeks after for 14 days; digital, from the 5th to the 10th day after.
    """
    offset, length = WINDOW_DEFAULTS.get(mode, WINDOW_DEFAULTS[ExamSession.Mode.COMPUTER])  # as it always did
    first_day = exam_date + offset
    last_day = first_day + dt.timedelta(days=length - 1)
    tz = timezone.get_default_timezone()
    opens = dt.datetime.combine(first_day, dt.time.min, tzinfo=tz)
    closes = dt.datetime.combine(last_day, dt.time(23, 59, 59), tzinfo=tz)
    return opens, closes


BOUNDARIES_INVALID = "Grade boundaries are not valid: {problem}"
COMPONENT_REQUIRED = "Unit raw-mark boundaries belong to one unit: choose the unit."
COMPONENT_NOT_IN_EXAM = "{component} is not a component of {exam}."


def boundaries_validate(*, kind: str, boundaries: Sequence[tuple[str, Number]], component: Component | None) -> None:
    """Check a boundary table with the grading engine's own rules; raise ValidationError naming the problem."""
    try:
        if kind == GradeBoundaryTable.Kind.AGGREGATE:
            aggregate_grade(aggregate=0, thresholds=[(label, Fraction(str(minimum))) for label, minimum in boundaries])
        elif kind == GradeBoundaryTable.Kind.PROFILE:
            minima = {label.lower(): int(minimum) for label, minimum in boundaries}
            ProfileThresholds(exceptional=minima["exceptional"], good=minima["good"], borderline=minima["borderline"])
        elif kind == GradeBoundaryTable.Kind.UNIT_RAW:
            if component is None or component.max_mark is None:
                raise ValidationError(COMPONENT_REQUIRED)
            minima_by_grade = {label.lower(): int(minimum) for label, minimum in boundaries}
            raw = [minima_by_grade["pass"], minima_by_grade["merit"], minima_by_grade["distinction"]]
            if raw != sorted(raw) or raw[0] <= 0 or raw[-1] > component.max_mark:
                raise ValueError(
                    f"pass ≤ merit ≤ distinction, above 0 and at most the unit's maximum {component.max_mark}"
                )
    except KeyError as error:
        raise ValidationError(BOUNDARIES_INVALID.format(problem=f"missing the {error.args[0]} boundary")) from error
    except (ValueError, TypeError, ArithmeticError) as error:
        raise ValidationError(BOUNDARIES_INVALID.format(problem=error)) from error


@transaction.atomic
def boundary_table_set(
    *,
    session: ExamSession,
    kind: str,
    boundaries: Sequence[tuple[str, Number]],
    actor: User | None,
    reason: str,
    component: Component | None = None,
    source: str = "",
) -> GradeBoundaryTable:
    """Store a new version of a session's grade boundaries and audit the change (who, when, what, why)."""
    if component is not None and component.exam_id != session.exam_id:
        raise ValidationError(COMPONENT_NOT_IN_EXAM.format(component=component.code, exam=session.exam.code))
    boundaries_validate(kind=kind, boundaries=boundaries, component=component)
    previous = (
        GradeBoundaryTable.objects.select_for_update()
        .filter(session=session, component=component, kind=kind)
        .order_by("-version")
        .first()
    )
    table = GradeBoundaryTable.objects.create(
        session=session,
        component=component,
        kind=kind,
        version=(previous.version + 1) if previous else 1,
        boundaries=[[label, str(minimum)] for label, minimum in boundaries],
        source=source,
        reason=reason,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="boundary.change",
        subject=str(session),
        reason=reason,
        detail={
            "kind": kind,
            "component": component.code if component else None,
            "version": table.version,
            "before": previous.boundaries if previous else None,
            "after": table.boundaries,
        },
    )
    return table


def _shifted(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    local = timezone.localtime(moment)
    return timezone.make_aware(dt.datetime.combine(months_later(local.date(), 12), local.time().replace(tzinfo=None)))


@transaction.atomic
def sessions_copy_to_next_year(
    *, sessions: Iterable[ExamSession], actor: User | None, refused: list[str] | None = None
) -> tuple[int, int]:
    """Copy sessions to the same day next year (28 February for 29 February); return (created, already there).

    The release window is the default for the new date and mode; a restricted release and a late certification
    closing date move by a year, at the same local time, as a series' dates do. A session the exam is not offered
    for on the new date or in its mode is not made; its reason is added to ``refused`` (docs/domain.md §16).
    """
    from .availability import MODES, session_refusal

    sessions = list(sessions)
    prefetch_related_objects(sessions, f"exam__{MODES}")  # one query for every session's modes
    wanted = {(s.exam_id, months_later(s.date, 12), s.mode): s for s in sessions}
    there = set(
        ExamSession.objects.filter(
            exam_id__in={key[0] for key in wanted}, date__in={key[1] for key in wanted}
        ).values_list("exam_id", "date", "mode")
    )
    created = already = 0
    for (exam_id, day, mode), source in sorted(wanted.items(), key=lambda item: (item[0][1], item[0][0])):
        if (exam_id, day, mode) in there:
            already += 1
            continue
        refusal = session_refusal(exam=source.exam, day=day, mode=mode)
        if refusal is not None:
            if refused is not None:
                refused.append(refusal)
            continue
        start, end = release_window_default(exam_date=day, mode=mode)
        if source.centre_release_at is not None:
            # A series with a restricted release keeps its shape: both instants move by a year.
            start, end = _shifted(source.window_start), _shifted(source.window_end)  # type: ignore[assignment]
        ExamSession.objects.create(
            exam_id=exam_id,
            date=day,
            mode=mode,
            window_start=start,
            window_end=end,
            centre_release_at=_shifted(source.centre_release_at),
            certification_closing_date=months_later(source.certification_closing_date, 12)
            if source.certification_closing_date
            else None,
            enquiry_deadline=months_later(source.enquiry_deadline, 12) if source.enquiry_deadline else None,
        )
        created += 1
    audit_record(
        actor=actor, action="sessions.copy_to_next_year", detail={"created": created, "selected": len(sessions)}
    )
    return created, already


@transaction.atomic
def service_fee_set(*, service: str, year: int, amount: Decimal, actor: User | None) -> ServiceFee:
    """Set the board's fee for ``service`` in ``year`` (docs/domain.md §17), recording who changed it (audited)."""
    if amount is None or amount < 0:
        raise ValidationError(FEE_NOT_NEGATIVE)
    fee = ServiceFee.objects.select_for_update().filter(service=service, year=year).first()
    before = str(fee.amount) if fee is not None else ""
    if fee is None:
        fee = ServiceFee(service=service, year=year)
    fee.amount, fee.updated_by = amount, actor
    fee.save()
    audit_record(
        actor=actor,
        action="fee.set",
        detail={"service": service, "year": year, "before": before, "after": str(fee.amount)},
    )
    return fee
