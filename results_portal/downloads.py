"""Downloads: the one writer of every CSV download and file (docs/domain.md §12.6), and the one decorator every
download view wears (``download_no_store``).

Every CSV goes through ``csv_text``:

- A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a single
  quote before it (OWASP's advice on CSV injection), so a spreadsheet shows the text instead of running it as
  a formula; the rest of the cell is kept as it was. A cell given as a number (``int``, ``Decimal``, ``float``)
  is written as that number, unprefixed: ``-3`` stays a number a spreadsheet can add up. So a column of
  numbers is given as numbers; the same value given as text (``"-3"``) is prefixed like any other text.
- The text starts with a UTF-8 byte-order mark, so that Excel reads accented names as UTF-8. Our own readers
  (``results_portal.csvimport.read_records``, ``results.centre_files.results_files_parse``) accept it.
- Lines end with CRLF (RFC 4180).
"""

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from functools import wraps
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

BOM = "\ufeff"
# Characters a spreadsheet reads as the start of a formula (CSV injection, OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """Return ``value`` as it is written in a cell: numbers as they are, ``None`` empty, text formula-safe."""
    if isinstance(value, int | Decimal | float):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(*, header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Return ``rows`` under ``header`` as CSV text: a byte-order mark first, every cell through ``csv_cell``."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(name) for name in header])
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def csv_file_response(*, text: str | bytes, filename: str) -> HttpResponse:
    """Return CSV text made by ``csv_text`` (or stored from it) as an attachment named ``filename``.

    The view that returns it wears ``download_no_store``, which keeps it out of every cache.

    A file stored before the writer added the byte-order mark gets it here, so every download starts with it.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    if not data.startswith(BOM.encode("utf-8")):
        data = BOM.encode("utf-8") + data
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(*, header: Sequence[str], rows: Iterable[Sequence[object]], filename: str) -> HttpResponse:
    """Return ``rows`` under ``header`` as a CSV attachment named ``filename`` (for a ``download_no_store`` view)."""
    return csv_file_response(text=csv_text(header=header, rows=rows), filename=filename)


# What every download answers: only the person's own browser holds it, and only while it saves the file. Not kept
# in its cache either: a result held after it was downloaded must not come back from the browser's cache.
DOWNLOAD_CACHE_CONTROL = "private, no-store"
_View = TypeVar("_View", bound=Callable[..., Any])


def download_no_store(view: _View) -> _View:
    """Decorate a view that serves a download (PDF, CSV, credential, report, results file): never cached, anywhere.

    Every response of the view (the file, or the page saying it is being prepared) gets ``Cache-Control:
    private, no-store`` and no ``ETag``, ``Last-Modified`` or ``Expires``, so no browser or proxy keeps a copy and
    no request is answered "304 Not Modified" from one. ``tests/test_download_routes.py`` walks every URL
    pattern and fails for a download view without this decorator.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response: HttpResponseBase = view(request, *args, **kwargs)
        response["Cache-Control"] = DOWNLOAD_CACHE_CONTROL
        for header in ("ETag", "Last-Modified", "Expires"):
            if header in response:
                del response[header]
        return response

    wrapped.download_no_store = True  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]
