"""Board staff see every document, amendment and order (history written by the services, audited), revoke a
document, record the payment of a certifying statement (which produces it) and decide duplicate certificates."""

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from accounts.models import User

from .duplicates import duplicate_certificate_issue, duplicate_certificate_refuse
from .models import CertificateAmendment, CertifyingStatementOrder, Document, DuplicateCertificateRequest
from .services import PAYMENT_METHODS_ACCEPTED, certifying_statement_mark_paid, document_revoke


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


class PaymentForm(forms.ModelForm):
    """The board records the payment it received; saving it produces the certifying statement."""

    class Meta:
        model = CertifyingStatementOrder
        fields = ["payment_method", "payment_reference"]

    actor: User

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "payment_method" in self.fields:
            field = cast(forms.ChoiceField, self.fields["payment_method"])
            field.choices = [("", "---------")] + [
                (c.value, c.label) for c in CertifyingStatementOrder.PaymentMethod if c in PAYMENT_METHODS_ACCEPTED
            ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            try:
                certifying_statement_mark_paid(
                    order=self.instance,
                    actor=self.actor,
                    payment_method=cleaned.get("payment_method") or "",
                    payment_reference=cleaned.get("payment_reference") or "",
                )
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


class ServiceFormAdmin(admin.ModelAdmin):
    """A request that the board decides on its change page: the form's ``clean`` calls the service (audited)."""

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form: Any = super().get_form(request, obj, change, **kwargs)
        form.actor = cast(User, request.user)
        return form

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # candidates order, centres ask

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        """Nothing to save: the form's ``clean`` did it through the service."""

    readonly: list[str]  # what the page shows and nobody edits
    decision: list[str]  # the form's fields while the request is open
    decided: list[str]  # what is shown of the decision once it is made
    open_status: str

    def _open(self, obj: Any) -> bool:
        return obj is None or obj.status == self.open_status

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*self.readonly, *(self.decision if self._open(obj) else self.decided)]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.readonly) if self._open(obj) else [*self.readonly, *self.decided]


@admin.register(CertifyingStatementOrder)
class CertifyingStatementOrderAdmin(ServiceFormAdmin):
    form = PaymentForm
    list_display = ["public_id", "candidate_id", "payment_method", "amount", "status", "ordered_at", "paid_at"]
    list_filter = ["status", "payment_method", "ordered_at"]
    list_select_related = ["result__entry"]
    search_fields = ["result__entry__candidate_id", "=public_id", "payment_reference"]
    readonly = [
        "public_id",
        "result",
        "account",
        "ordered_by",
        "amount",
        "status",
        "ordered_at",
        "paid_at",
        "paid_recorded_by",
        "issued_at",
        "document",
    ]
    decision = decided = ["payment_method", "payment_reference"]
    open_status = CertifyingStatementOrder.Status.ORDERED

    @admin.display(description="Candidate ID", ordering="result__entry__candidate_id")
    def candidate_id(self, obj: CertifyingStatementOrder) -> str:
        return obj.result.entry.candidate_id


class DuplicateDecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(
        choices=[("", "---------"), ("issue", "Approve: produce the duplicate"), ("refuse", "Refuse")],
        help_text="Approving produces the duplicate, which replaces the certificate (its QR page says so).",
    )

    class Meta:
        model = DuplicateCertificateRequest
        fields = ["refusal"]

    actor: User

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            if cleaned.get("decision") == "issue":
                duplicate_certificate_issue(request=self.instance, actor=self.actor)
            elif cleaned.get("decision") == "refuse":
                duplicate_certificate_refuse(
                    request=self.instance, actor=self.actor, refusal=cleaned.get("refusal") or ""
                )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


@admin.register(DuplicateCertificateRequest)
class DuplicateCertificateRequestAdmin(ServiceFormAdmin):
    form = DuplicateDecisionForm
    list_display = ["requested_at", "candidate_id", "reason", "trace_reference", "fee", "status", "decided_at"]
    list_filter = ["status", "reason", "requested_at"]
    list_select_related = ["certificate__result__entry"]
    search_fields = ["certificate__result__entry__candidate_id", "=public_id", "trace_reference"]
    readonly = [
        "public_id",
        "certificate",
        "reason",
        "requested_by",
        "requested_at",
        "in_writing",
        "trace_reference",
        "original_returned",
        "fee",
        "status",
        "decided_by",
        "decided_at",
        "duplicate",
    ]
    decision, decided = ["decision", "refusal"], ["refusal"]
    open_status = DuplicateCertificateRequest.Status.REQUESTED

    @admin.display(description="Candidate ID", ordering="certificate__result__entry__candidate_id")
    def candidate_id(self, obj: DuplicateCertificateRequest) -> str:
        return obj.certificate.result.entry.candidate_id
