from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.models import User

from .models import Component, Exam, ExamMode, ExamSession, GradeBoundaryTable, ServiceFee
from .services import boundaries_validate, boundary_table_set, service_fee_set, sessions_copy_to_next_year


class ComponentInline(admin.TabularInline):
    model = Component
    extra = 0


class ExamModeInline(admin.TabularInline):
    """The modes an exam is offered in, each with its own first and last dates (docs/domain.md §16)."""

    model = ExamMode
    extra = 0
    fields = ["mode", "offered_from", "offered_until", "source"]
    verbose_name = "mode offered"
    verbose_name_plural = "modes offered (none listed: every mode)"


@admin.register(Exam)
class ExamAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "family",
        "cefr_target",
        "for_schools",
        "certificate_exam",
        "verifiable_online",
        "offered_from",
        "offered_until",
        "modes_offered",
    ]
    list_filter = ["family", "for_schools", "verifiable_online"]
    search_fields = ["code", "name"]
    list_select_related = ["certificate_exam"]
    inlines = [ExamModeInline, ComponentInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Exam]:
        return super().get_queryset(request).prefetch_related("modes")

    @admin.display(description="modes offered")
    def modes_offered(self, obj: Exam) -> str:
        """The modes with their own last dates, e.g. 'Paper-based until 2026-06-30, Computer-based, Digital'."""
        offers = list(obj.modes.all())
        if not offers:
            return "every mode"
        order = list(ExamSession.Mode.values)
        return ", ".join(
            f"{offer.get_mode_display()}"
            + (f" from {offer.offered_from:%Y-%m-%d}" if offer.offered_from else "")
            + (f" until {offer.offered_until:%Y-%m-%d}" if offer.offered_until else "")
            for offer in sorted(offers, key=lambda offer: order.index(offer.mode))
        )


@admin.register(ExamSession)
class ExamSessionAdmin(admin.ModelAdmin):
    """Sessions with their release progress: entries, results waiting, visible, held, and missing ('Q')."""

    list_display = [
        "exam",
        "date",
        "mode",
        "window_start",
        "window_end",
        "enquiry_deadline",
        "entries",
        "ready",
        "visible",
        "held",
        "no_result",
    ]
    list_filter = ["mode", "exam"]
    date_hierarchy = "date"
    list_select_related = ["exam"]
    readonly_fields = ["public_id"]
    actions = ["copy_to_next_year"]
    # The list links to the timetable import (results/admin.py: it knows which sessions have released results).
    change_list_template = "admin/exams/examsession/change_list.html"

    @admin.action(description="Copy the selected sessions to the same dates next year")
    def copy_to_next_year(self, request: HttpRequest, queryset: QuerySet[ExamSession]) -> None:
        refused: list[str] = []
        created, already = sessions_copy_to_next_year(
            sessions=queryset.select_related("exam"),
            actor=request.user,  # type: ignore[arg-type]
            refused=refused,
        )
        messages.success(request, f"{created} session(s) created for next year; {already} were already there.")
        for refusal in refused:
            messages.warning(request, f"Not copied: {refusal}")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExamSession]:
        now = timezone.now()
        entered = Q(entries__status="entered")
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_entries=Count("entries", filter=entered),
                n_ready=Count(
                    "entries",
                    filter=entered & Q(entries__result__status="ready", entries__result__released_at__gt=now),
                ),
                n_visible=Count(
                    "entries",
                    filter=entered & Q(entries__result__released_at__lte=now) & ~Q(entries__result__status="held"),
                ),
                n_held=Count("entries", filter=entered & Q(entries__result__status="held")),
                n_no_result=Count("entries", filter=entered & Q(entries__result__isnull=True)),
            )
        )

    @admin.display(description="entries", ordering="n_entries")
    def entries(self, obj: Any) -> int:
        return int(obj.n_entries)

    @admin.display(description="waiting for release", ordering="n_ready")
    def ready(self, obj: Any) -> int:
        return int(obj.n_ready)

    @admin.display(description="visible", ordering="n_visible")
    def visible(self, obj: Any) -> int:
        return int(obj.n_visible)

    @admin.display(description="held", ordering="n_held")
    def held(self, obj: Any) -> int:
        return int(obj.n_held)

    @admin.display(description="no result yet", ordering="n_no_result")
    def no_result(self, obj: Any) -> int:
        return int(obj.n_no_result)

    @admin.display(description="release")
    def release_progress(self, obj: ExamSession) -> str:
        url = reverse("admin:results_release_progress", args=[obj.pk])
        return format_html('<a href="{}">live progress</a>', url)


