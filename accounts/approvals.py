"""Two-person control: a change that decides what candidates see waits for a second board user's approval.

The app that owns a change decides when it needs approval and registers how to apply it
(``approval_kind``); here one board user asks (``approval_request``) and another decides
(``approval_decide``). The one who asked can never approve, and every step is audited: who asked, who decided,
when and why. Which changes: docs/domain.md §12.7.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .models import Approval, User
from .services import audit_record

Apply = Callable[[dict[str, Any], User], None]
_APPLIERS: dict[str, Apply] = {}

REASON_REQUIRED = "Say why: the reason is recorded with the request."
SELF_APPROVAL = "A second board user must decide: you asked for this change."
ALREADY_DECIDED = "This request was already decided."


def approval_kind(name: str) -> Callable[[Apply], Apply]:
    """Register how to apply an approved change of kind ``name`` (called with its payload and the approver)."""

    def register(apply: Apply) -> Apply:
        _APPLIERS[name] = apply
        return apply

    return register


def approval_request(*, kind: str, summary: str, payload: dict[str, Any], actor: User, reason: str) -> Approval:
    """Record a change waiting for a second board user; nothing is applied yet."""
    if kind not in _APPLIERS:
        raise ValueError(f"no approval kind {kind!r}")
    if not reason.strip():
        raise ValidationError(REASON_REQUIRED)
    approval = Approval.objects.create(
        kind=kind, summary=summary[:300], payload=payload, reason=reason.strip(), requested_by=actor
    )
    audit_record(
        actor=actor, action="approval.request", subject=kind, reason=reason.strip(), detail={"id": approval.pk}
    )
    return approval


@transaction.atomic
def approval_decide(*, approval: Approval, actor: User, approve: bool, note: str = "") -> Approval:
    """Approve (and apply, in the same transaction) or reject a waiting change; never by the one who asked."""
    approval = Approval.objects.select_for_update().get(pk=approval.pk)
    if approval.status != Approval.Status.PENDING:
        raise ValidationError(ALREADY_DECIDED)
    if approval.requested_by_id == actor.pk:
        raise PermissionDenied(SELF_APPROVAL)
    approval.decided_by, approval.decided_at, approval.decision_note = actor, timezone.now(), note.strip()
    if approve:
        try:
            with transaction.atomic():
                _APPLIERS[approval.kind](approval.payload, actor)
        except ValidationError as error:
            approval.status = Approval.Status.FAILED
            approval.decision_note = "; ".join([*error.messages, approval.decision_note]).strip("; ")
        else:
            approval.status = Approval.Status.APPLIED
    else:
        approval.status = Approval.Status.REJECTED
    approval.save()
    audit_record(
        actor=actor,
        action=f"approval.{approval.status}",
        subject=approval.kind,
        reason=approval.decision_note,
        detail={"id": approval.pk, "requested_by": approval.requested_by_id},
    )
    return approval
