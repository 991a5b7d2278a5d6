"""Writes shared by every app: the audit trail."""

from typing import Any

from .models import AuditEvent, User


def audit_record(
    *, actor: User | None, action: str, subject: str = "", reason: str = "", detail: dict[str, Any] | None = None
) -> AuditEvent:
    """Record who did what to whom and why (docs/domain.md §12: every staff action on a person's data)."""
    return AuditEvent.objects.create(actor=actor, action=action, subject=subject, reason=reason, detail=detail or {})
