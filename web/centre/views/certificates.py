"""The centre's certificate desk (/centre/certificates/…): released results with their documents, amended
certificates for misspelt names, certifying statements for lost certificates.

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
from certificates import selectors, services
from certificates.models import CertificateAmendment, Document
from results_portal.downloads import download_no_store
from web.centre.access import centre_staff_required, request_audience
from web.centre.forms import (
    AmendmentRequestForm,
    CertifyingStatementOrderForm,
    ConfirmForm,
    MarkPaidForm,
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
    order_form: CertifyingStatementOrderForm | None = None,
    status: int = 200,
) -> HttpResponse:
    certificate = selectors.current_document(result=result, kind=Document.Kind.CERTIFICATE)
    history = selectors.result_history(result=result)
    context = {
        "result": result,
        "entry": result.entry,
        "grade": selectors.overview_grade(result),
        "certificate": certificate,
        "amendment_form": amendment_form or AmendmentRequestForm(),
        "order_form": order_form or CertifyingStatementOrderForm(),
        "mark_paid_form": MarkPaidForm(),
        "last_day": services.amendment_last_day(exam_date=result.entry.session.date),
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
        messages.error(request, _("The amendment was refused: %(rule)s") % {"rule": amendment.refusal})
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
                messages.error(request, _("The amendment was refused: %(rule)s") % {"rule": amendment.refusal})
            else:
                messages.success(request, _("The amended certificate is ready to download and print."))
    return redirect("certificates:centre_entry", public_id=amendment.certificate.result.entry.public_id)


@centre_staff_required
@require_POST
def centre_order_create(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Order a certifying statement for a candidate who lost the certificate."""
    result = _centre_result(request, public_id)
    form = CertifyingStatementOrderForm(request.POST)
    if not form.is_valid():
        return _entry_page(request, result, order_form=form, status=400)
    try:
        services.certifying_statement_order(
            result=result,
            actor=cast(User, request.user),
            payment_method=form.cleaned_data["payment_method"],
            amount=form.cleaned_data["amount"],
            payment_reference=form.cleaned_data["payment_reference"],
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _entry_page(request, result, order_form=form, status=400)
    messages.success(request, _("Certifying statement ordered. Record the payment when it has been received."))
    return redirect("certificates:centre_entry", public_id=result.entry.public_id)


@centre_staff_required
@require_POST
def centre_order_paid(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Record the payment of a certifying statement; the statement is produced at once."""
    order = selectors.centre_order(audience=request_audience(request), public_id=public_id)
    if order is None:
        raise Http404("No such order at your centre.")
    form = MarkPaidForm(request.POST)
    if form.is_valid():
        try:
            services.certifying_statement_mark_paid(
                order=order, actor=cast(User, request.user), payment_reference=form.cleaned_data["payment_reference"]
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("Payment recorded. The certifying statement is ready to download."))
    return redirect("certificates:centre_entry", public_id=order.result.entry.public_id)
