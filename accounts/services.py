"""Writes shared by every app: the audit trail, and lifting a lock."""

from typing import Any

from django.core.exceptions import ValidationError

from .guard import guard_reset
from .models import AuditEvent, User


def audit_record(
    *, actor: User | None, action: str, subject: str = "", reason: str = "", detail: dict[str, Any] | None = None
) -> AuditEvent:
    """Record who did what to whom and why (docs/domain.md §12: every staff action on a person's data)."""
    return AuditEvent.objects.create(actor=actor, action=action, subject=subject, reason=reason, detail=detail or {})


LOCK_LIFT_REASON_REQUIRED = "Say why the lock is lifted: it is recorded in the audit trail."


def lock_lift(*, kind: str, identifier: str, actor: User | None, reason: str) -> None:
    """Lift an identifier's lock and forget its failures, on the word of its centre or the board (audited).

    For the owner locked out by someone else's guesses; the doubling starts again from the first lock.
    """
    if not reason.strip():
        raise ValidationError(LOCK_LIFT_REASON_REQUIRED)
    guard_reset(kind=kind, identifier=identifier)
    audit_record(actor=actor, action="lock.lift", subject=identifier, reason=reason.strip(), detail={"kind": kind})
