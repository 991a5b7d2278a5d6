"""What results follow: the stored results files (``results.events``), and a new cash-in (``centres.signals``).

The files are built from results (``results.centre_files``), so their listener lives in this app too.
"""

import datetime as dt
from typing import Any

from django.dispatch import receiver
from django.utils import timezone

from centres.models import Centre, Entry
from centres.signals import certification_entry_made
from exams.models import Exam, ExamSession

from .events import result_changed
from .models import ResultEvent
from .unitised import qualifications_refresh


@receiver(result_changed, dispatch_uid="centres_results_files_follow_results")
def results_files_follow(sender: object, event: str, result_ids: list[int], **kwargs: Any) -> None:
    """Rebuild at once every stored results file that holds one of these results.

    A hold takes the result out of the centre's unit and qualification files now, not at the next daily
    build; a release again, an amendment or a corrected name puts the current values in. Files not built yet
    are left to the daily job (it builds from the same selector).
    """
    from results.centre_files import results_files_latest, results_files_store

    if event == ResultEvent.Kind.READY:  # not in any file before its release instant
        return
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
        if results_files_latest(centre=centre, series=series):
            results_files_store(centre=centre, series=series, now=now, replace=True)


@receiver(certification_entry_made, dispatch_uid="results_qualification_on_cash_in")
def qualification_on_cash_in(
    sender: object, entry: Entry, actor: Any, now: dt.datetime, reason: str, **kwargs: Any
) -> None:
    """Work out the qualification result of a new certification entry, in the transaction that made it."""
    qualifications_refresh(
        person_exam_pairs=[(entry.person_id, entry.session.exam_id)], now=now, actor=actor, reason=reason
    )
