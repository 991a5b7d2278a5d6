"""Candidate accounts for board staff: who holds which entries, last login, locks; detach, disable, lift."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from accounts.admin import two_step_remove_action
from accounts.guard import guard_locked_until
from accounts.services import audit_record, lock_lift

from .models import CandidateAccount, LinkedEntry
from .services import entry_detach

BY_BOARD = "By board staff in the admin, on the candidate's or the centre's report."


class LinkedEntryInline(admin.TabularInline):
    model = LinkedEntry
    fields = ["entry", "linked_at"]
    readonly_fields = ["entry", "linked_at"]
    extra = 0
    can_delete = False


@admin.register(CandidateAccount)
class CandidateAccountAdmin(admin.ModelAdmin):
    """Read-only but for the audited actions: an account's entries change only through them."""

    list_display = ["pk", "email", "entries", "email_confirmed_at", "last_login", "active", "two_step"]
    list_select_related = ["user"]
    search_fields = ["user__email", "links__entry__candidate_id"]
    # The lock state is read per entry, so it is shown on the account's own page only (not per row of the list).
    readonly_fields = ["user", "email_confirmed_at", "language", "created_at", "locked"]
    inlines = [LinkedEntryInline]
    actions = ["detach_entries", "disable", "lift_locks", "remove_two_step"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CandidateAccount]:
        return super().get_queryset(request).prefetch_related("links__entry")

    @admin.display(description="email")
    def email(self, account: CandidateAccount) -> str:
        return account.user.email

    @admin.display(description="Candidate IDs")
    def entries(self, account: CandidateAccount) -> str:
        return ", ".join(link.entry.candidate_id for link in account.links.all())

    @admin.display(description="last login")
    def last_login(self, account: CandidateAccount) -> Any:
        return account.user.last_login

    @admin.display(description="active", boolean=True)
    def active(self, account: CandidateAccount) -> bool:
        return account.user.is_active

    @admin.display(description="two-step", boolean=True)
    def two_step(self, account: CandidateAccount) -> bool:
        return account.user.two_step_enabled

    @admin.display(description="locked (password)", boolean=True)
    def locked(self, account: CandidateAccount) -> bool:
        return any(
            guard_locked_until(kind="password", identifier=link.entry.candidate_id) for link in account.links.all()
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Detach every entry from the selected accounts (the holders are emailed)")
    def detach_entries(self, request: HttpRequest, queryset: QuerySet[CandidateAccount]) -> None:
        for account in queryset:
            for link in account.links.select_related("entry"):
                entry_detach(entry=link.entry, actor=request.user, reason=BY_BOARD)
        self.message_user(request, "Entries detached.")

    @admin.action(description="Disable the selected accounts (they can no longer log in)")
    def disable(self, request: HttpRequest, queryset: QuerySet[CandidateAccount]) -> None:
        for account in queryset.select_related("user"):
            account.user.is_active = False
            account.user.save(update_fields=["is_active"])
            audit_record(actor=request.user, action="account.disabled", subject=account.user.email, reason=BY_BOARD)  # type: ignore[arg-type]
        self.message_user(request, "Accounts disabled.")

    @admin.action(description="Lift the login locks of the selected accounts")
    def lift_locks(self, request: HttpRequest, queryset: QuerySet[CandidateAccount]) -> None:
        for account in queryset:
            for link in account.links.select_related("entry"):
                for kind in ("password", "secret"):
                    lock_lift(kind=kind, identifier=link.entry.candidate_id, actor=request.user, reason=BY_BOARD)  # type: ignore[arg-type]
        self.message_user(request, "Locks lifted.")

    @admin.action(description="Remove two-step verification (lost phone and recovery codes; asks for a reason)")
    def remove_two_step(self, request: HttpRequest, queryset: QuerySet[CandidateAccount]) -> HttpResponse | None:
        return two_step_remove_action(
            self,
            request,
            queryset.select_related("user"),
            action="remove_two_step",
            user_of=lambda account: account.user,
            language_of=lambda account: account.language,
        )
