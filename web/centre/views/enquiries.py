"""Enquiries about results in the centre area (/centre/enquiries/…): record the candidate's written consent, raise
an enquiry about a component, follow its status and outcome, download the list as CSV.

Every result is read through ``results_visible`` for the centre (``certificates.selectors.centre_result``): another
centre's entry gives 404. The rules (consent, deadline, fee) are ``results.enquiries``'; the page shows its refusals.
"""

import uuid
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from certificates.selectors import centre_result
from exams.models import ExamSession
from results import enquiries
from results.models import Result, ResultEnquiry
from results.presentation import result_view
from results_portal.downloads import csv_response, download_no_store
from web.centre.access import centre_staff_required, request_audience, request_centre
from web.centre.forms import EnquiryFilterForm, EnquiryRaiseForm, WrittenConsentForm

PAGE_SIZE = 50


def _filtered(request: HttpRequest) -> tuple[EnquiryFilterForm, QuerySet[ResultEnquiry]]:
    centre = request_centre(request)
    sessions = list(
        ExamSession.objects.filter(entries__centre=centre, entries__result__enquiries__isnull=False)
        .select_related("exam")
        .distinct()
        .order_by("-date", "exam__code")
    )
    form = EnquiryFilterForm(request.GET or None, sessions=sessions)
    chosen: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    session = next((s for s in sessions if str(s.public_id) == chosen.get("session")), None)
    queryset = enquiries.enquiries_for_centre(
        centre=centre,
        session_id=session.pk if session else None,
        status=chosen.get("status", ""),
        service=chosen.get("service", ""),
    )
    return form, queryset


@centre_staff_required
@never_cache
@require_GET
def enquiry_list(request: HttpRequest) -> HttpResponse:
    """List the enquiries about the centre's results, filtered by session, status and service."""
    form, queryset = _filtered(request)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "centres/enquiries/list.html", context)


@centre_staff_required
@download_no_store
@require_GET
def enquiry_csv(request: HttpRequest) -> HttpResponse:
    """Download the (filtered) enquiries of the centre as CSV."""
    _form, queryset = _filtered(request)
    filename = f"enquiries-{request_centre(request).number}.csv"
    return csv_response(
        header=enquiries.ENQUIRY_CSV_HEADER, rows=enquiries.enquiry_csv_rows(queryset), filename=filename
    )


def _result(request: HttpRequest, public_id: uuid.UUID) -> Result:
    result = centre_result(audience=request_audience(request), entry_public_id=public_id)
    if result is None:
        raise Http404("No released result for this entry at your centre.")
    return result


def _entry_page(
    request: HttpRequest,
    result: Result,
    *,
    consent_form: WrittenConsentForm | None = None,
    raise_form: EnquiryRaiseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    components = enquiries.enquiry_components(result=result)
    context = {
        "result": result,
        "entry": result.entry,
        "view": result_view(result=result),
        "session": result.entry.session,
        "deadline_refusal": enquiries.enquiry_deadline_refusal(session=result.entry.session),
        "consent": enquiries.enquiry_consent_current(result=result),
        "enquiries": enquiries.enquiries_with_details().filter(result=result),
        "consent_form": consent_form or WrittenConsentForm(),
        "raise_form": raise_form or EnquiryRaiseForm(components=components),
        "today": timezone.localdate(),
    }
    return render(request, "centres/enquiries/entry.html", context, status=status)


@centre_staff_required
@never_cache
@require_GET
def enquiry_entry(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Show one candidate's result with its consent, its enquiries and the forms to raise one."""
    return _entry_page(request, _result(request, public_id))


@centre_staff_required
@require_POST
def enquiry_consent(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Record the candidate's written consent to an enquiry (who signed it, when)."""
    result = _result(request, public_id)
    form = WrittenConsentForm(request.POST)
    if form.is_valid():
        try:
            enquiries.enquiry_consent_record_written(
                result=result,
                actor=cast(User, request.user),
                signed_by=form.cleaned_data["signed_by"],
                signed_on=form.cleaned_data["signed_on"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Written consent recorded. You can now raise the enquiry."))
            return redirect("centres:enquiry_entry", public_id=result.entry.public_id)
    return _entry_page(request, result, consent_form=form, status=400)


@centre_staff_required
@require_POST
def enquiry_raise(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Raise an enquiry about one component of the result; a refusal says which rule and date applied."""
    result = _result(request, public_id)
    components = enquiries.enquiry_components(result=result)
    form = EnquiryRaiseForm(request.POST, components=components)
    if form.is_valid():
        component = next(c for c in components if c.code == form.cleaned_data["component"])
        try:
            enquiry = enquiries.enquiry_raise(
                result=result,
                component=component,
                service=form.cleaned_data["service"],
                actor=cast(User, request.user),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Enquiry received: %(service)s of %(component)s, fee £%(fee)s.")
                % {"service": enquiry.get_service_display(), "component": component.name, "fee": enquiry.fee},
            )
            return redirect("centres:enquiry_entry", public_id=result.entry.public_id)
    return _entry_page(request, result, raise_form=form, status=400)
