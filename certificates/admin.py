"""Board staff see every document, amendment and order (read-only history) and can revoke a document."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .models import CertificateAmendment, CertifyingStatementOrder, Document
from .services import document_revoke


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is written by the services (and audited): the admin only looks."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RevokeForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Recorded in the audit trail.")


@admin.action(description="Revoke the selected documents (their QR page then says so)", permissions=["revoke"])
def revoke(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Document]) -> HttpResponse | None:
    form = RevokeForm(request.POST if "reason" in request.POST else None)
    if form.is_valid():
        for document in queryset:
            document_revoke(document=document, actor=request.user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
        messages.success(request, f"Revoked {queryset.count()} document(s).")
        return None
    context = {
        **admin.site.each_context(request),
        "title": "Revoke documents",
        "form": form,
        "documents": queryset.select_related("result__entry"),
        "opts": Document._meta,
        "action": "revoke",
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/certificates/revoke.html", context)


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["uuid", "kind", "result", "result_version", "status", "rendered_at", "created_at"]
    list_filter = ["kind", "status", "result__entry__session__exam", "created_at"]
    list_select_related = ["result__entry"]
    search_fields = ["result__entry__candidate_id", "=uuid"]
    readonly_fields = [f.name for f in Document._meta.fields]
    actions = [revoke]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("certificates.change_document"))


@admin.register(CertificateAmendment)
class CertificateAmendmentAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "certificate", "reason", "status", "requested_at", "returned_at", "issued_at"]
    list_filter = ["status", "reason", "requested_at"]
    list_select_related = ["certificate"]
    search_fields = ["certificate__result__entry__candidate_id", "=public_id"]
    readonly_fields = [f.name for f in CertificateAmendment._meta.fields]


@admin.register(CertifyingStatementOrder)
class CertifyingStatementOrderAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "result", "payment_method", "amount", "status", "ordered_at", "paid_at"]
    list_filter = ["status", "payment_method", "ordered_at"]
    list_select_related = ["result__entry"]
    search_fields = ["result__entry__candidate_id", "=public_id", "payment_reference"]
    readonly_fields = [f.name for f in CertifyingStatementOrder._meta.fields]
