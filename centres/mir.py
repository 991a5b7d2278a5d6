"""Missing and incomplete results (MIR) requests: raised by a centre, free, tracked by the board to resolution.

Rules: docs/domain.md §8 and §13 'Centre results files and reports'.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from exams.models import Component

from .models import Centre, Entry, MissingResultRequest

# --- Missing and incomplete results (MIR) -------------------------------------------------------------------
MIR_DESCRIPTION_REQUIRED = "Describe what is missing or incomplete: the board reads it first."
MIR_UNIT_NOT_IN_QUALIFICATION = "{unit} is not a unit of {qualification}."
MIR_RESOLUTION_REQUIRED = "Write the resolution the centre will read before marking the request resolved."


@transaction.atomic
def missing_result_request_create(
    *, entry: Entry, unit: Component | None, description: str, actor: User
) -> MissingResultRequest:
    """Record a centre's missing or incomplete results request (free of charge) for a student, maybe one unit."""
    if not description.strip():
        raise ValidationError(MIR_DESCRIPTION_REQUIRED)
    exam = entry.session.exam
    if unit is not None and unit.exam_id != exam.pk:
        raise ValidationError(MIR_UNIT_NOT_IN_QUALIFICATION.format(unit=unit.code, qualification=exam.name))
    mir = MissingResultRequest.objects.create(
        entry=entry, unit=unit, description=description.strip(), created_by=actor
    )
    audit_record(
        actor=actor,
        action="mir.create",
        subject=entry.candidate_id,
        detail={"mir": str(mir.public_id), "unit": unit.code if unit is not None else ""},
    )
    return mir


@transaction.atomic
def missing_result_request_update(
    *, mir: MissingResultRequest, status: str, resolution: str, actor: User | None, now: dt.datetime | None = None
) -> MissingResultRequest:
    """Move an MIR request on (received → being investigated → resolved) and record the board's resolution.

    ``resolved_at`` is set when it becomes resolved and cleared if it is reopened; every change is audited.
    """
    if status == MissingResultRequest.Status.RESOLVED and not resolution.strip():
        raise ValidationError(MIR_RESOLUTION_REQUIRED)
    locked = MissingResultRequest.objects.select_for_update().select_related("entry").get(pk=mir.pk)
    before = {"status": locked.status, "resolution": locked.resolution}
    locked.status, locked.resolution = status, resolution.strip()
    if status == MissingResultRequest.Status.RESOLVED:
        locked.resolved_at = locked.resolved_at or now or timezone.now()
    else:
        locked.resolved_at = None
    locked.save(update_fields=["status", "resolution", "resolved_at"])
    after = {"status": locked.status, "resolution": locked.resolution}
    if before != after:
        audit_record(
            actor=actor,
            action="mir.update",
            subject=locked.entry.candidate_id,
            detail={"mir": str(locked.public_id), "before": before, "after": after},
        )
    mir.status, mir.resolution, mir.resolved_at = locked.status, locked.resolution, locked.resolved_at
    return locked


def missing_result_requests_for(*, centre: Centre) -> QuerySet[MissingResultRequest]:
    """Return the centre's MIR requests, newest first, with what the list shows."""
    return MissingResultRequest.objects.filter(entry__centre=centre).select_related(
        "entry__person", "entry__session__exam", "unit"
    )
