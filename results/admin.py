from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.safestring import mark_safe

from exams.models import ExamSession
from results_portal.csvimport import ImportRejected

from .models import ComponentScore, OutgoingEmail, Result, ResultAmendment, ResultEvent, ResultsUpload
from .selectors import ReleaseProgress, release_preview, release_progress
from .services import result_hold, result_unhold
from .tasks import results_upload_import_task, results_upload_preview_task, upload_progress_key
from .timetable import SESSION_COLUMNS, SESSION_OPTIONAL, timetable_import
from .uploads import distribution_chart_svg


class ComponentScoreInline(admin.TabularInline):
    """The scores, read only: a score changes through results_import, which keeps the amendment history, bumps the
    version (so cached pages and PDFs are made again) and tells the candidate."""

    model = ComponentScore
    extra = 0
    can_delete = False
    readonly_fields = [
        "component",
        "score",
        "ums",
        "unit_grade",
        "consideration_tariff",
        "consideration_marks",
        "calculated_for_absence",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ResultAmendmentInline(admin.TabularInline):
    model = ResultAmendment
    extra = 0
    readonly_fields = ["version", "at", "actor", "reason", "before", "after"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TimetableForm(forms.Form):
    file = forms.FileField(label="Timetable file (CSV, UTF-8)")

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        try:
            return str(upload.read().decode("utf-8-sig"))
        except UnicodeDecodeError as error:
            raise forms.ValidationError(
                f"The file is not UTF-8 text (byte {error.start + 1}): save it as CSV UTF-8."
            ) from error


class ResultsFileForm(TimetableForm):
    file = forms.FileField(label="Results file (CSV, UTF-8: candidate_id,exam_code,session_date,component,score)")


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Recorded in the audit trail.")


def _with_reason(
    request: HttpRequest, queryset: QuerySet[Result], *, action: str, title: str, apply: Any
) -> HttpResponse | None:
    """Ask for a reason on an intermediate page, then apply ``apply`` to every selected result."""
    form = ReasonForm(request.POST if "reason" in request.POST else None)
    if form.is_valid():
        for result in queryset:
            apply(result=result, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, f"{title}: {queryset.count()} result(s).")
        return None
    context = {
        **admin.site.each_context(request),
        "title": title,
        "form": form,
        "results": queryset.select_related("entry"),
        "action": action,
        "opts": Result._meta,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/results/reason.html", context)


@admin.action(description="Hold the selected results (hide them, shown as 'Q')")
def hold(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Result]) -> HttpResponse | None:
    return _with_reason(request, queryset, action="hold", title="Hold results", apply=result_hold)


@admin.action(description="Release the selected held results again")
def unhold(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Result]) -> HttpResponse | None:
    return _with_reason(request, queryset, action="unhold", title="Release held results", apply=result_unhold)


def _progress_json(progress: ReleaseProgress) -> dict[str, Any]:
    """Return the progress in the shape static/js/progress.js reads (emails sent of emails due)."""
    due = progress.emails_sent + progress.emails_waiting + progress.emails_failed
    done = progress.emails_sent + progress.emails_failed
    return {
        "status_label": (
            f"{progress.visible} of {progress.entries} results visible ({progress.to_notify} not yet announced), "
            f"{progress.waiting} waiting for the window, "
            f"{progress.held} held; emails {progress.emails_sent} sent, {progress.emails_waiting} waiting, "
            f"{progress.emails_failed} failed"
        ),
        "done": done,
        "total": due,
        "percent": round(100 * done / due) if due else (100 if progress.finished else 0),
        "finished": progress.finished,
        "eta_text": "",
    }


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    """Results are written by imports; here board staff look, hold and release again (audited)."""

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "release-progress/<int:session_id>/",
                self.admin_site.admin_view(self.release_progress_view),
                name="results_release_progress",
            ),
            path(
                "release-progress/<int:session_id>/status",
                self.admin_site.admin_view(self.release_progress_status),
                name="results_release_progress_status",
            ),
            path(
                "release-preview/",
                self.admin_site.admin_view(self.release_preview_view),
                name="results_release_preview",
            ),
            path("upload/", self.admin_site.admin_view(self.upload_new_view), name="results_upload_new"),
            path("upload/<uuid:public_id>/", self.admin_site.admin_view(self.upload_view), name="results_upload"),
            path(
                "upload/<uuid:public_id>/status",
                self.admin_site.admin_view(self.upload_status),
                name="results_upload_status",
            ),
            path(
                "upload/<uuid:public_id>/import/",
                self.admin_site.admin_view(self.upload_import_view),
                name="results_upload_import",
            ),
            path(
                "timetable-import/",
                self.admin_site.admin_view(self.timetable_import_view),
                name="results_timetable_import",
            ),
        ]
        return extra + super().get_urls()

    def release_preview_view(self, request: HttpRequest) -> HttpResponse:
        """Sessions with results to come: what the next release instant shows, to which centres, what is missing."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Release preview",
            "previews": release_preview(),
            "opts": Result._meta,
        }
        return TemplateResponse(request, "admin/results/release_preview.html", context)

    def _may_upload(self, request: HttpRequest) -> None:
        if not request.user.has_perm("results.add_resultsupload"):
            raise PermissionDenied

    def upload_new_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a results file: it is checked first (a dry run) and imported only after a second click."""
        self._may_upload(request)
        form = ResultsFileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            text = form.cleaned_data["file"]
            upload = ResultsUpload.objects.create(
                uploaded_by=request.user,  # type: ignore[misc]
                filename=str(getattr(request.FILES.get("file"), "name", "results.csv"))[:200],
                source=text,
                lines=max(text.count("\n") - 1, 0),
            )
            transaction.on_commit(lambda: results_upload_preview_task.delay(upload_id=upload.pk))
            return redirect("admin:results_upload", public_id=upload.public_id)
        context = {
            **self.admin_site.each_context(request),
            "title": "Upload results",
            "form": form,
            "uploads": ResultsUpload.objects.select_related("uploaded_by")[:20],
            "opts": Result._meta,
        }
        return TemplateResponse(request, "admin/results/upload_new.html", context)

    def upload_view(self, request: HttpRequest, public_id: str) -> HttpResponse:
        """An upload's dry run (progress, then the preview with its chart), then its import and outcome."""
        self._may_upload(request)
        upload = get_object_or_404(
            ResultsUpload.objects.select_related("uploaded_by", "imported_by"), public_id=public_id
        )
        sessions = [
            {**preview, "chart": mark_safe(distribution_chart_svg(preview))}  # noqa: S308 - every text escaped
            for preview in upload.preview.get("sessions", [])
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Results upload: {upload.filename}",
            "upload": upload,
            "sessions": sessions,
            "progress": self._upload_progress(upload),
            "running": upload.status in (ResultsUpload.Status.CHECKING, ResultsUpload.Status.IMPORTING),
            "opts": Result._meta,
        }
        return TemplateResponse(request, "admin/results/upload.html", context)

    def _upload_progress(self, upload: ResultsUpload) -> dict[str, Any]:
        done, total = cache.get(upload_progress_key(upload.pk)) or (0, 0)
        finished = upload.status not in (ResultsUpload.Status.CHECKING, ResultsUpload.Status.IMPORTING)
        return {
            "status_label": upload.get_status_display(),
            "done": done,
            "total": total,
            "percent": round(100 * done / total) if total else 0,
            "finished": finished,
            "eta_text": "",
        }

    def upload_status(self, request: HttpRequest, public_id: str) -> JsonResponse:
        self._may_upload(request)
        return JsonResponse(self._upload_progress(get_object_or_404(ResultsUpload, public_id=public_id)))

    def upload_import_view(self, request: HttpRequest, public_id: str) -> HttpResponse:
        """The second click: import a previewed upload (POST only, once)."""
        self._may_upload(request)
        if request.method != "POST":
            return redirect("admin:results_upload", public_id=public_id)
        upload = get_object_or_404(ResultsUpload, public_id=public_id, status=ResultsUpload.Status.PREVIEWED)
        ResultsUpload.objects.filter(pk=upload.pk).update(imported_by=request.user)
        actor_id = request.user.pk
        transaction.on_commit(lambda: results_upload_import_task.delay(upload_id=upload.pk, actor_id=actor_id))
        return redirect("admin:results_upload", public_id=public_id)

    def timetable_import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a timetable CSV: every bad line named and nothing written, or the sessions created/updated."""
        session_admin = self.admin_site._registry[ExamSession]
        if not (session_admin.has_add_permission(request) and session_admin.has_change_permission(request)):
            raise PermissionDenied
        form = TimetableForm(request.POST or None, request.FILES or None)
        problems: list[str] = []
        if request.method == "POST" and form.is_valid():
            try:
                summary = timetable_import(text=form.cleaned_data["file"], actor=request.user)  # type: ignore[arg-type]
            except ImportRejected as rejected:
                problems = [str(rejected), *(str(problem) for problem in rejected.errors)]
            else:
                messages.success(
                    request,
                    f"Timetable imported: {summary.created} sessions created, {summary.updated} updated, "
                    f"{summary.unchanged} unchanged.",
                )
                return redirect("admin:exams_examsession_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Import a timetable",
            "form": form,
            "problems": problems,
            "columns": SESSION_COLUMNS,
            "optional": SESSION_OPTIONAL,
            "opts": ExamSession._meta,
        }
        return TemplateResponse(request, "admin/results/timetable_import.html", context)

    def release_progress_view(self, request: HttpRequest, session_id: int) -> HttpResponse:
        """Show a session's release live: results visible, emails sent (board staff, 2FA)."""
        session = get_object_or_404(ExamSession.objects.select_related("exam"), pk=session_id)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Release of {session}",
            "session": session,
            "progress": _progress_json(release_progress(session_id=session.pk)),
            "opts": Result._meta,
        }
        return TemplateResponse(request, "admin/results/release_progress.html", context)

    def release_progress_status(self, request: HttpRequest, session_id: int) -> JsonResponse:
        """Return a session's release progress as JSON for the live progress bar."""
        get_object_or_404(ExamSession, pk=session_id)
        return JsonResponse(_progress_json(release_progress(session_id=session_id)))

    list_display = ["entry", "status", "overall_score", "grade", "cefr_level", "released_at", "version"]
    list_filter = ["status", "entry__session__exam", "entry__session"]
    list_select_related = ["entry"]
    search_fields = ["entry__candidate_id"]
    readonly_fields = [f.name for f in Result._meta.fields]
    inlines = [ComponentScoreInline, ResultAmendmentInline]
    actions = [hold, unhold]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Result | None = None) -> bool:
        return False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "state", "account", "result", "attempts", "created_at", "sent_at"]
    list_filter = ["state", "kind"]
    list_select_related = ["account__user", "result__entry"]
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ResultEvent)
class ResultEventAdmin(admin.ModelAdmin):
    """The domain events (ADR 0009): an open one with an error is a derived output that did not follow."""

    list_display = ["pk", "kind", "created_at", "handled_at", "attempts"]
    list_filter = ["kind", ("handled_at", admin.EmptyFieldListFilter)]
    readonly_fields = [f.name for f in ResultEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
