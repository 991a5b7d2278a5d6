"""Reads of exams and sessions."""

import datetime as dt

from django.utils import timezone

from .models import ExamSession


def session_results_by(*, session: ExamSession) -> dt.date:
    """Return the final date by which results will be available (the window's last day, UK time)."""
    return timezone.localtime(session.window_end).date()
