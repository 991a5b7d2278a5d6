"""The centre's certificate desk (/centre/certificates/…): released results with their documents, amended
certificates for misspelt names, duplicate certificates, and the certifying statements its candidates ordered.

Every result is read through ``results_visible`` for the centre: another centre's entry gives 404. Every PDF is
served from storage (rendered by ``documents_render``, or once here if the task has not run).
"""

import uuid
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from certificates import duplicates, selectors, services
from certificates.models import CertificateAmendment, Document, DuplicateCertificateRequest
from results_portal.downloads import download_no_store
from web.centre.access import centre_staff_required, request_audience
from web.centre.forms import (
    AmendmentRequestForm,
    ConfirmForm,
    DuplicateRequestForm,
    SearchForm,
)
from web.common.documents import document_response

PAGE_SIZE = 50


def _document_or_404(result: Any, kind: str) -> Document:
    try:
        return services.document_current(result=result, kind=kind)
    except ValidationError as error:
        raise Http404("No document for this result.") from error


def _centre_result(request: HttpRequest, public_id: uuid.UUID) -> Any:
    result = selectors.centre_result(audience=request_audience(request), entry_public_id=public_id)
    if result is None:
        raise Http404("No released result for this entry at your centre.")
    return result


@centre_staff_required
@never_cache
@require_GET
def centre_list(request: HttpRequest) -> HttpResponse:
    """List the centre's released results with their certificates, and find a candidate."""
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    results = selectors.centre_documents_overview(audience=request_audience(request), query=query)
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [selectors.overview_row(result) for result in page]
    return render(request, "certificates/centre_list.html", {"form": form, "rows": rows, "page": page, "q": query})


