"""Whole pages kept in the cache for results day's busiest logged-in pages (the statement, the dashboard).

The caller decides, on every request, what the visitor may see (the database, through the visibility selector)
and makes a key of everything the page shows; only then is the page taken from the cache. A stored page holds
nothing of its visitor but the CSRF token of its forms, which stands there as a placeholder nobody can guess and
is replaced by the visitor's own token at each request. Requests with a query string or with messages to show
are rendered afresh. Keys end with a digest of the code and templates that draw the page, so after a
deployment no page drawn by the previous code is served.
"""

import functools
import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language

PAGE_CACHE_SECONDS = 600
# Every page is drawn with these too; their changes are deployments like any other.
COMMON_SOURCES = (
    "templates/base.html",
    "locale/es/LC_MESSAGES/django.mo",
    "locale/zh_Hans/LC_MESSAGES/django.mo",
)


@functools.cache
def sources_version(names: tuple[str, ...]) -> str:
    """Return a short digest of these files (relative to the project), read once per process."""
    digest = hashlib.blake2b(digest_size=6)
    for name in (*COMMON_SOURCES, *names):
        path = settings.BASE_DIR / name
        digest.update(path.read_bytes() if path.exists() else name.encode())
    return digest.hexdigest()


def page_key(kind: str, owner: object, shown: Iterable[object], sources: tuple[str, ...]) -> str:
    """Return the cache key of a page of ``kind`` showing ``shown``, in the active language."""
    digest = hashlib.blake2b(repr(tuple(shown)).encode(), digest_size=12).hexdigest()
    return f"page:{kind}:{owner}:{digest}:{get_language()}:{sources_version(sources)}"


def cached_page(
    request: HttpRequest, *, key: str, template: str, context: Callable[[], dict[str, Any]]
) -> HttpResponse:
    """Answer with the page stored under ``key``, rendering and storing it (``context()``) if it is not there."""
    if request.GET or len(messages.get_messages(request)):
        return render(request, template, context())
    stored: tuple[str, str] | None = cache.get(key)
    if stored is None:
        placeholder = f"csrf-{secrets.token_hex(16)}"
        stored = (placeholder, render_to_string(template, {**context(), "csrf_token": placeholder}, request))
        cache.set(key, stored, PAGE_CACHE_SECONDS)
    placeholder, page = stored
    return HttpResponse(page.replace(placeholder, get_token(request)))
