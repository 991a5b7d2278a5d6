"""Board staff's side of enquiries about results: start them, record the outcome, see the counts per session.

Centres raise enquiries (web.centre.views.enquiries); here the board works them. Every change goes through
``results.enquiries`` (audited; a changed mark is an amendment through the results import). Imported by
results/admin.py.
"""

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from accounts.admin_export import export_csv
from accounts.models import User

from .enquiries import OUTCOME_SCORE_NEEDED, enquiry_complete, enquiry_counts_by_session, enquiry_start
from .models import ResultEnquiry


class EnquiryOutcomeForm(forms.ModelForm):
    new_score = forms.IntegerField(
        required=False,
        min_value=0,
        help_text=(
            "The component's new mark when the outcome changes it: a scale score, or the raw mark of a unit or of a "
            "legacy sitting's paper."
        ),
    )

    class Meta:
        model = ResultEnquiry
        fields = ["outcome", "outcome_note"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        outcome = cleaned.get("outcome")
        if outcome and outcome != ResultEnquiry.Outcome.NO_CHANGE and cleaned.get("new_score") is None:
            self.add_error("new_score", OUTCOME_SCORE_NEEDED.error(component=self.instance.component.name))
        if outcome and not self.errors:
            # The outcome is recorded here, in the form's own transaction, so a refusal shows on the form.
            try:
                enquiry_complete(
                    enquiry=self.instance,
                    actor=self.actor,
                    outcome=outcome,
                    new_score=cleaned.get("new_score"),
                    note=cleaned.get("outcome_note") or "",
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned

    actor: User


@admin.register(ResultEnquiry)
class ResultEnquiryAdmin(admin.ModelAdmin):
    form = EnquiryOutcomeForm
    list_display = [
        "raised_at",
        "candidate_id",
        "centre_number",
        "session",
        "component",
        "service",
        "status",
        "outcome",
        "fee",
        "fee_waived",
        "completed_at",
    ]
    list_select_related = ["result__entry__centre", "result__entry__session__exam", "component__exam"]
    list_filter = ["status", "service", "outcome", "fee_waived", "result__entry__session__exam"]
    search_fields = [
        "result__entry__candidate_id",
        "result__entry__person__last_name",
        "result__entry__centre__number",
    ]
    date_hierarchy = "raised_at"
    actions = ["start", export_csv]
    change_list_template = "admin/results/resultenquiry/change_list.html"
    readonly_fields = [
        "public_id",
        "result",
        "component",
        "service",
        "consent_given",
        "fee",
        "fee_waived",
        "status",
        "score_before",
        "grade_before",
        "score_after",
        "grade_after",
        "result_version_after",
        "raised_by",
        "raised_at",
        "started_by",
        "started_at",
        "completed_by",
        "completed_at",
    ]

    def get_fields(self, request: HttpRequest, obj: ResultEnquiry | None = None) -> Any:
        editable = [] if obj is not None and obj.status == ResultEnquiry.Status.COMPLETED else ["outcome", "new_score"]
        return [*self.readonly_fields, *editable, "outcome_note"]

    def get_readonly_fields(self, request: HttpRequest, obj: ResultEnquiry | None = None) -> list[str]:
        if obj is not None and obj.status == ResultEnquiry.Status.COMPLETED:
            return [*self.readonly_fields, "outcome", "outcome_note"]
        return list(self.readonly_fields)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form: Any = super().get_form(request, obj, change, **kwargs)
        form.actor = cast(User, request.user)
        return form

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "by-session/",
                self.admin_site.admin_view(self.by_session_view),
                name="results_resultenquiry_by_session",
            ),
        ]
        return extra + super().get_urls()

    def by_session_view(self, request: HttpRequest) -> HttpResponse:
        """Counts of enquiries per session and state, and how many changed a grade."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Enquiries about results by session",
            "rows": enquiry_counts_by_session(),
            "opts": ResultEnquiry._meta,
        }
        return TemplateResponse(request, "admin/results/resultenquiry/by_session.html", context)

    @admin.display(description="Candidate ID", ordering="result__entry__candidate_id")
    def candidate_id(self, obj: ResultEnquiry) -> str:
        return obj.result.entry.candidate_id

    @admin.display(description="Centre", ordering="result__entry__centre__number")
    def centre_number(self, obj: ResultEnquiry) -> str:
        return obj.result.entry.centre.number

    @admin.display(description="Session")
    def session(self, obj: ResultEnquiry) -> str:
        return str(obj.result.entry.session)

    @admin.display(description="Consent")
    def consent_given(self, obj: ResultEnquiry) -> str:
        consent = obj.consent
        if consent.source == consent.Source.WRITTEN:
            return f"Written, signed by {consent.signed_by} on {consent.signed_on:%d %B %Y}"
        return f"Given by the candidate in their account on {consent.given_at:%d %B %Y %H:%M}"

    @admin.action(description="Start work on the selected enquiries (received → in progress)")
    def start(self, request: HttpRequest, queryset: QuerySet[ResultEnquiry]) -> None:
        started = 0
        for enquiry in queryset.filter(status=ResultEnquiry.Status.RECEIVED):
            enquiry_start(enquiry=enquiry, actor=cast(User, request.user))
            started += 1
        messages.success(request, f"{started} enquiry(ies) in progress.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # centres raise enquiries from their area

    def has_delete_permission(self, request: HttpRequest, obj: ResultEnquiry | None = None) -> bool:
        return False  # an enquiry is completed, never deleted

    def save_model(self, request: HttpRequest, obj: ResultEnquiry, form: forms.ModelForm, change: bool) -> None:
        """Nothing to save: the form's ``clean`` recorded the outcome through ``enquiry_complete``."""
