"""Board staff's side of missing and incomplete results (MIR) requests: investigate, resolve, write the resolution.

Centres raise the requests (web.centre.views.unitised); here the board moves them on. ``resolved_at`` is set by
``missing_result_request_update``, which also audits every change. Imported by centres/admin.py.
"""

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from accounts.models import User

from .mir import MIR_RESOLUTION_REQUIRED, missing_result_request_update
from .models import MissingResultRequest


class MissingResultRequestForm(forms.ModelForm):
    class Meta:
        model = MissingResultRequest
        fields = ["status", "resolution"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        resolved = cleaned.get("status") == MissingResultRequest.Status.RESOLVED
        if resolved and not str(cleaned.get("resolution") or "").strip():
            self.add_error("resolution", MIR_RESOLUTION_REQUIRED)
        return cleaned


@admin.register(MissingResultRequest)
class MissingResultRequestAdmin(admin.ModelAdmin):
    form = MissingResultRequestForm
    list_display = ["created_at", "candidate_id", "centre_number", "qualification", "unit", "status", "resolved_at"]
    list_select_related = ["entry__centre", "entry__session__exam", "unit"]
    list_filter = ["status", "entry__session__exam"]
    search_fields = ["entry__candidate_id", "entry__person__last_name", "entry__centre__number"]
    date_hierarchy = "created_at"
    fields = [
        "public_id",
        "entry",
        "unit",
        "description",
        "created_by",
        "created_at",
        "status",
        "resolution",
        "resolved_at",
    ]
    readonly_fields = ["public_id", "entry", "unit", "description", "created_by", "created_at", "resolved_at"]

    @admin.display(description="Candidate ID", ordering="entry__candidate_id")
    def candidate_id(self, obj: MissingResultRequest) -> str:
        return obj.entry.candidate_id

    @admin.display(description="Centre", ordering="entry__centre__number")
    def centre_number(self, obj: MissingResultRequest) -> str:
        return obj.entry.centre.number

    @admin.display(description="Qualification and series")
    def qualification(self, obj: MissingResultRequest) -> str:
        return f"{obj.entry.session.exam.code} {obj.entry.session.date:%B %Y}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # centres raise requests from their results pages

    def has_delete_permission(self, request: HttpRequest, obj: MissingResultRequest | None = None) -> bool:
        return False  # tracked to resolution: a request is resolved, never deleted

    def save_model(self, request: HttpRequest, obj: MissingResultRequest, form: forms.ModelForm, change: bool) -> None:
        missing_result_request_update(
            mir=obj, status=obj.status, resolution=obj.resolution, actor=cast(User, request.user)
        )
