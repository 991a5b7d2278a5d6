from collections.abc import Callable
from typing import cast

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin_export import export_csv
from accounts.models import User

from . import admin_mir  # noqa: F401 - registers the missing/incomplete results admin
from .models import Candidate, Centre, Entry, StaffMember
from .services import staff_deactivate, staff_role_change, staff_setup_link_send


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "country", "email"]
    search_fields = ["number", "name"]


SETUP_LINK_FROM_ADMIN = "Lost authenticator or expired set-up: new set-up link sent by board staff from the admin."


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    """Centre staff accounts. Roles change and leavers are deactivated through actions, which are audited and keep
    an active exams officer at every centre (the same services as the exams officer's staff page)."""

    list_display = ["user", "centre", "role", "deactivated_at"]
    list_filter = ["role", ("deactivated_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "centre__number"]
    list_select_related = ["user", "centre"]
    autocomplete_fields = ["centre"]
    raw_id_fields = ["user"]
    actions = ["send_setup_link", "make_exams_officer", "make_head_of_centre", "make_staff", "deactivate"]

    def get_readonly_fields(self, request: HttpRequest, obj: StaffMember | None = None) -> list[str]:
        # A new member's role is set here; an existing member's through the audited actions.
        return ["role", "deactivated_at"] if obj is not None else ["deactivated_at"]

    def _each(
        self, request: HttpRequest, queryset: QuerySet[StaffMember], change: Callable[[StaffMember], None]
    ) -> None:
        done = 0
        for member in queryset.select_related("user", "centre"):
            try:
                change(member)
            except ValidationError as error:
                self.message_user(request, f"{member.user.email}: {' '.join(error.messages)}", level=messages.ERROR)
            else:
                done += 1
        self.message_user(request, f"{done} account(s) changed.")

    def _role(self, request: HttpRequest, queryset: QuerySet[StaffMember], role: str) -> None:
        actor = cast(User, request.user)
        self._each(request, queryset, lambda m: staff_role_change(member=m, role=role, actor=actor, manager=None))

    @admin.action(description="Make exams officer (the head of centre is told)")
    def make_exams_officer(self, request: HttpRequest, queryset: QuerySet[StaffMember]) -> None:
        self._role(request, queryset, StaffMember.Role.EXAMS_OFFICER)

    @admin.action(description="Make head of centre")
    def make_head_of_centre(self, request: HttpRequest, queryset: QuerySet[StaffMember]) -> None:
        self._role(request, queryset, StaffMember.Role.HEAD_OF_CENTRE)

    @admin.action(description="Make staff (sees results with the candidates)")
    def make_staff(self, request: HttpRequest, queryset: QuerySet[StaffMember]) -> None:
        self._role(request, queryset, StaffMember.Role.STAFF)

    @admin.action(description="Deactivate (left the centre): logged out everywhere, cannot log in")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[StaffMember]) -> None:
        actor = cast(User, request.user)
        self._each(request, queryset, lambda m: staff_deactivate(member=m, actor=actor, manager=None))

    @admin.action(description="Send a new set-up link (lost phone or authenticator): new password and app")
    def send_setup_link(self, request: HttpRequest, queryset: QuerySet[StaffMember]) -> None:
        """Email each selected member a one-time set-up link to their own address (audited)."""
        actor = cast(User, request.user)
        self._each(
            request, queryset, lambda m: staff_setup_link_send(member=m, actor=actor, reason=SETUP_LINK_FROM_ADMIN)
        )


@admin.register(Candidate)
class CandidateAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "date_of_birth", "centre"]
    list_select_related = ["centre"]
    search_fields = ["last_name", "first_name", "email"]
    list_filter = ["centre"]


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    actions = [export_csv]
    list_display = ["candidate_id", "person", "session", "centre", "status"]
    list_select_related = ["person", "session__exam", "centre"]
    search_fields = ["candidate_id", "person__last_name"]
    list_filter = ["status", "centre", "session__exam"]
    readonly_fields = ["public_id", "secret_issued_at", "created_at"]
    exclude = ["secret_hash"]
    raw_id_fields = ["person", "session"]
