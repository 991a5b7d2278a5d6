"""The candidate's post-results pages for one released result (/results/<entry>/…): consent to an enquiry about
results and follow it; order a certifying statement for a lost certificate and follow the order.

Every result is read through ``results_visible`` for the candidate's own account: anyone else's entry is a 404.
"""

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from candidates.models import CandidateAccount
from certificates.models import CertifyingStatementOrder, Document
from certificates.services import certificate_had, certifying_statement_order, document_current
from exams.models import ServiceFee
from exams.selectors import service_fee
from results import enquiries
from results.presentation import result_view
from results.selectors import Audience, results_visible
from results_portal.downloads import download_no_store
from web.candidate.access import candidate_required, request_account
from web.candidate.forms import CertifyingStatementOrderForm, EnquiryConsentForm
from web.common.documents import document_response


def _own_released_result(request: HttpRequest, public_id: uuid.UUID) -> tuple[CandidateAccount, Any]:
    account = request_account(request)
    result = (
        results_visible(audience=Audience.candidate(account.pk))
        .select_related("entry__session__exam", "entry__person", "entry__centre")
        .filter(entry__public_id=public_id)
        .first()
    )
    if result is None:
        raise Http404
    return account, result


@candidate_required
@never_cache
@require_http_methods(["GET", "POST"])
def enquiries_page(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Explain enquiries about results, take the candidate's consent, and show each enquiry's status and outcome."""
    account, result = _own_released_result(request, public_id)
    form = EnquiryConsentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            enquiries.enquiry_consent_give(account=account, result=result)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Thank you: your consent is recorded. Your exam centre can now raise the enquiry.")
            )
            return redirect("candidates:enquiries", public_id=public_id)
    context = {
        "result": result,
        "entry": result.entry,
        "view": result_view(result=result),
        "session": result.entry.session,
        "consent": enquiries.enquiry_consent_current(result=result),
        "enquiries": enquiries.enquiries_for_account(account=account, result=result),
        "form": form,
    }
    return render(request, "candidates/enquiries.html", context, status=400 if form.errors else 200)


@candidate_required
@never_cache
@require_http_methods(["GET", "POST"])
def certifying_statement_page(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Order a certifying statement for a lost certificate at the board's fee, and follow the orders."""
    account, result = _own_released_result(request, public_id)
    form = CertifyingStatementOrderForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            certifying_statement_order(result=result, account=account)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _(
                    "Order received. Pay the fee by card or postal order as explained below; the board produces the "
                    "statement once your payment has arrived."
                ),
            )
            return redirect("candidates:certifying_statement", public_id=public_id)
    context = {
        "result": result,
        "entry": result.entry,
        "certificate": certificate_had(result=result),
        "fee": service_fee(service=ServiceFee.Service.CERTIFYING_STATEMENT, on=timezone.localdate()),
        "orders": CertifyingStatementOrder.objects.filter(result=result).select_related("document"),
        "form": form,
    }
    return render(request, "candidates/certifying_statement.html", context, status=400 if form.errors else 200)


@candidate_required
@download_no_store
@require_GET
def certifying_statement_pdf(request: HttpRequest, public_id: uuid.UUID) -> HttpResponseBase:
    """Download the candidate's current certifying statement for one of their released results, once produced."""
    _account, result = _own_released_result(request, public_id)
    try:
        document = document_current(result=result, kind=Document.Kind.CERTIFYING_STATEMENT)
    except ValidationError as error:
        raise Http404("No certifying statement for this result.") from error
    return document_response(document)
