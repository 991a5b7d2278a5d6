"""How the centres' stored results files follow the domain events about results (``results.events``).

The listener lives here, beside the events, because the domain apps' order puts ``centres`` before ``results``
(docs/architecture.md): ``results`` may call ``centres.edi``, not the other way round.
"""

from typing import Any

from django.dispatch import receiver
from django.utils import timezone

from centres.models import Centre, Entry
from exams.models import Exam, ExamSession

from .events import result_changed


@receiver(result_changed, dispatch_uid="centres_results_files_follow_results")
def results_files_follow(sender: object, event: str, result_ids: list[int], **kwargs: Any) -> None:
    """Rebuild at once every stored results file that holds one of these results.

    A hold takes the result out of the centre's unit and qualification files now, not at the next daily
    build; a release again, an amendment or a corrected name puts the current values in. Files not built yet
    are left to the daily job (it builds from the same selector).
    """
    from centres.edi import edi_files_latest, edi_files_store

    pairs = set(
        Entry.objects.filter(result__pk__in=result_ids, session__exam__family=Exam.Family.UNITISED).values_list(
            "centre_id", "session_id"
        )
    )
    if not pairs:
        return
    centres = Centre.objects.in_bulk({centre_id for centre_id, _ in pairs})
    sessions = ExamSession.objects.select_related("exam").in_bulk({session_id for _, session_id in pairs})
    now = timezone.now()
    for centre_id, session_id in sorted(pairs):
        centre, series = centres[centre_id], sessions[session_id]
        if edi_files_latest(centre=centre, series=series):
            edi_files_store(centre=centre, series=series, now=now, replace=True)
