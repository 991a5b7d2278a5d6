"""Keep release instants in step with their session's release window."""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from exams.models import ExamSession

from .services import results_reschedule


@receiver(post_save, sender=ExamSession, dispatch_uid="results_reschedule_on_window_change")
def session_saved(sender: type[ExamSession], instance: ExamSession, created: bool, **kwargs: Any) -> None:
    """Reschedule unreleased results when a session (and so perhaps its window) is saved."""
    if not created:
        results_reschedule(session=instance)