@centre_staff_required
@never_cache
@require_GET
def centre_entry(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Show one candidate's documents, amendments and certifying statement orders, with the forms."""
    result = _centre_result(request, public_id)
    return _entry_page(request, result)


def _entry_page(
    request: HttpRequest,
    result: Any,
    *,
    amendment_form: AmendmentRequestForm | None = None,
    duplicate_form: DuplicateRequestForm | None = None,
    status: int = 200,
) -> HttpResponse:
    certificate = selectors.current_document(result=result, kind=Document.Kind.CERTIFICATE)
    history = selectors.result_history(result=result)
    exam_date = result.entry.session.date
    lost_from, lost_until = duplicates.lost_window(exam_date)
    context = {
        "result": result,
        "entry": result.entry,
        "grade": selectors.overview_grade(result),
        "certificate": certificate,
        "amendment_form": amendment_form or AmendmentRequestForm(),
        "duplicate_form": duplicate_form or DuplicateRequestForm(),
        "last_day": services.amendment_last_day(exam_date=exam_date),
        "lost_from": lost_from,
        "lost_until": lost_until,
        "damaged_until": duplicates.damaged_last_day(exam_date),
        "open_amendment": next(
            (
                a
                for a in history["amendments"]  # type: ignore[attr-defined]
                if a.status in {CertificateAmendment.Status.REQUESTED, CertificateAmendment.Status.RETURNED}
            ),
            None,
        ),
        **history,
    }
    return render(request, "certificates/centre_entry.html", context, status=status)


@centre_staff_required
@download_no_store
@require_GET
def centre_document_pdf(request: HttpRequest, document_uuid: uuid.UUID) -> HttpResponse:
    """Download one of the centre's documents (statement, certificate or certifying statement) from storage."""
    document = selectors.centre_document(audience=request_audience(request), document_uuid=document_uuid)
    if document is None:
        raise Http404("No such document at your centre.")
    if document.status == Document.Status.CURRENT:
        document = _document_or_404(document.result, document.kind)
    elif not document.file:
        raise Http404("This document was never rendered.")
    # A FileResponse streams; ``centre_staff_required`` is typed for plain responses but passes any through.
    return cast(HttpResponse, document_response(document))


@centre_staff_required
@require_http_methods(["POST"])
def centre_amendment_request(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Request an amended certificate (misspelt name); a request the rules refuse is recorded and explained."""
    result = _centre_result(request, public_id)
    form = AmendmentRequestForm(request.POST)
    certificate = selectors.current_document(result=result, kind=Document.Kind.CERTIFICATE)
    if certificate is None:
        raise Http404("No certificate for this result.")
    if not form.is_valid():
        return _entry_page(request, result, amendment_form=form, status=400)
    try:
        amendment = services.certificate_amendment_request(
            certificate=certificate,
            actor=cast(User, request.user),
            reason=form.cleaned_data["reason"],
            corrected_first_name=form.cleaned_data["corrected_first_name"],
            corrected_last_name=form.cleaned_data["corrected_last_name"],
            explanation=form.cleaned_data["explanation"],
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _entry_page(request, result, amendment_form=form, status=400)
    if amendment.status == CertificateAmendment.Status.REFUSED:
        messages.error(request, _("The amendment was refused: %(rule)s") % {"rule": amendment.refusal_shown})
    else:
        messages.success(
            request,
            _("Amendment requested. When the incorrect certificate is back at the centre, record its return."),
        )
    return redirect("certificates:centre_entry", public_id=result.entry.public_id)


def _amendment_or_404(request: HttpRequest, public_id: uuid.UUID) -> CertificateAmendment:
    amendment = selectors.centre_amendment(audience=request_audience(request), public_id=public_id)
    if amendment is None:
        raise Http404("No such amendment at your centre.")
    return amendment


@centre_staff_required
@require_POST
def centre_amendment_returned(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Record that the incorrect certificate has been returned to the centre."""
    amendment = _amendment_or_404(request, public_id)
    if ConfirmForm(request.POST).is_valid():
        try:
            services.certificate_amendment_mark_returned(amendment=amendment, actor=cast(User, request.user))
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("Return recorded. You can now produce the amended certificate."))
    return redirect("certificates:centre_entry", public_id=amendment.certificate.result.entry.public_id)


@centre_staff_required
@require_POST
def centre_amendment_issue(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Produce the amended certificate (only once the incorrect one has been returned)."""
    amendment = _amendment_or_404(request, public_id)
    if ConfirmForm(request.POST).is_valid():
        try:
            amendment = services.certificate_amendment_issue(amendment=amendment, actor=cast(User, request.user))
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            if amendment.status == CertificateAmendment.Status.REFUSED:
                messages.error(request, _("The amendment was refused: %(rule)s") % {"rule": amendment.refusal_shown})
            else:
                messages.success(request, _("The amended certificate is ready to download and print."))
    return redirect("certificates:centre_entry", public_id=amendment.certificate.result.entry.public_id)


@centre_staff_required
@require_POST
def centre_duplicate_request(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Ask the board for a duplicate certificate; a request the rules refuse is recorded and says which rule."""
    result = _centre_result(request, public_id)
    form = DuplicateRequestForm(request.POST)
    certificate = selectors.current_document(result=result, kind=Document.Kind.CERTIFICATE)
    if certificate is None:
        raise Http404("No certificate for this result.")
    if not form.is_valid():
        return _entry_page(request, result, duplicate_form=form, status=400)
    try:
        duplicate = duplicates.duplicate_certificate_request(
            certificate=certificate,
            actor=cast(User, request.user),
            reason=form.cleaned_data["reason"],
            in_writing=form.cleaned_data["in_writing"],
            trace_reference=form.cleaned_data["trace_reference"],
            original_returned=form.cleaned_data["original_returned"],
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _entry_page(request, result, duplicate_form=form, status=400)
    if duplicate.status == DuplicateCertificateRequest.Status.REFUSED:
        messages.error(request, _("The duplicate was refused: %(rule)s") % {"rule": duplicate.refusal_shown})
    else:
        messages.success(request, _("Duplicate certificate requested. The board will decide on it."))
    return redirect("certificates:centre_entry", public_id=result.entry.public_id)
