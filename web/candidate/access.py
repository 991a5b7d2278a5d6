"""The one gate of the candidate area (/results/…): a logged-in user with a confirmed Results Online account.

Every candidate page that needs a login uses ``candidate_required``, and refuses the same way:

- a visitor who is not logged in is sent to the candidates' login page (``?next=`` the page asked for);
- a logged-in user without a confirmed candidate account (centre staff, a verifier organisation, an account
  whose email is not confirmed yet) is logged out and sent to the same login page;
- an entry, result, document or share link that is not the candidate's own answers 404, never a hint that it
  exists (each view looks its object up within ``request.candidate_account``).
"""

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone

from accounts.backends import ACCOUNT_KEY, user_loaded_with
from accounts.models import User
from accounts.sessions import logout_this_session_only
from candidates.models import CandidateAccount
from results_portal.pages import page_prefetch
from results_portal.prepared import one_query_string

_ALONGSIDE = "_candidate_alongside"

View = Callable[..., HttpResponseBase]


def candidate_required(view: View) -> View:
    """Allow only logged-in candidates with a confirmed account; set ``request.candidate_account``."""

    @wraps(view)
    @login_required
    def gate(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = cast(User, request.user)
        try:
            # Loaded with the user when the session names accounts.backends.UserWithAccountBackend (candidates'
            # logins do); a query here otherwise.
            account: CandidateAccount | None = user.candidate_account  # type: ignore[attr-defined]
        except CandidateAccount.DoesNotExist:
            account = None
        if account is None or account.email_confirmed_at is None:
            logout_this_session_only(request)
            return redirect("candidates:login")
        request.candidate_account = account  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return gate


def candidate_page(
    *,
    slot: Callable[..., str] | None = None,
    alongside: Callable[..., tuple[str, list[Any]]] | None = None,
) -> Callable[[View], View]:
    """``candidate_required``, for the busiest pages: fewer round trips before the same gate.

    - ``slot(**url_kwargs)``: the page's slot in the cache (``results_portal.pages.page_slot``), read with the
      session in one round trip (``page_prefetch``); served only by ``cached_page``, after the view's own check.
    - ``alongside(account_id=…, now=…, **url_kwargs)``: a query (SQL and values) that the view would send for this
      account; it goes with the user's own query, for the account the session names (``ACCOUNT_KEY``, written at
      login). ``alongside_rows`` gives its rows to the view only if the gate let in that very account.
    """

    def decorate(view: View) -> View:
        gated = candidate_required(view)

        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if slot is not None:
                page_prefetch(request, slot(**kwargs))
            # PostgreSQL binding on the client only (accounts.backends); elsewhere one query at a time.
            hint = request.session.get(ACCOUNT_KEY) if alongside is not None and one_query_string() else None
            now = timezone.now()
            query = alongside(account_id=hint, now=now, **kwargs) if alongside and type(hint) is int else None
            with user_loaded_with(query) as loaded:
                _ = request.user.is_authenticated  # the user is loaded here, with the query when there is one
            setattr(request, _ALONGSIDE, (hint, None if loaded is None else loaded.rows, now))
            return gated(request, *args, **kwargs)

        return wrapper

    return decorate


def alongside_rows(request: HttpRequest) -> tuple[list[tuple[Any, ...]], dt.datetime] | None:
    """Return the rows of the ``alongside`` query sent with the user's and the moment it was made for, if it was
    made for this request's own account (the one the gate let in); None otherwise: the view sends it itself."""
    hint, rows, now = getattr(request, _ALONGSIDE, (None, None, None))
    if rows is None or now is None or hint != request_account(request).pk:
        return None
    return rows, now


def request_account(request: HttpRequest) -> CandidateAccount:
    """Return the account of the candidate making this request (set by ``candidate_required``)."""
    return request.candidate_account  # type: ignore[attr-defined, no-any-return]
