"""Whole pages kept in the cache for results day's busiest logged-in pages (the statement, the dashboard).

The caller decides, on every request, what the visitor may see (the database, through the visibility selector)
and makes a key of everything the page shows; only then is the page taken from the cache. A stored page holds
nothing of its visitor but the CSRF token of its forms, which stands there as a placeholder nobody can guess and
is replaced by the visitor's own token at each request. Requests with a query string or with messages to show
are rendered afresh. Keys hold a digest of the code and templates that draw the page, so after a deployment no
page drawn by the previous code is served.

Pages can also be drawn ahead, outside any request (``page_store``: the candidates' pages once results are ready,
before their release instant), under the key the request will make of the same data: such a page is data at
rest like the row it was drawn from, and is served by ``cached_page`` only after that request's own check. The
keys stored ahead for a result are listed under ``page_index_key`` so that a hold or an amendment can drop them
(``pages_forget``); a stale key could never be served anyway, since the data it was made of has changed.

A page is kept with the digest of what it shows, and the request serves it only when that digest is the one it made
of the data the database gave it in that request. The statement's key is named by its URL alone (its *slot*:
kind, owner, language, code version), so it is read with the visitor's session in one round trip to the cache
(``page_prefetch``), before the database is asked anything; it is served, like any other, only after the
request's own check, and only when the digests match.
"""

import functools
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
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


@dataclass(frozen=True)
class PageKey:
    """Where a page is kept (``slot``) and the digest of everything it shows (``shown``)."""

    slot: str
    shown: str


def page_slot(kind: str, owner: object, sources: tuple[str, ...]) -> str:
    """Return the slot of the page of ``kind`` for ``owner`` in the active language: its key when it is named by
    its owner alone (``page_key(…, by_owner=True)``), so that it can be read before the data it shows."""
    return f"page2:{kind}:{owner}:{get_language()}:{sources_version(sources)}"


def page_key(
    kind: str, owner: object, shown: Iterable[object], sources: tuple[str, ...], *, by_owner: bool = False
) -> PageKey:
    """Return the key of a page of ``kind`` for ``owner`` showing ``shown``, in the active language.

    By default the digest of ``shown`` is part of the key too, so that pages showing different data are kept side
    by side (the dashboard drawn ahead for the release instant is not replaced by the one served before it).
    ``by_owner``: one page per owner and language (``page_slot``), for a page that is drawn only once there is
    something to show (the statement: a 404 before its instant) and that is read with the session.
    """
    digest = hashlib.blake2b(repr(tuple(shown)).encode(), digest_size=12).hexdigest()
    slot = page_slot(kind, owner, sources)
    return PageKey(slot=slot if by_owner else f"{slot}:{digest}", shown=digest)


def page_draw(request: HttpRequest, *, template: str, context: dict[str, Any]) -> tuple[str, str]:
    """Return a page as it is stored: the placeholder standing for the CSRF token, and the HTML."""
    placeholder = f"csrf-{secrets.token_hex(16)}"
    return placeholder, render_to_string(template, {**context, "csrf_token": placeholder}, request)


_PREFETCHED = "_pages_prefetched"


def page_prefetch(request: HttpRequest, slot: str) -> None:
    """Read what is kept in ``slot`` with the visitor's session, in one round trip to the cache when the session
    engine can (``accounts.session_store``). Nothing is served from it before ``cached_page``, after the request's
    own check, and only if it shows what that check read."""
    session = getattr(request, "session", None)
    read_with = getattr(session, "read_with", None)
    if read_with is None or getattr(session, "session_key", None) is None:  # nobody logged in: nothing to read
        return
    setattr(request, _PREFETCHED, {slot: read_with(caches[DEFAULT_CACHE_ALIAS], [slot]).get(slot)})


def cached_page(
    request: HttpRequest, *, key: PageKey, template: str, context: Callable[[], dict[str, Any]]
) -> HttpResponse:
    """Answer with the page kept under ``key``, rendering and keeping it (``context()``) if it is not there."""
    if request.GET or len(messages.get_messages(request)):
        return render(request, template, context())
    prefetched: dict[str, Any] = getattr(request, _PREFETCHED, {})
    kept = prefetched[key.slot] if key.slot in prefetched else cache.get(key.slot)
    if isinstance(kept, tuple) and len(kept) == 3 and kept[0] == key.shown:
        _shown, placeholder, page = kept
    else:
        placeholder, page = page_draw(request, template=template, context=context())
        cache.set(key.slot, (key.shown, placeholder, page), PAGE_CACHE_SECONDS)
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


def page_store(pages: dict[PageKey, tuple[str, str]], *, index: dict[object, list[str]], seconds: int) -> None:
    """Keep pages drawn ahead (key → ``page_draw``'s pair) and, per owner, the list of their slots."""
    if not pages:
        return
    cache.set_many({key.slot: (key.shown, *drawn) for key, drawn in pages.items()}, seconds)
    cache.set_many({page_index_key(owner): slots for owner, slots in index.items()}, seconds)


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
