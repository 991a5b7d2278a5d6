"""Confirmation of Entry PDFs: one A4 page per candidate, with the login details for Results Online."""

from collections.abc import Sequence

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from .imports import IssuedEntry

CONFIRMATION_TEMPLATE = "centres/confirmation_of_entry.html"


def confirmation_of_entry_pdf(*, issued: Sequence[IssuedEntry]) -> bytes:
    """Return a PDF with one Confirmation of Entry page per entry, in the active language.

    The pages show the secret numbers in clear: hand the PDF to the centre and do not store it.
    """
    html = render_to_string(
        CONFIRMATION_TEMPLATE,
        {
            "issued": issued,
            "issued_on": timezone.localdate(),
            "register_url": f"{settings.SITE_URL}/results/register/",
            "site_url": settings.SITE_URL,
        },
    )
    # Imported here, not at the top: importing WeasyPrint takes about a second (and logs its stylesheet
    # parsing), which every web worker and management command would pay just for loading the URLs.
    import weasyprint

    pdf = weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    assert pdf is not None  # noqa: S101 - write_pdf() without a target always returns the bytes
    return pdf
