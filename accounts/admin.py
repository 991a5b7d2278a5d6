from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .admin_export import export_csv
from .admin_login import BoardLoginForm
from .approvals import approval_decide
from .models import Approval, AuditEvent, AuthFailure, CredentialLock, User
from .services import lock_lift
from .two_step import two_step_remove_by_board

# Every admin login goes through the brute-force guard with its TOTP code in the same try (admin_login.py).
admin.site.login_form = BoardLoginForm
admin.site.login_template = "admin/board_login.html"

LIFTED_IN_ADMIN = "Lifted by board staff in the admin."


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    actions = [export_csv]
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


class BoardInviteForm(forms.Form):
    email = forms.EmailField(label="Email address")
    groups: Any = forms.ModelMultipleChoiceField(
        queryset=Group.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="What they may do (permissions are given to groups).",
    )
    superuser = forms.BooleanField(required=False, label="Superuser (every permission; only a superuser may give it)")


class BoardSetupForm(forms.Form):
    password = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    otp_token = forms.CharField(
        label="Authentication code",
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


WRONG_SETUP_CODE = "That code is not right. Check the time on your phone and try the new code."


@admin.register(User)
class BoardUserAdmin(UserAdmin):
    """Users, with board staff invited by a one-time set-up link (password and authenticator), like centre staff."""

    actions = ["send_setup_link"]

    def get_urls(self) -> list[Any]:
        from django.urls import path

        return [
            path("invite/", self.admin_site.admin_view(self.invite_view), name="accounts_board_invite"),
            # Public: the token in the link is the credential (single use, dies with the password set).
            path("setup/<str:uidb64>/<str:token>/", self.setup_view, name="accounts_board_setup"),
            *super().get_urls(),
        ]

    def invite_view(self, request: HttpRequest) -> HttpResponse:
        """Invite a board staff member: the account is made without a password and they get a set-up link."""
        from django.contrib import messages
        from django.core.exceptions import PermissionDenied, ValidationError
        from django.db import transaction
        from django.shortcuts import redirect

        from .services import board_staff_invite
        from .tasks import board_setup_send

        if not self.has_add_permission(request):
            raise PermissionDenied
        form = BoardInviteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                user = board_staff_invite(
                    email=form.cleaned_data["email"],
                    actor=request.user,  # type: ignore[arg-type]
                    superuser=form.cleaned_data["superuser"],
                    group_ids=[group.pk for group in form.cleaned_data["groups"]],
                )
            except ValidationError as error:
                form.add_error("email", error)
            else:
                transaction.on_commit(lambda: board_setup_send.delay(user_id=user.pk))
                messages.success(request, f"A set-up link was sent to {user.email}.")
                return redirect("admin:accounts_user_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Invite a board staff member",
            "form": form,
            "opts": User._meta,
        }
        return TemplateResponse(request, "admin/accounts/board_invite.html", context)

    def setup_view(self, request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
        """Set up an invited board account: choose a password and pair an authenticator app (single-use link)."""
        from django.contrib.auth import login
        from django.shortcuts import redirect
        from django.utils.http import urlsafe_base64_decode
        from django_otp import login as otp_login

        from . import two_step
        from .services import board_setup_tokens, staff_setup_check, staff_setup_finish

        try:
            user = User.objects.get(pk=urlsafe_base64_decode(uidb64).decode(), is_active=True, is_staff=True)
        except (User.DoesNotExist, ValueError, UnicodeDecodeError):
            user = None
        context: dict[str, Any] = {**self.admin_site.each_context(request), "title": "Set up your board account"}
        if user is None or not board_setup_tokens.check_token(user, token):
            return TemplateResponse(request, "admin/accounts/board_setup_invalid.html", context, status=400)
        device = two_step.totp_device_pending(user=user)
        form = BoardSetupForm(request.POST or None)
        if (
            request.method == "POST"
            and form.is_valid()
            and staff_setup_check(form=form, user=user, device=device, wrong_code=WRONG_SETUP_CODE)
        ):
            password = form.cleaned_data["password"]
            staff_setup_finish(user=user, device=device, password=password, action="board_staff.setup")
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            otp_login(request, device)
            return redirect("admin:index")
        url = two_step.totp_config_url(device=device, label=user.email)
        context.update(
            {
                "form": form,
                "account": user,
                "qr_svg": two_step.totp_qr_svg(url=url, title="Authenticator set-up code"),
                "secret": two_step.totp_secret_base32(device=device),
            }
        )
        return TemplateResponse(request, "admin/accounts/board_setup.html", context)

    @admin.action(description="Send a new set-up link (lost phone): removes their authenticator and password")
    def send_setup_link(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:

        from .services import board_setup_link_renew

        me: Any = request.user.pk
        staff = list(queryset.filter(is_staff=True, centre_staff__isnull=True).exclude(pk=me))
        form = TwoStepRemoveForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            for user in staff:
                board_setup_link_renew(user=user, actor=request.user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
                _send_later(user.pk)
            self.message_user(request, f"A new set-up link was sent to {len(staff)} board staff account(s).")
            return None
        context = {
            **admin.site.each_context(request),
            "title": "Send a new set-up link",
            "form": form,
            "objects": staff,
            "action": "send_setup_link",
            "opts": User._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/accounts/setup_link.html", context)


def _send_later(user_id: int) -> None:
    """Email a board staff member their set-up link once the change that made it is committed."""
    from django.db import transaction

    from .tasks import board_setup_send

    transaction.on_commit(lambda: board_setup_send.delay(user_id=user_id))
