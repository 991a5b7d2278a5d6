"""The candidate area's task: drawing the first views ahead of a release instant (``web.candidate.prerender``)."""

from celery import shared_task

from .prerender import pages_prerender


@shared_task(acks_late=True)
def candidate_pages_prerender(*, result_ids: list[int], keep_drawn: bool = False) -> int:
    """Draw and store the statement pages and dashboards of these results' holders (``keep_drawn``: only those not
    drawn yet, the others kept to their new instant); return how many were drawn."""
    return pages_prerender(result_ids=result_ids, keep_drawn=keep_drawn)
