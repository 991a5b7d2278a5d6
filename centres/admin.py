from django.contrib import admin

from . import admin_mir  # noqa: F401 - registers the missing/incomplete results admin
from .models import Candidate, Centre, Entry, StaffMember


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "country", "email"]
    search_fields = ["number", "name"]


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "centre"]
    list_select_related = ["user", "centre"]
    autocomplete_fields = ["centre"]
    raw_id_fields = ["user"]


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