BOUNDARY_LINE_HELP = (
    "One boundary a line, highest grade first, as 'label = minimum'. Aggregate: e.g. 'Grade A = 128'. "
    "Unit raw marks: 'pass = 20', 'merit = 30', 'distinction = 40'. Profile: 'exceptional = 80', 'good = 65', "
    "'borderline = 50'."
)


def boundary_lines_parse(text: str) -> list[tuple[str, str]]:
    """Return [(label, minimum)] from 'label = minimum' lines; raise ValidationError naming the bad line."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label, sep, minimum = line.partition("=")
        if not sep or not label.strip() or not minimum.strip():
            raise forms.ValidationError(f"line {number}: write 'label = minimum', not {line.strip()!r}")
        rows.append((label.strip(), minimum.strip()))
    if not rows:
        raise forms.ValidationError("Enter at least one boundary.")
    return rows


class GradeBoundaryTableForm(forms.ModelForm):
    lines = forms.CharField(label="Boundaries", widget=forms.Textarea(attrs={"rows": 6}), help_text=BOUNDARY_LINE_HELP)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), help_text="Recorded in the audit trail.")

    class Meta:
        model = GradeBoundaryTable
        fields = ["session", "component", "kind", "lines", "source", "reason"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        cleaned["parsed"] = boundary_lines_parse(cleaned["lines"])
        try:
            boundaries_validate(kind=cleaned["kind"], boundaries=cleaned["parsed"], component=cleaned.get("component"))
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error
        return cleaned


@admin.register(GradeBoundaryTable)
class GradeBoundaryTableAdmin(admin.ModelAdmin):
    """Boundary versions are added, never edited: saving a change creates the next version and audits it."""

    form = GradeBoundaryTableForm
    list_display = ["session", "component", "kind", "version", "boundaries_table", "created_by", "created_at"]
    list_filter = ["kind", "session__exam"]
    list_select_related = ["session__exam", "component", "created_by"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """Sessions and components as selects that name them (newest sessions first), not raw ids."""
        if db_field.name == "session":
            kwargs["queryset"] = ExamSession.objects.select_related("exam").order_by("-date", "exam__code")
        elif db_field.name == "component":
            kwargs["queryset"] = Component.objects.select_related("exam").order_by("exam__code", "order")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="boundaries")
    def boundaries_table(self, obj: GradeBoundaryTable) -> str:
        """The boundaries as a small table (grade, minimum), highest first."""
        rows = format_html_join("", "<tr><th scope='row'>{}</th><td>{}</td></tr>", obj.boundaries or [])
        return format_html("<table><tbody>{}</tbody></table>", rows)

    def has_change_permission(self, request: HttpRequest, obj: GradeBoundaryTable | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: GradeBoundaryTable | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: GradeBoundaryTable, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = boundary_table_set(
            session=data["session"],
            component=data.get("component"),
            kind=data["kind"],
            boundaries=data["parsed"],
            actor=request.user,  # type: ignore[arg-type]
            reason=data["reason"],
            source=data.get("source", ""),
        )
        obj.pk = saved.pk
        obj.version = saved.version


@admin.register(ServiceFee)
class ServiceFeeAdmin(admin.ModelAdmin):
    """The board's fee table: one fee per post-results service and year, used by every enquiry and order."""

    list_display = ["year", "service", "amount", "updated_by", "updated_at"]
    list_filter = ["year", "service"]
    fields = ["service", "year", "amount", "updated_by", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]
    list_select_related = ["updated_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: ServiceFee | None = None) -> list[str]:
        # A fee row stays the fee of its service and year: a new year gets a row of its own.
        return [*self.readonly_fields, "service", "year"] if obj is not None else list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: ServiceFee, form: forms.ModelForm, change: bool) -> None:
        saved = service_fee_set(service=obj.service, year=obj.year, amount=obj.amount, actor=cast(User, request.user))
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: ServiceFee | None = None) -> bool:
        return False  # orders already made keep the fee they were given; a fee is changed, never removed
