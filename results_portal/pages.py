"""Whole pages kept in the cache for results day's busiest logged-in pages (the statement, the dashboard).

The caller decides, on every request, what the visitor may see (the database, through the visibility selector)
and makes a key of everything the page shows; only then is the page taken from the cache. A stored page holds
nothing of its visitor but the CSRF token of its forms, which stands there as a placeholder nobody can guess and
is replaced by the visitor's own token at each request. Requests with a query string or with messages to show
are rendered afresh. Keys end with a digest of the code and templates that draw the page, so after a
deployment no page drawn by the previous code is served.

Pages can also be drawn ahead, outside any request (``page_store``: the candidates' pages once results are ready,
before their release instant), under the key the request will make of the same data: such a page is data at
rest like the row it was drawn from, and is served by ``cached_page`` only after that request's own check. The
keys stored ahead for a result are listed under ``page_index_key`` so that a hold or an amendment can drop them
(``pages_forget``); a stale key could never be served anyway, since the data it was made of has changed.
"""

import functools
import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
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


def page_draw(request: HttpRequest, *, template: str, context: dict[str, Any]) -> tuple[str, str]:
    """Return a page as it is stored: the placeholder standing for the CSRF token, and the HTML."""
    placeholder = f"csrf-{secrets.token_hex(16)}"
    return placeholder, render_to_string(template, {**context, "csrf_token": placeholder}, request)


def cached_page(
    request: HttpRequest, *, key: str, template: str, context: Callable[[], dict[str, Any]]
) -> HttpResponse:
    """Answer with the page stored under ``key``, rendering and storing it (``context()``) if it is not there."""
    if request.GET or len(messages.get_messages(request)):
        return render(request, template, context())
    stored: tuple[str, str] | None = cache.get(key)
    if stored is None:
        stored = page_draw(request, template=template, context=context())
        cache.set(key, stored, PAGE_CACHE_SECONDS)
    placeholder, page = stored
    return HttpResponse(page.replace(placeholder, get_token(request)))


def page_request(*, path: str, user: AbstractBaseUser) -> HttpRequest:
    """Return the request a page drawn ahead is drawn for: a GET of ``path`` (no query string) by ``user``.

    The templates read only these of the request (the language form's ``next``, the navigation); the page
    drawn for one visitor is served to whoever passes the same check, as ``cached_page`` does.
    """
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = path
    request.META = {"SERVER_NAME": "localhost", "SERVER_PORT": "80"}
    request.user = user  # type: ignore[assignment]
    return request


def page_index_key(owner: object) -> str:
    """Return the key listing the pages drawn ahead for ``owner`` (a result)."""
    return f"page-index:{owner}"


def page_store(pages: dict[str, tuple[str, str]], *, index: dict[object, list[str]], seconds: int) -> None:
    """Store pages drawn ahead (key → ``page_draw``'s pair) and, per owner, the list of their keys."""
    if not pages:
        return
    cache.set_many(pages, seconds)
    cache.set_many({page_index_key(owner): keys for owner, keys in index.items()}, seconds)


def pages_keep(owners: Iterable[object], *, seconds: int) -> set[object]:
    """Keep the pages drawn ahead for these owners (and their lists) ``seconds`` from now; return the owners whose
    list was there with every page it names (the others' pages that are left are kept all the same)."""
    by_index = {page_index_key(owner): owner for owner in owners}
    listed: dict[str, list[str]] = cache.get_many(list(by_index))
    kept = set()
    for index_key, keys in listed.items():
        found = [cache.touch(key, seconds) for key in [*keys, index_key]]
        if all(found):
            kept.add(by_index[index_key])
    return kept


def pages_forget(owners: Iterable[object]) -> int:
    """Drop the pages drawn ahead for these owners (and their lists); return how many pages were listed."""
    index_keys = [page_index_key(owner) for owner in owners]
    listed: dict[str, list[str]] = cache.get_many(index_keys)
    keys = [key for found in listed.values() for key in found]
    cache.delete_many([*keys, *index_keys])
    return len(keys)
