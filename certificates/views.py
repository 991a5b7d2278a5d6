"""Document pages: the candidate's Statement PDF, the QR verification page, and the centre's certificate desk.

Every PDF is served from storage (rendered by ``documents_render``, or once here if the task has not run).
Every result is read through ``results_visible``: a candidate sees their own released results, a centre its
own (another centre's gives 404), and the QR page only a result that may be shown now.
"""

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
)
from django.utils.http import http_date, quote_etag
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from candidates.models import CandidateAccount
from centres.access import centre_staff_required, request_centre

from . import selectors, services
from .forms import AmendmentRequestForm, CertifyingStatementOrderForm, ConfirmForm, MarkPaidForm, SearchForm
from .models import CertificateAmendment, Document

View = Callable[..., HttpResponseBase]
# A stored PDF changes only when a new document replaces it; an hour of private caching is safe, and the
# ETag lets the browser revalidate cheaply after that.
PDF_MAX_AGE = 3600
PREPARING_RETRY_SECONDS = 15
PAGE_SIZE = 50
FILENAMES = {
    Document.Kind.STATEMENT: "statement-of-results",
    Document.Kind.CERTIFICATE: "certificate",
    Document.Kind.CERTIFYING_STATEMENT: "certifying-statement",
}


def _serve(request: HttpRequest, document: Document) -> HttpResponseBase:
    """Return the stored PDF as a download, privately cacheable, with an ETag and Last-Modified."""
    etag = quote_etag(f"{document.uuid.hex}-{int(document.rendered_at.timestamp()) if document.rendered_at else 0}")
    last_modified = int(document.rendered_at.timestamp()) if document.rendered_at else None
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        response: HttpResponseBase = not_modified
    else:
        exam = document.result.entry.session.exam.code
        filename = f"{FILENAMES[Document.Kind(document.kind)]}-{exam}-{document.result.entry.candidate_id}.pdf"
        response = FileResponse(
            document.file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
        )
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    patch_cache_control(response, private=True, max_age=PDF_MAX_AGE)
    patch_vary_headers(response, ["Cookie"])
    return response


def _document_or_404(result: Any, kind: str) -> Document:
    try:
        return services.document_current(result=result, kind=kind)
    except ValidationError as error:
        raise Http404("No document for this result.") from error


# --- Candidates -------------------------------------------------------------------------------------------
def candidate_account_required(view: View) -> View:
    """Let in only a logged-in candidate whose account is confirmed; set ``request.candidate_account``.

    A visitor who is not logged in goes to the candidates' login page; anyone else logged in gets 404.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url=reverse("candidates:login"))
        account = CandidateAccount.objects.filter(
            user=cast(User, request.user), email_confirmed_at__isnull=False
        ).first()
        if account is None:
            raise Http404("No Results Online account.")
        request.candidate_account = account  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


@candidate_account_required
@require_GET
def statement_pdf(request: HttpRequest, public_id: uuid.UUID) -> HttpResponseBase:
    """Download the Statement of Results PDF of one of the candidate's released results.

    A PDF not rendered yet is asked of the documents workers, and the candidate gets a page saying it is
    being prepared (202, Retry-After): the web node never renders it in the request.
    """
    account: CandidateAccount = request.candidate_account  # type: ignore[attr-defined]
    result = selectors.statement_result_for_account(account_id=account.pk, entry_public_id=public_id)
    if result is None:
        raise Http404("No released result.")
    kind = Document.Kind.STATEMENT
    document = services.document_stored(result=result, kind=kind) or services.document_render_soon(
        result=result, kind=kind
    )
    if document is None:
        response = render(
            request,
            "certificates/preparing.html",
            {"retry_seconds": PREPARING_RETRY_SECONDS, "public_id": public_id},
            status=202,
        )
        response["Retry-After"] = str(PREPARING_RETRY_SECONDS)
        add_never_cache_headers(response)
        return response
    return _serve(request, document)


# --- Verification (QR code) -------------------------------------------------------------------------------
@never_cache
@require_GET
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Show what a document's QR code proves: its facts now, and whether it is current, replaced or revoked."""
    document = selectors.document_for_token(token=token)
    verification = selectors.document_verification(document=document) if document is not None else None
    if verification is None:
        raise Http404("Unknown document.")
    response = render(request, "certificates/verify.html", {"v": verification, "Kind": Document.Kind})
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- Centres ----------------------------------------------------------------------------------------------
def _centre_result(request: HttpRequest, public_id: uuid.UUID) -> Any:
    result = selectors.centre_result(centre=request_centre(request), entry_public_id=public_id)
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
    results = selectors.centre_documents_overview(centre=request_centre(request), query=query)
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
@never_cache
@require_GET
def centre_document_pdf(request: HttpRequest, document_uuid: uuid.UUID) -> HttpResponse:
    """Download one of the centre's documents (statement, certificate or certifying statement) from storage."""
    document = selectors.centre_document(centre=request_centre(request), document_uuid=document_uuid)
    if document is None:
        raise Http404("No such document at your centre.")
    if document.status == Document.Status.CURRENT:
        document = _document_or_404(document.result, document.kind)
    elif not document.file:
        raise Http404("This document was never rendered.")
    # A FileResponse streams; ``centre_staff_required`` is typed for plain responses but passes any through.
    return cast(HttpResponse, _serve(request, document))


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
    amendment = selectors.centre_amendment(centre=request_centre(request), public_id=public_id)
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
    order = selectors.centre_order(centre=request_centre(request), public_id=public_id)
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
