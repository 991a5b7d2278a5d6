"""Serving a stored PDF document (statement, certificate, certifying statement): to a candidate or a centre."""

from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, quote_etag

from certificates.models import Document

# A stored PDF changes only when a new document replaces it; an hour of private caching is safe, and the
# ETag lets the browser revalidate cheaply after that.
PDF_MAX_AGE = 3600
FILENAMES = {
    Document.Kind.STATEMENT: "statement-of-results",
    Document.Kind.CERTIFICATE: "certificate",
    Document.Kind.CERTIFYING_STATEMENT: "certifying-statement",
}


def document_response(request: HttpRequest, document: Document) -> HttpResponseBase:
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
