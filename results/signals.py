"""Keep release instants in step with their session's release window and restricted release."""

from typing import Any

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from exams.models import ExamSession

from .release import release_fields_changed
from .services import results_reschedule


@receiver(pre_save, sender=ExamSession, dispatch_uid="results_session_before_save")
def session_saving(sender: type[ExamSession], instance: ExamSession, **kwargs: Any) -> None:
    """Note the session as it is stored, so the save can tell whether a release instant moved."""
    instance._stored_before_save = (  # type: ignore[attr-defined]
        ExamSession.objects.filter(pk=instance.pk).first() if instance.pk is not None else None
    )


@receiver(post_save, sender=ExamSession, dispatch_uid="results_reschedule_on_window_change")
def session_saved(sender: type[ExamSession], instance: ExamSession, created: bool, **kwargs: Any) -> None:
    """Reschedule the session's results only when its window opening or restricted release actually moved."""
    before = getattr(instance, "_stored_before_save", None)
    if not created and release_fields_changed(before=before, after=instance):
        results_reschedule(session=instance)
