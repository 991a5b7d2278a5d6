"""File downloads shared by the apps: CSV files built in memory."""

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse


def csv_response(*, header: Sequence[str], rows: Iterable[Sequence[object]], filename: str) -> HttpResponse:
    """Return ``rows`` under ``header`` as a CSV attachment named ``filename``, never cached."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
