"""The candidate's documents: the Statement of Results PDF (/results/<entry>/statement.pdf).

Every PDF is served from storage (rendered by ``documents_render``, never in the request). The result is read
through ``results_visible``: a candidate sees only their own released results.
"""

import uuid

from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from certificates import selectors, services
from certificates.models import Document
from results_portal.downloads import download_no_store
from web.candidate.access import candidate_required, request_account
from web.common.documents import document_response

PREPARING_RETRY_SECONDS = 15


@candidate_required
@download_no_store
@require_GET
def statement_pdf(request: HttpRequest, public_id: uuid.UUID) -> HttpResponseBase:
    """Download the Statement of Results PDF of one of the candidate's released results.

    A PDF not rendered yet is asked of the documents workers, and the candidate gets a page saying it is
    being prepared (202, Retry-After): the web node never renders it in the request.
    """
    account = request_account(request)
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
        return response
    return document_response(document)
