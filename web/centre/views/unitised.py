"""The centre's pages for unitised qualifications (/centre/unitised/): unit and certification entries, results,
results files (unit file and qualification file), reports, and missing or incomplete results (MIR) requests.

Rules: docs/domain.md §8 'Unitised qualifications (UMS)' and §13. Every view is wrapped by
``centre_staff_required``; series and entries are looked up within ``request_centre``, so another centre's
student or series is a 404. Results come from ``results.centre_reports`` (the one visibility selector, centre
audience).
"""

import datetime as dt
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from centres import mir, services
from centres.models import Entry
from centres.selectors import entries_with_details
from exams.models import Component, Exam, ExamSession
from exams.selectors import series_name
from results import centre_files, centre_reports
from results.presentation import series_code
from results.release import centre_opening
from results_portal.downloads import csv_file_response, csv_response, download_no_store
from web.centre.access import centre_staff_required, request_centre, request_restricted
from web.centre.forms import MissingResultForm, UnitEntriesForm

PAGE_SIZE = 50
MIR_PAGE_SIZE = 50


# --- Look-ups within the centre --------------------------------------------------------------------------
def _own_series(request: HttpRequest, series_id: Any) -> ExamSession:
    return get_object_or_404(centre_reports.unitised_series_for(centre=request_centre(request)), public_id=series_id)


def _own_entry(request: HttpRequest, public_id: Any) -> Entry:
    return get_object_or_404(
        entries_with_details().select_related("certification"),
        public_id=public_id,
        centre=request_centre(request),
        status=Entry.Status.ENTERED,
        session__exam__family=Exam.Family.UNITISED,
    )


def _units(series: ExamSession) -> list[Component]:
    return list(series.exam.components.order_by("order", "code"))


def _prefix(entry: Entry) -> str:
    return entry.candidate_id.lower()


def _entries_url(entry: Entry, page: str | None) -> str:
    url = reverse("centres:unitised_entries", kwargs={"series_id": entry.session.public_id})
    query = f"?{urlencode({'page': page})}" if page and page.isdigit() else ""
    return f"{url}{query}#{entry.candidate_id}"


def _series_context(request: HttpRequest, series: ExamSession, now: dt.datetime) -> dict[str, Any]:
    # When this member sees the series' results: their role decides (restricted release or candidates' release).
    restricted = request_restricted(request)
    release_at = centre_opening(series, restricted=restricted)
    return {
        "series": series,
        "label": series_name(series),
        "centre_release_at": centre_opening(series, restricted=True),
        "release_at": release_at,
        "released": now >= release_at,
        "restricted": restricted,
        "now": now,
    }


# --- Series ------------------------------------------------------------------------------------------------
@centre_staff_required
@never_cache
@require_GET
def unitised_home(request: HttpRequest) -> HttpResponse:
    """List the unitised series the centre has students in, with their entries, results, files and reports."""
    centre = request_centre(request)
    now = timezone.now()
    series = [_series_context(request, s, now) for s in centre_reports.unitised_series_for(centre=centre)]
    return render(request, "centres/unitised/home.html", {"series_list": series, "centre": centre})


