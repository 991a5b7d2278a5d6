from django.contrib import admin

from .models import Component, Exam, ExamSession


class ComponentInline(admin.TabularInline):
    model = Component
    extra = 0


@admin.register(Exam)
class ExamAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "family", "cefr_target", "for_schools", "certificate_exam", "verifiable_online"]
    list_filter = ["family", "for_schools", "verifiable_online"]
    search_fields = ["code", "name"]
    list_select_related = ["certificate_exam"]
    inlines = [ComponentInline]


@admin.register(ExamSession)
class ExamSessionAdmin(admin.ModelAdmin):
    list_display = ["exam", "date", "mode", "window_start", "window_end"]
    list_filter = ["mode", "exam"]
    date_hierarchy = "date"
    list_select_related = ["exam"]
    readonly_fields = ["public_id"]
