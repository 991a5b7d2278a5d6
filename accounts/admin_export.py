"""An admin action shared by the board's lists: export the selected rows (or "select all" of a filtered list) as CSV.

The columns are the list's own (``list_display``), as shown; the file goes through the one CSV writer
(``results_portal.downloads``: formula cells neutralised, a byte-order mark) and is never cached. Each export is
audited (who, which list, how many rows), since the lists hold personal data.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import label_for_field, lookup_field
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import strip_tags

from results_portal.downloads import csv_response

from .services import audit_record

EXPORT_MAX_ROWS = 100_000


def _columns(modeladmin: admin.ModelAdmin, request: HttpRequest) -> list[str]:
    return [
        str(name)
        for name in modeladmin.get_list_display(request)
        if isinstance(name, str) and name != "action_checkbox"
    ]


def _cell(name: str, obj: Any, modeladmin: admin.ModelAdmin) -> object:
    _field, _attr, value = lookup_field(name, obj, modeladmin)
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool | int | float):
        return value
    return strip_tags(str(value))


@admin.action(description="Export the selected rows as CSV")
def export_csv(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
    columns = _columns(modeladmin, request)
    model = modeladmin.model
    header = [str(label_for_field(name, model, modeladmin)) for name in columns]
    rows = [[_cell(name, obj, modeladmin) for name in columns] for obj in queryset[:EXPORT_MAX_ROWS]]
    audit_record(
        actor=request.user,  # type: ignore[arg-type]
        action="admin.export",
        subject=model._meta.label,
        detail={"rows": len(rows)},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csv_response(header=header, rows=rows, filename=f"{model._meta.model_name}-{stamp}.csv")