# --- Unit and certification entries ------------------------------------------------------------------------
def _entries_page(
    request: HttpRequest,
    *,
    series: ExamSession,
    bound: dict[int, UnitEntriesForm] | None = None,
    errors: dict[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    centre = request_centre(request)
    now = timezone.now()
    entries = centre_reports.unitised_entries(centre=centre, series=series)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page") or request.POST.get("page"))
    students = centre_reports.series_results(
        centre=centre, restricted=request_restricted(request), series=series, now=now, entries=list(page.object_list)
    )
    units = _units(series)
    last_day = services.unit_withdrawal_last_day(series=series)
    earlier = centre_reports.earlier_unit_entries(students=[s.entry for s in students], series=series)
    rows = []
    for student in students:
        entry = student.entry
        form = (bound or {}).get(entry.pk) or UnitEntriesForm(
            units=units,
            withdrawal_last_day=last_day,
            prefix=_prefix(entry),
            initial={"units": [line.unit.code for line in student.units if line.entered]},
        )
        rows.append(
            {
                "student": student,
                "form": form,
                "error": (errors or {}).get(entry.pk, ""),
                "earlier": earlier.get(entry.person_id, []),
            }
        )
    context = {
        **_series_context(request, series, now),
        "page": page,
        "rows": rows,
        "window": centre_reports.cash_in_window(series=series, now=now),
    }
    return render(request, "centres/unitised/entries.html", context, status=status)


@centre_staff_required
@never_cache
@require_GET
def unitised_entries(request: HttpRequest, series_id: str) -> HttpResponse:
    """Show the centre's students in a series with their unit entries and certification entry (cash-in)."""
    return _entries_page(request, series=_own_series(request, series_id))


@centre_staff_required
@require_POST
def unitised_units_set(request: HttpRequest, public_id: str) -> HttpResponse:
    """Set a student's unit entries in the series to the ticked units."""
    entry = _own_entry(request, public_id)
    form = UnitEntriesForm(
        request.POST,
        units=_units(entry.session),
        withdrawal_last_day=services.unit_withdrawal_last_day(series=entry.session),
        prefix=_prefix(entry),
    )
    if form.is_valid():
        try:
            services.unit_entries_set(
                entry=entry, unit_codes=form.cleaned_data["units"], actor=cast(User, request.user)
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Unit entries saved for %(id)s.") % {"id": entry.candidate_id})
            return redirect(_entries_url(entry, request.POST.get("page")))
    return _entries_page(request, series=entry.session, bound={entry.pk: form}, status=400)


@centre_staff_required
@require_POST
def unitised_cash_in(request: HttpRequest, public_id: str) -> HttpResponse:
    """Make a certification entry (cash-in) for a student: free; after results a late certification request."""
    entry = _own_entry(request, public_id)
    try:
        cash_in = services.certification_entry_create(entry=entry, actor=cast(User, request.user))
    except ValidationError as error:
        return _entries_page(request, series=entry.session, errors={entry.pk: " ".join(error.messages)}, status=400)
    if cash_in.late:
        text = _("Late certification request made for %(id)s. It is free: there is no late fee.")
    else:
        text = _("Certification entry made for %(id)s. It is free: there is no late fee.")
    messages.success(request, text % {"id": entry.candidate_id})
    return redirect(_entries_url(entry, request.POST.get("page")))


# --- Results -----------------------------------------------------------------------------------------------
@centre_staff_required
@never_cache
@require_GET
def unitised_results(request: HttpRequest, series_id: str) -> HttpResponse:
    """Show each student's unit results and, with a cash-in, qualification result ('Q' where pending)."""
    series = _own_series(request, series_id)
    centre = request_centre(request)
    now = timezone.now()
    page = Paginator(centre_reports.unitised_entries(centre=centre, series=series), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    students = centre_reports.series_results(
        centre=centre, restricted=request_restricted(request), series=series, now=now, entries=list(page.object_list)
    )
    context = {**_series_context(request, series, now), "page": page, "students": students}
    return render(request, "centres/unitised/results.html", context)


@centre_staff_required
@never_cache
@require_GET
def unitised_slip(request: HttpRequest, public_id: str) -> HttpResponse:
    """Show a student's statement of marks (results slip), printable: unit UMS and grade, total UMS and grade."""
    entry = _own_entry(request, public_id)
    now = timezone.now()
    student = centre_reports.series_results(
        centre=request_centre(request),
        restricted=request_restricted(request),
        series=entry.session,
        now=now,
        entries=[entry],
    )[0]
    if not student.released:
        raise Http404("Results are not released to the centre yet.")
    context = {**_series_context(request, entry.session, now), "student": student, "entry": entry}
    return render(request, "centres/unitised/slip.html", context)


@centre_staff_required
@download_no_store
@require_GET
def unitised_cumulative_pdf(request: HttpRequest, public_id: str) -> HttpResponse:
    """Download a cash-in student's cumulative specification results report (PDF)."""
    entry = _own_entry(request, public_id)
    report = centre_reports.cumulative_report(
        centre=request_centre(request), restricted=request_restricted(request), entry=entry, now=timezone.now()
    )
    if report is None:
        raise Http404("No cumulative report: no certification entry, or results not released to the centre yet.")
    pdf = centre_reports.cumulative_report_pdf(report=report)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"cumulative-{entry.candidate_id}-{entry.session.exam.code}-{series_code(entry.session)}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@centre_staff_required
@never_cache
@require_GET
def unitised_boundaries(request: HttpRequest, series_id: str) -> HttpResponse:
    """Show the results and grade boundaries report: boundaries in force and the centre's grade counts."""
    series = _own_series(request, series_id)
    now = timezone.now()
    context = _series_context(request, series, now)
    if context["released"]:
        context["report"] = centre_reports.boundaries_report(
            centre=request_centre(request), restricted=request_restricted(request), series=series, now=now
        )
    return render(request, "centres/unitised/boundaries.html", context)


@centre_staff_required
@download_no_store
@require_GET
def unitised_special_consideration_csv(request: HttpRequest, series_id: str) -> HttpResponse:
    """Download the special consideration report (CSV): tariff, marks awarded, results calculated for absence."""
    series = _own_series(request, series_id)
    centre = request_centre(request)
    rows = centre_reports.special_consideration_rows(
        centre=centre, restricted=request_restricted(request), series=series, now=timezone.now()
    )
    filename = f"special-consideration-{centre.number}-{series.exam.code}-{series_code(series)}.csv"
    return csv_response(header=centre_reports.SPECIAL_CONSIDERATION_COLUMNS, rows=rows, filename=filename)


# --- Results files (unit and qualification) ------------------------------------------------------------------
@centre_staff_required
@never_cache
@require_GET
def unitised_results_files(request: HttpRequest, series_id: str) -> HttpResponse:
    """Show the latest results files of the series (unit file and qualification file)."""
    series = _own_series(request, series_id)
    now = timezone.now()
    context = _series_context(request, series, now)
    latest = (
        centre_files.results_files_latest(centre=request_centre(request), series=series) if context["released"] else {}
    )
    context["files"] = [
        {"kind": kind, "stored": latest.get(kind), "label": label}
        for kind, label in (
            (centre_files.UNIT_FILE, _("Unit marks and grades")),
            (centre_files.QUALIFICATION_FILE, _("Qualification marks and grades")),
        )
    ]
    return render(request, "centres/unitised/results_files.html", context)


@centre_staff_required
@download_no_store
@require_GET
def unitised_results_file_download(request: HttpRequest, series_id: str, kind: str) -> HttpResponse:
    """Download the latest stored results file of one kind (never before this member's release instant)."""
    series = _own_series(request, series_id)
    centre = request_centre(request)
    if kind not in centre_files.FILE_KINDS or timezone.now() < centre_opening(
        series, restricted=request_restricted(request)
    ):
        raise Http404("No such file.")
    stored = centre_files.results_files_latest(centre=centre, series=series).get(kind)
    if stored is None:
        raise Http404("The file has not been made yet.")
    day, sitting = stored.day.isoformat(), series_code(series)
    filename = f"results-{centre.number}-{series.exam.code}-{sitting}-{kind}-{day}.csv"
    return csv_file_response(text=centre_files.results_file_read(stored), filename=filename)


# --- Missing and incomplete results (MIR) -------------------------------------------------------------------
@centre_staff_required
@never_cache
@require_GET
def unitised_mir_list(request: HttpRequest) -> HttpResponse:
    """List the centre's missing or incomplete results requests with their status and the board's resolution."""
    requests = mir.missing_result_requests_for(centre=request_centre(request))
    page = Paginator(requests, MIR_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "centres/unitised/mir_list.html", {"page": page})


@centre_staff_required
@never_cache
@require_http_methods(["GET", "POST"])
def unitised_mir_new(request: HttpRequest, public_id: str) -> HttpResponse:
    """Raise a missing or incomplete results request for a student (free of charge)."""
    entry = _own_entry(request, public_id)
    units = _units(entry.session)
    form = MissingResultForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        unit = next((u for u in units if u.code == form.cleaned_data["unit"]), None)
        try:
            mir.missing_result_request_create(
                entry=entry, unit=unit, description=form.cleaned_data["description"], actor=cast(User, request.user)
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Missing or incomplete results request received for %(id)s. The service is free of charge.")
                % {"id": entry.candidate_id},
            )
            return redirect("centres:unitised_mir_list")
    status = 400 if request.method == "POST" else 200
    context = {**_series_context(request, entry.session, timezone.now()), "entry": entry, "form": form}
    return render(request, "centres/unitised/mir_new.html", context, status=status)
