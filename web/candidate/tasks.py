"""The candidate area's task: drawing the first views ahead of a release instant (``web.candidate.prerender``)."""

from celery import shared_task

from .prerender import pages_prerender


@shared_task(acks_late=True)
def candidate_pages_prerender(*, result_ids: list[int]) -> int:
    """Draw and store the statement pages and dashboards of these results' holders; return how many."""
    return pages_prerender(result_ids=result_ids)
