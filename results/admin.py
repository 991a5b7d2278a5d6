from django.contrib import admin

from .models import ComponentScore, Result


class ComponentScoreInline(admin.TabularInline):
    model = ComponentScore
    extra = 0
    raw_id_fields = ["component"]


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ["entry", "status", "overall_score", "grade", "cefr_level", "ready_at", "released_at"]
    list_filter = ["status", "entry__session__exam"]
    list_select_related = ["entry"]
    search_fields = ["entry__candidate_id"]
    raw_id_fields = ["entry"]
    readonly_fields = ["public_id"]
    inlines = [ComponentScoreInline]
