"""What candidate accounts follow: a centre's reissue that detaches an entry (``centres.signals``)."""

from typing import Any

from django.dispatch import receiver

from centres.models import Entry
from centres.signals import entry_reissued

from .services import entry_detach


@receiver(entry_reissued, dispatch_uid="candidates_detach_on_reissue")
def detach_on_reissue(sender: object, entry: Entry, actor: Any, reason: str, detach: bool, **kwargs: Any) -> None:
    """Take the reissued entry out of the account it is linked to, when the centre asked for it."""
    if detach:
        entry_detach(entry=entry, actor=actor, reason=reason)
