"""The one gate of the candidate area (/results/…): a logged-in user with a confirmed Results Online account.

Every candidate page that needs a login uses ``candidate_required``, and refuses the same way:

- a visitor who is not logged in is sent to the candidates' login page (``?next=`` the page asked for);
- a logged-in user without a confirmed candidate account (centre staff, a verifier organisation, an account
  whose email is not confirmed yet) is logged out and sent to the same login page;
- an entry, result, document or share link that is not the candidate's own answers 404, never a hint that it
  exists (each view looks its object up within ``request.candidate_account``).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect

from accounts.models import User
from accounts.sessions import logout_this_session_only
from candidates.models import CandidateAccount

View = Callable[..., HttpResponseBase]


def candidate_required(view: View) -> View:
    """Allow only logged-in candidates with a confirmed account; set ``request.candidate_account``."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
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

    return wrapper


def request_account(request: HttpRequest) -> CandidateAccount:
    """Return the account of the candidate making this request (set by ``candidate_required``)."""
    return request.candidate_account  # type: ignore[attr-defined, no-any-return]
