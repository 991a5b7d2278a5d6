"""Background rendering of documents: after a release or an amendment, and a sweep for anything missed."""

from celery import shared_task

from . import selectors, services

SWEEP_LIMIT = 2000


@shared_task(acks_late=True)
def documents_render(*, result_ids: list[int]) -> int:
    """Render and store the missing or out-of-date PDFs of these results (idempotent); return how many."""
    return services.documents_render_for_results(result_ids=result_ids)


@shared_task(acks_late=True)
def documents_render_missing() -> int:
    """Queue rendering for released results whose documents are missing or out of date; return how many.

    Beat runs it regularly: it catches results released without the hook, and renders that failed.
    """
    result_ids = selectors.results_missing_documents(limit=SWEEP_LIMIT)
    services.documents_render_queue(result_ids=result_ids)
    return len(result_ids)
