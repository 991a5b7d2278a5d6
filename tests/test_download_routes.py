"""Every URL that serves a download wears ``download_no_store``, so a new download route cannot forget it.

The test walks every URL pattern of the project, reads the source of each of our views (and of the ``web`` helpers
it calls, e.g. ``_pdf_response``) and calls it a download when it builds an attachment: ``Content-Disposition``,
a ``FileResponse``, a PDF, or one of the CSV and document helpers. Each of those must be decorated with
``results_portal.downloads.download_no_store`` (``Cache-Control: private, no-store``, no ETag, no 304).
"""

import ast
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

APPS = ("web", "results_portal", "accounts", "exams", "centres", "candidates", "results", "certificates")
OUR_PACKAGES = tuple(f"{package}." for package in (*APPS, "verification"))
DOWNLOAD_MARKERS = re.compile(
    r"Content-Disposition|FileResponse|as_attachment|application/pdf|\b(csv_response|csv_file_response|document_response)\("
)
# The downloads of personal results (and the public statistics CSV) as the URLconf names them today: the walk must
# find at least these, so a change that blinds it fails here.
KNOWN_DOWNLOADS = {
    "certificates:statement_pdf",
    "centres:entry_confirmation_pdf",
    "verification_share:credential",
    "certificates:centre_document_pdf",
    "centres:import_issued_csv",
    "centres:import_confirmations_pdf",
    "centres:results_csv",
    "centres:unitised_cumulative_pdf",
    "centres:unitised_special_consideration_csv",
    "centres:unitised_results_file_download",
    "verification:bulk_download",
    "statistics:csv",
}


def _patterns(resolvers: list[Any], namespace: str = "") -> Iterator[tuple[str, Callable[..., Any]]]:
    """Yield (namespaced name or route, callback) of every URL pattern under ``resolvers``."""
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}{entry.name}" if entry.name else str(entry.pattern)), entry.callback


def _ours(function: Callable[..., Any]) -> bool:
    return (getattr(function, "__module__", "") or "").startswith(OUR_PACKAGES)


def _source(function: Callable[..., Any], seen: set[Callable[..., Any]]) -> str:
    """Return the source of ``function`` and of the ``web`` functions it calls, followed to any depth."""
    if function in seen:
        return ""
    seen.add(function)
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return ""
    parts = [source]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            called = getattr(function, "__globals__", {}).get(node.func.id)
            if inspect.isfunction(called) and called.__module__.startswith("web."):
                parts.append(_source(called, seen))
    return "\n".join(parts)


def _downloads() -> dict[str, Callable[..., Any]]:
    """Return the URL patterns whose view builds a download, by name."""
    found = {}
    for name, callback in _patterns(get_resolver().url_patterns):
        view = inspect.unwrap(callback)
        if _ours(view) and DOWNLOAD_MARKERS.search(_source(view, set())):
            found[name] = callback
    return found


def test_the_walk_finds_every_known_download() -> None:
    assert KNOWN_DOWNLOADS <= set(_downloads())


def test_every_download_route_is_never_stored() -> None:
    forgotten = sorted(
        name for name, callback in _downloads().items() if not getattr(callback, "download_no_store", 0)
    )

    assert not forgotten, f"download views without @download_no_store: {forgotten}"


def test_pages_that_are_not_downloads_are_not_taken_for_downloads() -> None:
    found = _downloads()

    assert not {"home", "statistics:index", "credential_status:status_list", "did_document"} & set(found)
