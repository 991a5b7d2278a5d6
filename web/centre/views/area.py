"""The centre area (/centre/): staff log in with email + password + TOTP and see only their own centre.

Every view is wrapped by ``centre_staff_required``; every object is looked up within ``request.centre``, so
another centre's Candidate ID or import gives 404, never a hint that it exists.
"""

import datetime as dt
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_step
from accounts.guard import GuardRefusal, client_ip, guard_check, guard_locked_until, password_matches
from accounts.models import User
from accounts.sealing import seal, unseal
from accounts.services import LOCK_LIFT_REASON_REQUIRED, lock_lift, staff_setup_check
from candidates.selectors import entries_with_registered
from centres import services, tasks
from centres.imports import issued_csv
from centres.models import Entry, EntryImport
from centres.pdf import confirmation_of_entry_pdf
from centres.selectors import entries_matching_search, entries_with_details
from exams.models import Exam, ExamSession
from grading.scale import FIVE_SKILLS, READING_AND_WRITING
from results.centre_reports import unitised_hold_reasons
from results.presentation import (
    PENDING,
    grade_as_awarded,
    grade_display,
    overall_display,
    result_view,
    scale_of,
    unitised_identifiers,
)
from results.selectors import (
    ResultState,
    entries_in_result_state,
    entries_with_result_visible,
    entry_is_pending,
    entry_result_state,
    results_visible_by_entry,
)
from results_portal.csvimport import more_problems_text
from results_portal.downloads import csv_file_response, csv_response, download_no_store
from web.centre.access import centre_staff_required, request_audience, request_centre
from web.centre.forms import (
    CandidateSearchForm,
    EntryImportForm,
    LockLiftForm,
    ReissueForm,
    StaffLoginForm,
    StaffPasswordResetForm,
    StaffSetupForm,
)
from web.common.password_reset import PasswordResetConfirmView, password_reset_request_page
from web.common.progress import progress_percent

BACKEND = "django.contrib.auth.backends.ModelBackend"
PAGE_SIZE = 50
REISSUE_SESSION_KEY = "centre_reissued"
REISSUE_KEPT = dt.timedelta(minutes=15)
WRONG_STAFF_LOGIN = "The email, password and authentication code do not match a centre account."


def _own_entry(request: HttpRequest, public_id: str) -> Entry:
    return get_object_or_404(entries_with_details(), public_id=public_id, centre=request_centre(request))


