"""Reads of exams and sessions."""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from .models import Component, ExamSession, GradeBoundaryTable, ServiceFee


def session_results_by(*, session: ExamSession) -> dt.date:
    """Return the final date by which results will be available (the window's last day, UK time)."""
    return timezone.localtime(session.window_end).date()


def boundary_table_current(
    *, session: ExamSession, kind: str, component: Component | None = None
) -> GradeBoundaryTable | None:
    """Return the version of a session's grade boundaries in force (the newest), or None if none is set."""
    return (
        GradeBoundaryTable.objects.filter(session=session, kind=kind, component=component).order_by("-version").first()
    )


def boundary_table_history(*, session: ExamSession) -> QuerySet[GradeBoundaryTable]:
    """Return every version of a session's grade boundaries, newest first per table, with authors."""
    return GradeBoundaryTable.objects.filter(session=session).select_related("component", "created_by")


def series_label(session: ExamSession) -> str:
    """Return the English name of a series, 'June 2026', as stored in a unitised outcome's counted units."""
    return session.date.strftime("%B %Y")


def series_name(session: ExamSession) -> str:
    """Return a series' name for people, in the active language: 'June 2026', 'junio de 2026', '2026年6月'."""
    return date_format(session.date, "YEAR_MONTH_FORMAT")


def unit_boundaries(*, sessions: Iterable[ExamSession]) -> dict[tuple[int, int], list[int]]:
    """Return the raw boundaries (pass, merit, distinction) in force per (session id, unit id)."""
    tables = GradeBoundaryTable.objects.filter(
        session__in=list(sessions), kind=GradeBoundaryTable.Kind.UNIT_RAW, component__isnull=False
    ).order_by("session_id", "component_id", "-version")
    found: dict[tuple[int, int], list[int]] = {}
    for table in tables:
        key = (table.session_id, int(table.component_id or 0))
        if key not in found:
            minima = {str(label).lower(): int(minimum) for label, minimum in table.boundaries}
            found[key] = [minima["pass"], minima["merit"], minima["distinction"]]
    return found


def service_fee(*, service: str, on: dt.date) -> Decimal | None:
    """Return the board's fee for ``service`` ordered on ``on`` (the fee of that calendar year), or None if unset."""
    return ServiceFee.objects.filter(service=service, year=on.year).values_list("amount", flat=True).first()
