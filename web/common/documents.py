"""Serving a stored PDF document (statement, certificate, certifying statement): to a candidate or a centre."""

from django.http import FileResponse

from certificates.models import Document

FILENAMES = {
    Document.Kind.STATEMENT: "statement-of-results",
    Document.Kind.CERTIFICATE: "certificate",
    Document.Kind.CERTIFYING_STATEMENT: "certifying-statement",
}


def document_response(document: Document) -> FileResponse:
    """Return the stored PDF as a download.

    No ETag or Last-Modified, and never "304 Not Modified": the view wears ``download_no_store``, so the browser
    keeps no copy that could outlive a hold or an amendment and asks for the document again each time.
    """
    exam = document.result.entry.session.exam.code
    filename = f"{FILENAMES[Document.Kind(document.kind)]}-{exam}-{document.result.entry.candidate_id}.pdf"
    return FileResponse(
        document.file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
    )
