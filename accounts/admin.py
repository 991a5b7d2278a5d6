from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .admin_login import BoardLoginForm
from .approvals import approval_decide
from .models import Approval, AuditEvent, AuthFailure, CredentialLock, User
from .services import lock_lift
from .two_step import two_step_remove_by_board

# Every admin login goes through the brute-force guard with its TOTP code in the same try (admin_login.py).
admin.site.login_form = BoardLoginForm
admin.site.login_template = "admin/board_login.html"
admin.site.register(User, UserAdmin)

LIFTED_IN_ADMIN = "Lifted by board staff in the admin."


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "subject", "actor", "reason"]
    list_filter = ["action"]
    search_fields = ["subject", "reason"]
    list_select_related = ["actor"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False


# Brute-force protection (accounts/guard.py): read-only, for looking into a candidate's or a centre's report.


@admin.register(CredentialLock)
class CredentialLockAdmin(admin.ModelAdmin):
    list_display = ["identifier", "kind", "failures", "locks", "locked_until", "last_failure_at"]
    list_filter = ["kind"]
    search_fields = ["identifier"]
    actions = ["lift"]

    @admin.action(description="Lift the selected locks (the owner was locked out by someone else's guesses)")
    def lift(self, request: HttpRequest, queryset: QuerySet[CredentialLock]) -> None:
        """Lift each selected lock through the one service, audited as lifted by this board user."""
        for lock in queryset:
            lock_lift(kind=lock.kind, identifier=lock.identifier, actor=request.user, reason=LIFTED_IN_ADMIN)  # type: ignore[arg-type]
        self.message_user(request, f"{queryset.count()} lock(s) lifted.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: CredentialLock | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: CredentialLock | None = None) -> bool:
        return False


@admin.register(AuthFailure)
class AuthFailureAdmin(admin.ModelAdmin):
    list_display = ["at", "kind", "identifier", "ip", "purpose", "caused_lock"]
    list_filter = ["kind", "purpose", "caused_lock"]
    search_fields = ["identifier", "ip"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuthFailure | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuthFailure | None = None) -> bool:
        return False


# --- Two-step verification: the board removes it for a holder who lost every factor (accounts/two_step.py) ---------
class TwoStepRemoveForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded in the audit trail: who asked, and how you checked it was the account's holder.",
    )


def two_step_remove_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    action: str,
    user_of: Callable[[Any], User],
    language_of: Callable[[Any], str],
) -> HttpResponse | None:
    """Ask for a reason on an intermediate page, then remove the second factors of each selected account.

    Shared by the admin of candidate accounts and of verifier organisations: ``user_of`` gives an object's user,
    ``language_of`` the language of the email its holder gets.
    """
    form = TwoStepRemoveForm(request.POST if "reason" in request.POST else None)
    if form.is_valid():
        removed = sum(
            two_step_remove_by_board(
                user=user_of(obj),
                actor=request.user,  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
                language=language_of(obj),
            )
            for obj in queryset
        )
        modeladmin.message_user(request, f"Two-step verification removed from {removed} account(s); each was emailed.")
        return None
    model: type[Model] = modeladmin.model
    context = {
        **admin.site.each_context(request),
        "title": "Remove two-step verification",
        "form": form,
        "objects": list(queryset),
        "action": action,
        "opts": model._meta,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/accounts/two_step_remove.html", context)


@admin.register(Approval)
class ApprovalAdmin(admin.ModelAdmin):
    """Changes waiting for a second board user (docs/domain.md §12.7): approve applies them, reject drops them."""

    list_display = ["summary", "status", "requested_by", "requested_at", "reason", "decided_by", "decided_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["requested_by", "decided_by"]
    readonly_fields = [f.name for f in Approval._meta.fields]
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _decide(self, request: HttpRequest, queryset: QuerySet[Approval], *, approve: bool) -> None:
        from django.contrib import messages
        from django.core.exceptions import PermissionDenied, ValidationError

        if not request.user.has_perm("accounts.decide_approval"):
            messages.error(request, "You may not decide approvals.")
            return
        for approval in queryset:
            try:
                decided = approval_decide(approval=approval, actor=request.user, approve=approve)  # type: ignore[arg-type]
            except (PermissionDenied, ValidationError) as error:
                text = error.messages[0] if isinstance(error, ValidationError) else str(error)
                messages.error(request, f"{approval.summary}: {text}")
            else:
                messages.success(request, f"{decided.summary}: {decided.get_status_display()}.")

    @admin.action(description="Approve and apply the selected changes")
    def approve(self, request: HttpRequest, queryset: QuerySet[Approval]) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(description="Reject the selected changes")
    def reject(self, request: HttpRequest, queryset: QuerySet[Approval]) -> None:
        self._decide(request, queryset, approve=False)
