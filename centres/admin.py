from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from . import admin_mir  # noqa: F401 - registers the missing/incomplete results admin
from .models import Candidate, Centre, Entry, StaffMember
from .services import staff_setup_link_send


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "country", "email"]
    search_fields = ["number", "name"]


SETUP_LINK_FROM_ADMIN = "Lost authenticator or expired set-up: new set-up link sent by board staff from the admin."


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "centre"]
    list_select_related = ["user", "centre"]
    autocomplete_fields = ["centre"]
    raw_id_fields = ["user"]
    actions = ["send_setup_link"]

    @admin.action(description="Send a new set-up link (lost phone or authenticator): new password and app")
    def send_setup_link(self, request: HttpRequest, queryset: QuerySet[StaffMember]) -> None:
        """Email each selected member a one-time set-up link to their own address (audited)."""
        for member in queryset.select_related("user", "centre"):
            staff_setup_link_send(member=member, actor=request.user, reason=SETUP_LINK_FROM_ADMIN)  # type: ignore[arg-type]
        self.message_user(request, f"{queryset.count()} set-up link(s) sent.")


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "date_of_birth", "centre"]
    list_select_related = ["centre"]
    search_fields = ["last_name", "first_name", "email"]
    list_filter = ["centre"]


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ["candidate_id", "person", "session", "centre", "status"]
    list_select_related = ["person", "session__exam", "centre"]
    search_fields = ["candidate_id", "person__last_name"]
    list_filter = ["status", "centre", "session__exam"]
    readonly_fields = ["public_id", "secret_issued_at", "created_at"]
    exclude = ["secret_hash"]
    raw_id_fields = ["person", "session"]
