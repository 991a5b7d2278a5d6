"""How documents follow the domain events about results (``results.events``)."""

from typing import Any

from django.dispatch import receiver

from results.events import result_changed
from results.models import ResultEvent

from .services import documents_render_queue


@receiver(result_changed, dispatch_uid="certificates_documents_follow_results")
def documents_follow(sender: object, event: str, result_ids: list[int], **kwargs: Any) -> None:
    """Render again, after any change, the documents of the results that are visible now.

    A released or released-again result gets its PDFs; an amended one or one whose name was corrected gets new
    ones, the old superseded. A held result's stored PDFs are never served (every download reads the result
    through the visibility selector first) and are brought up to date when it is released again.
    """
    if event == ResultEvent.Kind.READY:  # not visible yet: rendered once released (ADR 0006)
        return
    documents_render_queue(result_ids=result_ids)
