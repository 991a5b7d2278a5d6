"""Reads of exams and sessions."""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from .models import Component, ExamSession, GradeBoundaryTable


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
