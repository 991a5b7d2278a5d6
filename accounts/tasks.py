"""Housekeeping of the brute-force guard."""

from celery import shared_task

from .guard import guard_prune


@shared_task
def guard_prune_old() -> tuple[int, int]:
    """Delete failure records and quiet lock rows past their retention (they hold IP addresses)."""
    return guard_prune()
