from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .models import ComponentScore, OutgoingEmail, Result, ResultAmendment
from .services import result_hold, result_unhold


class ComponentScoreInline(admin.TabularInline):
    model = ComponentScore
    extra = 0
    raw_id_fields = ["component"]


class ResultAmendmentInline(admin.TabularInline):
    model = ResultAmendment
    extra = 0
    readonly_fields = ["version", "at", "actor", "reason", "before", "after"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Recorded in the audit trail.")


def _with_reason(
    request: HttpRequest, queryset: QuerySet[Result], *, action: str, title: str, apply: Any
) -> HttpResponse | None:
    """Ask for a reason on an intermediate page, then apply ``apply`` to every selected result."""
    form = ReasonForm(request.POST if "reason" in request.POST else None)
    if form.is_valid():
        for result in queryset:
            apply(result=result, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, f"{title}: {queryset.count()} result(s).")
        return None
    context = {
        **admin.site.each_context(request),
        "title": title,
        "form": form,
        "results": queryset.select_related("entry"),
        "action": action,
        "opts": Result._meta,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/results/reason.html", context)


@admin.action(description="Hold the selected results (hide them, shown as 'Q')")
def hold(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Result]) -> HttpResponse | None:
    return _with_reason(request, queryset, action="hold", title="Hold results", apply=result_hold)


@admin.action(description="Release the selected held results again")
def unhold(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Result]) -> HttpResponse | None:
    return _with_reason(request, queryset, action="unhold", title="Release held results", apply=result_unhold)


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    """Results are written by imports; here board staff look, hold and release again (audited)."""

    list_display = ["entry", "status", "overall_score", "grade", "cefr_level", "released_at", "version"]
    list_filter = ["status", "entry__session__exam", "entry__session"]
    list_select_related = ["entry"]
    search_fields = ["entry__candidate_id"]
    readonly_fields = [f.name for f in Result._meta.fields]
    inlines = [ComponentScoreInline, ResultAmendmentInline]
    actions = [hold, unhold]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Result | None = None) -> bool:
        return False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "state", "account", "result", "attempts", "created_at", "sent_at"]
    list_filter = ["state", "kind"]
    list_select_related = ["account__user", "result__entry"]
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
