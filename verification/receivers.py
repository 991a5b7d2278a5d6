"""How verification follows the domain events about results (``results.events``): the published credential
status lists, and the organisations a result was delivered to."""

from typing import Any

from django.dispatch import receiver

from results.events import result_changed
from results.models import ResultEvent

from .deliveries import deliveries_result_changed
from .models import DeliveryEvent
from .status_lists import status_lists_invalidate

# The result events an organisation that received the result hears of.
DELIVERY_EVENT_OF = {
    ResultEvent.Kind.AMENDED: DeliveryEvent.Kind.AMENDED,
    ResultEvent.Kind.HELD: DeliveryEvent.Kind.HELD,
    ResultEvent.Kind.RELEASED_AGAIN: DeliveryEvent.Kind.RELEASED_AGAIN,
}


@receiver(result_changed, dispatch_uid="verification_status_lists_follow_results")
def status_lists_follow(sender: object, event: str, result_ids: list[int], **kwargs: Any) -> None:
    """Drop the cached status lists after any change, so a hold or an amendment is published at once."""
    if event != ResultEvent.Kind.READY:  # a result not out yet is in no published list
        status_lists_invalidate()


@receiver(result_changed, dispatch_uid="verification_deliveries_follow_results")
def deliveries_follow(
    sender: object, event: str, result_ids: list[int], event_id: int | None = None, **kwargs: Any
) -> None:
    """Tell every organisation a changed result was delivered to: inbox, webhooks, email (once per event)."""
    kind = DELIVERY_EVENT_OF.get(ResultEvent.Kind(event)) if event in ResultEvent.Kind.values else None
    if kind is not None:
        deliveries_result_changed(kind=kind, result_ids=result_ids, result_event_id=event_id)