# --- Logging in ---------------------------------------------------------------------------------------
@sensitive_post_parameters("password", "otp_token")
@never_cache
@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest) -> HttpResponse:
    """Log a member of centre staff in with email, password and the current TOTP code."""
    form = StaffLoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        found: dict[str, Any] = {}

        def verify(identifier: str) -> User | None:
            user = User.objects.filter(
                username=data["email"].strip().lower(),
                is_active=True,
                centre_staff__isnull=False,
                centre_staff__deactivated_at__isnull=True,
            ).first()
            if not password_matches(user=user, password=data["password"]) or user is None:
                return None
            device = match_token(user, data["otp_token"].strip())
            if device is None:
                return None
            found["device"] = device
            return user

        try:
            user = guard_check(
                kind="password", identifier=data["email"], ip=client_ip(request), purpose="staff_login", verify=verify
            )
        except GuardRefusal as refusal:
            failed = refusal.reason == "failed" and not refusal.retry_after
            form.add_error(None, WRONG_STAFF_LOGIN if failed else refusal.message)
            status = 429 if refusal.reason in {"locked", "ip", "global"} else 200
        else:
            login(request, user, backend=BACKEND)
            otp_login(request, found["device"])
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = reverse("centres:home")
            return redirect(target or reverse("centres:home"))
    return render(request, "centres/login.html", {"form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def staff_password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a password-reset link by email; the same answer whether or not a centre account uses the address."""
    return password_reset_request_page(
        request,
        form=StaffPasswordResetForm(request.POST or None),
        field="email",
        normalise=lambda value: value.strip().lower(),
        throttle_prefix="centre-reset-request",
        send=lambda email: services.staff_password_reset_request(email=email),
        template="centres/password_reset.html",
        done_template="centres/password_reset_done.html",
    )


class StaffPasswordResetConfirm(PasswordResetConfirmView):
    """A member of centre staff chooses a new password from the emailed link; their login lockout is lifted."""

    success_url = reverse_lazy("centres:login")
    base_template = "centres/base_centre.html"
    new_link_url_name = "centres:password_reset"

    def locks_lift(self, user: User) -> None:
        services.staff_password_locks_lift(user=user)


@require_POST
def staff_logout(request: HttpRequest) -> HttpResponse:
    """Log out of the centre area."""
    logout(request)
    return redirect("centres:login")


@sensitive_post_parameters("password", "confirm_password", "otp_token")
@never_cache
@require_http_methods(["GET", "POST"])
def staff_setup(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Set up an invited staff account: choose a password and pair an authenticator app (single-use link)."""
    try:
        user = User.objects.get(
            pk=urlsafe_base64_decode(uidb64).decode(),
            is_active=True,
            centre_staff__isnull=False,
            centre_staff__deactivated_at__isnull=True,
        )
    except (User.DoesNotExist, ValueError, UnicodeDecodeError):
        user = None
    if user is None or not services.staff_setup_tokens.check_token(user, token):
        return render(request, "centres/setup_invalid.html", status=400)
    device, _created = TOTPDevice.objects.get_or_create(user=user, confirmed=False, defaults={"name": "authenticator"})
    form = StaffSetupForm(request.POST or None)
    wrong_code = _("That code is not right. Check the time on your phone and try the new code.")
    if (
        request.method == "POST"
        and form.is_valid()
        and staff_setup_check(form=form, user=user, device=device, wrong_code=wrong_code)
    ):
        services.staff_setup_complete(user=user, device=device, password=form.cleaned_data["password"])
        login(request, user, backend=BACKEND)
        otp_login(request, device)
        messages.success(request, _("Your centre account is ready."))
        return redirect("centres:home")
    url = two_step.totp_config_url(device=device, label=user.email)
    qr_svg = two_step.totp_qr_svg(url=url, title=_("Authenticator set-up code"))
    context = {"form": form, "qr_svg": qr_svg, "secret": two_step.totp_secret_base32(device=device), "user": user}
    return render(request, "centres/setup.html", context)


# --- Candidates and entries ---------------------------------------------------------------------------
@centre_staff_required
@never_cache
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """List the centre's entries: search (Candidate ID or name), filters, sort order and pages, all by GET.

    A constant number of queries whatever the page holds: the sessions for the filters, the count, the page
    (with whether each result is visible to this member and each entry registered, as subqueries).
    """
    centre = request_centre(request)
    audience = request_audience(request)
    now = timezone.now()
    sessions = list(
        ExamSession.objects.filter(entries__centre=centre)
        .select_related("exam")
        .distinct()
        .order_by("-date", "exam__name")
    )
    form = CandidateSearchForm(request.GET or None, sessions=sessions)
    entries = entries_with_registered(
        entries_with_result_visible(entries_with_details().filter(centre=centre), audience=audience, now=now)
    )
    sort = "session"
    if form.is_valid():
        data = form.cleaned_data
        if data["q"].strip():
            entries = entries_matching_search(entries, query=data["q"])
        if data["session"]:
            entries = entries.filter(session_id=data["session"])
        if data["exam"]:
            entries = entries.filter(session__exam__code=data["exam"])
        if data["result"]:
            entries = entries_in_result_state(entries, state=data["result"], now=now)
        if data["registered"]:
            entries = entries.filter(Q(registered=data["registered"] == "yes"))
        sort = data["sort"] or sort
    entries = entries.order_by(*CandidateSearchForm.SORTS[sort])
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(entry, entry_result_state(entry=entry, now=now)) for entry in page]
    context = {"form": form, "page": page, "rows": rows, "centre": centre, "states": ResultState}
    return render(request, "centres/home.html", context)


@centre_staff_required
@never_cache
@require_GET
def entry_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """Show one entry, its login details' state, and (once released) its results."""
    entry = _own_entry(request, public_id)
    reissued = _reissued_secret(request, entry)
    results = results_visible_by_entry(audience=request_audience(request), entries=[entry])
    context = {
        "entry": entry,
        "reissued": reissued,
        "result": results.get(entry.pk),
        "form": ReissueForm(),
        "locked_until": guard_locked_until(kind="secret", identifier=entry.candidate_id),
        "lock_form": LockLiftForm(prefix="lock"),
    }
    return render(request, "centres/entry_detail.html", context)


@centre_staff_required
@require_POST
def entry_lock_lift(request: HttpRequest, public_id: str) -> HttpResponse:
    """Lift the lock on one of the centre's Candidate IDs (someone else's wrong guesses locked its owner out)."""
    entry = _own_entry(request, public_id)
    form = LockLiftForm(request.POST, prefix="lock")
    if not form.is_valid():
        messages.error(request, LOCK_LIFT_REASON_REQUIRED)
        return redirect("centres:entry_detail", public_id=entry.public_id)
    lock_lift(kind="secret", identifier=entry.candidate_id, actor=request.user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
    messages.success(request, _("The lock on %(id)s is lifted.") % {"id": entry.candidate_id})
    return redirect("centres:entry_detail", public_id=entry.public_id)


@centre_staff_required
@require_POST
def entry_reissue(request: HttpRequest, public_id: str) -> HttpResponse:
    """Reissue an entry's secret number (the old one dies at once) and show it with a new Confirmation of Entry."""
    entry = _own_entry(request, public_id)
    form = ReissueForm(request.POST)
    if not form.is_valid():
        context = {"entry": entry, "form": form, "result": None, "reissued": None}
        return render(request, "centres/entry_detail.html", context, status=400)
    secret = services.entry_reissue(
        entry=entry,
        actor=request.user,  # type: ignore[arg-type]
        reason=form.cleaned_data["reason"],
        detach=form.cleaned_data["detach"],
    )
    kept = request.session.get(REISSUE_SESSION_KEY, {})
    # Kept sealed in the session (sessions live in the database), for this staff member only, 15 minutes.
    kept[str(entry.public_id)] = {"sealed": seal(secret.encode()), "at": timezone.now().isoformat()}
    request.session[REISSUE_SESSION_KEY] = kept
    messages.success(
        request,
        _("New login details issued for %(id)s. The old secret number no longer works.") % {"id": entry.candidate_id},
    )
    return redirect("centres:entry_detail", public_id=entry.public_id)


def _reissued_secret(request: HttpRequest, entry: Entry) -> str | None:
    """Return the secret number just reissued in this session for this entry, for 15 minutes only."""
    kept = request.session.get(REISSUE_SESSION_KEY, {}).get(str(entry.public_id))
    if not kept or timezone.now() - dt.datetime.fromisoformat(kept["at"]) > REISSUE_KEPT:
        return None
    return unseal(kept["sealed"]).decode()


@centre_staff_required
@download_no_store
@require_GET
def entry_confirmation_pdf(request: HttpRequest, public_id: str) -> HttpResponse:
    """Download the Confirmation of Entry with the secret number just reissued (15 minutes after reissue)."""
    entry = _own_entry(request, public_id)
    secret = _reissued_secret(request, entry)
    if secret is None:
        raise Http404("Reissue the login details to print a new Confirmation of Entry.")
    pdf = confirmation_of_entry_pdf(issued=[services.issued_entry_for(entry=entry, secret_number=secret)])
    return _pdf_response(pdf, f"confirmation-of-entry-{entry.candidate_id}.pdf")


@centre_staff_required
@never_cache
@require_GET
def entry_results_print(request: HttpRequest, public_id: str) -> HttpResponse:
    """Show a printable paper copy of a candidate's released results (nothing before release)."""
    entry = _own_entry(request, public_id)
    result = results_visible_by_entry(audience=request_audience(request), entries=[entry]).get(entry.pk)
    if result is None:
        raise Http404("No released results for this entry.")
    unitised = entry.session.exam.family == Exam.Family.UNITISED
    context = {
        "entry": entry,
        "result": result,
        "view": result_view(result=result),
        "identifiers": unitised_identifiers(entry) if unitised else None,
    }
    return render(request, "centres/results_print.html", context)


# --- Imports ------------------------------------------------------------------------------------------
@centre_staff_required
@never_cache
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    """Upload an entries file; it is checked and imported in the background with a progress bar."""
    form = EntryImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = services.entry_import_create(
            centre=request_centre(request),
            user=cast(User, request.user),
            filename=form.filename,
            text=form.cleaned_data["file"],
        )
        return redirect("centres:import_detail", public_id=job.public_id)
    recent = EntryImport.objects.filter(centre=request_centre(request)).select_related("uploaded_by")[:20]
    return render(request, "centres/import_new.html", {"form": form, "recent": recent})


def _own_import(request: HttpRequest, public_id: str) -> EntryImport:
    return get_object_or_404(EntryImport, public_id=public_id, centre=request_centre(request))


@centre_staff_required
@never_cache
@require_GET
def import_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """Show an import's progress (live), its errors, or its downloads."""
    job = _own_import(request, public_id)
    context = {
        "job": job,
        "progress": _progress(job),
        "problems_more": more_problems_text(job.errors_more) if job.errors_more else "",
    }
    return render(request, "centres/import_detail.html", context)


def _progress(job: EntryImport) -> dict[str, Any]:
    done, total = cache.get(tasks.progress_key(job.pk)) or (job.done, job.total)
    finished = job.status in {EntryImport.Status.DONE, EntryImport.Status.REJECTED, EntryImport.Status.FAILED}
    seconds_left = None
    if job.started_at and done and total and not finished:
        elapsed = (timezone.now() - job.started_at).total_seconds()
        seconds_left = round(elapsed / done * (total - done))
    return {
        "status": job.status,
        "status_label": job.get_status_display(),
        "done": done,
        "total": total,
        "percent": progress_percent(done=done, total=total, succeeded=job.status == EntryImport.Status.DONE),
        "seconds_left": seconds_left,
        "eta_text": "" if seconds_left is None else _("about %(seconds)s seconds left") % {"seconds": seconds_left},
        "finished": finished,
        "succeeded": job.status == EntryImport.Status.DONE,
        "errors": job.problem_count,
    }


@centre_staff_required
@never_cache
@require_GET
def import_status(request: HttpRequest, public_id: str) -> JsonResponse:
    """Return an import's progress as JSON for the live progress bar."""
    return JsonResponse(_progress(_own_import(request, public_id)))


@centre_staff_required
@download_no_store
@require_GET
def import_issued_csv(request: HttpRequest, public_id: str) -> HttpResponse:
    """Download the issued Candidate IDs and secret numbers of a finished import (first 24 hours only)."""
    job = _own_import(request, public_id)
    if not job.issued_sealed:
        raise Http404("No issued details to download.")
    return csv_file_response(
        text=issued_csv(tasks.issued_unseal(job.issued_sealed)),
        filename=f"{job.filename.removesuffix('.csv')}.issued.csv",
    )


@centre_staff_required
@download_no_store
@require_GET
def import_confirmations_pdf(request: HttpRequest, public_id: str) -> HttpResponse:
    """Download the Confirmations of Entry of a finished import, one page per candidate (first 24 hours)."""
    job = _own_import(request, public_id)
    if not job.issued_sealed:
        raise Http404("No issued details to print.")
    pdf = confirmation_of_entry_pdf(issued=tasks.issued_unseal(job.issued_sealed))
    return _pdf_response(pdf, f"confirmations-of-entry-{job.centre.number}-{job.created_at:%Y%m%d-%H%M}.pdf")


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Results ------------------------------------------------------------------------------------------
# Every paper or skill any format reports (docs/domain.md §5.9): A2 Key from 2020 reports Reading and Writing as
# one paper, so its column comes last, after the columns files already had.
SKILLS = (*FIVE_SKILLS, READING_AND_WRITING)
RESULTS_CSV_COLUMNS = [
    "candidate_id",
    "first_name",
    "last_name",
    "exam_code",
    "session_date",
    "mode",
    "status",
    "result",
    "overall_score",
    "cefr_level",
    *SKILLS,
]


def _results_rows(request: HttpRequest, session_id: str | None) -> tuple[Any, list[dict[str, Any]]]:
    """Return the centre's sessions and, for the chosen one (or all), each entry with its visible result."""
    centre = request_centre(request)
    sessions = ExamSession.objects.filter(entries__centre=centre).select_related("exam").distinct().order_by("-date")
    entries = entries_with_details().filter(centre=centre).order_by("session__date", "person__last_name")
    if session_id:
        entries = entries.filter(session__public_id=session_id)
    entries_list = list(entries)
    audience = request_audience(request)
    now = timezone.now()
    results = results_visible_by_entry(audience=audience, entries=entries_list, now=now)
    pending = [
        e for e in entries_list if e.pk not in results and entry_is_pending(entry=e, now=now, audience=audience)
    ]
    pending_ids = {e.pk for e in pending}
    reasons = unitised_hold_reasons(centre=centre, entries=pending)
    rows = []
    for entry in entries_list:
        result = results.get(entry.pk)
        if result is not None:
            status = "released"
        elif entry.pk in pending_ids:
            status = "pending"
        else:
            status = "not_yet_released"
        scores = {s.component.code: s.score for s in result.component_scores.all()} if result else {}
        row = {
            "entry": entry,
            "result": result,
            "status": status,
            "reason": reasons.get(entry.pk, ""),
            "scores": scores,
            "grade": "",
            "overall": "",
        }
        if result is not None:  # shown as every output shows a result (results.presentation)
            exam = entry.session.exam
            row["grade"] = grade_display(family=exam.family, grade=result.grade, qualification=result.qualification)
            row["awarded"] = grade_as_awarded(
                family=exam.family, grade=result.grade, qualification=result.qualification
            )
            row["overall"] = overall_display(
                family=exam.family,
                scale=scale_of(exam.code, on=entry.session.date),
                overall=result.overall_score,
                ums_max_total=exam.ums_max_total,
                grade=result.grade,
            )
        rows.append(row)
    return sessions, rows


@centre_staff_required
@never_cache
@require_GET
def results_list(request: HttpRequest) -> HttpResponse:
    """Show the centre's candidates' released results by session ('Q' where pending), with a CSV download."""
    session_id = request.GET.get("session") or None
    sessions, rows = _results_rows(request, session_id)
    context = {"sessions": sessions, "rows": rows, "chosen": session_id, "skills": SKILLS}
    return render(request, "centres/results.html", context)


@centre_staff_required
@download_no_store
@require_GET
def results_csv(request: HttpRequest) -> HttpResponse:
    """Download the centre's released results as CSV (one row per entry; scores only once released)."""
    _sessions, rows = _results_rows(request, request.GET.get("session") or None)
    lines = []
    for row in rows:
        entry, result = row["entry"], row["result"]
        lines.append(
            [
                entry.candidate_id,
                entry.person.first_name,
                entry.person.last_name,
                entry.session.exam.code,
                entry.session.date.isoformat(),
                entry.session.mode,
                row["status"],
                row["awarded"] if result else (PENDING if row["status"] == "pending" else ""),
                result.overall_score if result and result.overall_score is not None else "",
                result.cefr_level if result else "",
                *[row["scores"].get(skill, "") for skill in SKILLS],
            ]
        )
    filename = f"results-{request_centre(request).number}.csv"
    return csv_response(header=RESULTS_CSV_COLUMNS, rows=lines, filename=filename)
