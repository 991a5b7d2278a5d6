import copy
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

from accounts.admin_export import export_csv
from accounts.approvals import approval_request
from exams.admin import ExamSessionAdmin, GradeBoundaryTableAdmin
from exams.models import ExamSession, GradeBoundaryTable
from results_portal.csvimport import CsvLimits, ImportRejected, results_limits, stream_read, upload_limits
from results_portal.traffic import traffic_last

from . import admin_enquiries  # noqa: F401 - registers the enquiries about results admin
from .approvals import (
    BOUNDARIES,
    RELEASE_EARLIER,
    UNHOLD_BULK,
    boundaries_need_approval,
    release_change_needs_approval,
    release_payload,
)
from .charts import release_timeline_svg, traffic_chart_svg
from .models import ComponentScore, OutgoingEmail, Result, ResultAmendment, ResultEvent, ResultsUpload
from .selectors import (
    ReleaseProgress,
    release_failures,
    release_figures,
    release_preview,
    release_progress,
    release_timeline,
)
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
        """The upload as text, with the same limits and checks as every CSV upload (``csvimport.stream_read``)."""
        upload = self.cleaned_data["file"]
        try:
            return stream_read(upload, limits=self.limits(), size=upload.size)
        except ImportRejected as rejected:
            raise forms.ValidationError(rejected.messages()) from rejected

    def limits(self) -> CsvLimits:
        return upload_limits()


class ResultsFileForm(TimetableForm):
    file = forms.FileField(label="Results file (CSV, UTF-8: candidate_id,exam_code,session_date,component,score)")

    def limits(self) -> CsvLimits:
        return results_limits()


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
    if queryset.count() <= 1:
        return _with_reason(request, queryset, action="unhold", title="Release held results", apply=result_unhold)
    form = ReasonForm(request.POST if "reason" in request.POST else None)
    if not form.is_valid():
        return _with_reason(request, queryset, action="unhold", title="Release held results", apply=None)
    ids = sorted(queryset.values_list("pk", flat=True))
    approval_request(
        kind=UNHOLD_BULK,
        summary=f"Release {len(ids)} held results again",
        payload={"result_ids": ids, "reason": form.cleaned_data["reason"]},
        actor=request.user,  # type: ignore[arg-type]
        reason=form.cleaned_data["reason"],
    )
    messages.warning(request, f"Releasing {len(ids)} held results at once needs a second board user: asked.")
    return None


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
                problems = [str(rejected), *rejected.messages()]
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
        points = release_timeline(session_id=session.pk)
        traffic = traffic_last(minutes=60)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Release of {session}",
            "session": session,
            "progress": _progress_json(release_progress(session_id=session.pk)),
            "timeline": mark_safe(release_timeline_svg(points, title=f"Release of {session}")),  # noqa: S308 - escaped
            "last": points[-1] if points else None,
            "failures": release_failures(session_id=session.pk),
            "figures": release_figures(session_id=session.pk),
            "traffic": mark_safe(traffic_chart_svg(traffic, title="The portal, last hour")),  # noqa: S308 - escaped
            "traffic_now": traffic[-1],
            "traffic_errors": sum(minute.errors for minute in traffic),
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
    actions = [hold, unhold, export_csv]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Result | None = None) -> bool:
        return False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "state", "account", "result", "address", "attempts", "created_at", "sent_at"]
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


def _asked(request: HttpRequest, what: str) -> None:
    messages.warning(request, f"{what} needs a second board user's approval: the request is waiting under Approvals.")


admin.site.unregister(GradeBoundaryTable)


@admin.register(GradeBoundaryTable)
class GuardedBoundaryTableAdmin(GradeBoundaryTableAdmin):
    """Boundaries as in ``exams``; once the session has results a new version waits for a second board user.

    Registered here, not in ``exams``, because the results app knows where results exist (docs/domain.md §12.7).
    """

    def save_model(self, request: HttpRequest, obj: GradeBoundaryTable, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not boundaries_need_approval(data["session"]):
            return super().save_model(request, obj, form, change)
        component = data.get("component")
        request._approval_asked = approval_request(  # type: ignore[attr-defined]
            kind=BOUNDARIES,
            summary=f"New {data['kind']} boundaries for {data['session']}"
            + (f" {component.code}" if component else ""),
            payload={
                "session_id": data["session"].pk,
                "component_id": component.pk if component else None,
                "kind": data["kind"],
                "boundaries": [[label, str(minimum)] for label, minimum in data["parsed"]],
                "reason": data["reason"],
                "source": data.get("source", ""),
            },
            actor=request.user,  # type: ignore[arg-type]
            reason=data["reason"],
        )
        return None

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if getattr(request, "_approval_asked", None):
            return None
        return super().log_addition(request, obj, message)

    def response_add(self, request: HttpRequest, obj: GradeBoundaryTable, post_url_continue: str | None = None) -> Any:
        if getattr(request, "_approval_asked", None):
            _asked(request, "A boundary change on a session with results")
            return redirect("admin:accounts_approval_changelist")
        return super().response_add(request, obj, post_url_continue)


class SessionChangeForm(forms.ModelForm):
    change_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when the change moves a release earlier on a session with results (a second board user "
        "then approves it).",
    )

    class Meta:
        model = ExamSession
        fields = [
            "exam",
            "date",
            "mode",
            "window_start",
            "window_end",
            "centre_release_at",
            "certification_closing_date",
            "enquiry_deadline",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        stored = ExamSession.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
        if stored is not None and cleaned.get("window_start"):
            after = copy.copy(stored)
            for name in ("window_start", "window_end", "centre_release_at"):
                setattr(after, name, cleaned.get(name))
            needs = release_change_needs_approval(before=stored, after=after)
            if needs and not cleaned.get("change_reason", "").strip():
                self.add_error("change_reason", "Say why the release moves earlier: a second board user approves it.")
        return cleaned


admin.site.unregister(ExamSession)


@admin.register(ExamSession)
class GuardedExamSessionAdmin(ExamSessionAdmin):
    """Sessions as in ``exams``; a release moved earlier on a session with results waits for a second board user."""

    form = SessionChangeForm

    def save_model(self, request: HttpRequest, obj: ExamSession, form: Any, change: bool) -> None:
        before = ExamSession.objects.filter(pk=obj.pk).first() if change else None
        if before is None or not release_change_needs_approval(before=before, after=obj):
            return super().save_model(request, obj, form, change)
        reason = form.cleaned_data["change_reason"].strip()
        request._approval_asked = approval_request(  # type: ignore[attr-defined]
            kind=RELEASE_EARLIER,
            summary=f"Release of {before} moved earlier",
            payload=release_payload(obj),
            actor=request.user,  # type: ignore[arg-type]
            reason=reason,
        )
        return None

    def response_change(self, request: HttpRequest, obj: ExamSession) -> Any:
        if getattr(request, "_approval_asked", None):
            _asked(request, "Moving a release earlier on a session with results")
            return redirect("admin:accounts_approval_changelist")
        return super().response_change(request, obj)
