"""How the published credential status lists follow the domain events about results (``results.events``)."""

from typing import Any

from django.dispatch import receiver

from results.events import result_changed
from results.models import ResultEvent

from .status_lists import status_lists_invalidate


@receiver(result_changed, dispatch_uid="verification_status_lists_follow_results")
def status_lists_follow(sender: object, event: str, result_ids: list[int], **kwargs: Any) -> None:
    """Drop the cached status lists after any change, so a hold or an amendment is published at once."""
    if event != ResultEvent.Kind.READY:  # a result not out yet is in no published list
        status_lists_invalidate()
