"""How the candidates' pages drawn ahead follow the domain events about results (``results.events``)."""

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from results.events import result_changed

from .prerender import KEEP_ON, pages_follow


@receiver(result_changed, dispatch_uid="candidate_pages_follow_results")
def candidate_pages_follow(sender: object, event: str, result_ids: list[int], **kwargs: Any) -> None:
    """Drop the pages drawn for results that changed, and queue drawing them again (ready: the first time; a moved
    instant: only those not drawn, the others kept)."""
    batches = pages_follow(event=event, result_ids=result_ids)
    if not batches:
        return
    keep_drawn = event in KEEP_ON

    def send() -> None:
        from .tasks import candidate_pages_prerender

        for batch in batches:
            candidate_pages_prerender.delay(result_ids=batch, keep_drawn=keep_drawn)

    transaction.on_commit(send, robust=True)
