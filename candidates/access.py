"""Access to the candidate pages: a logged-in user with a confirmed Results Online account.

Other apps' candidate pages (statement, PDFs, share links) use the same decorator.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from accounts.models import User

from .models import CandidateAccount

View = Callable[..., HttpResponse]


def candidate_required(view: View) -> View:
    """Allow only logged-in candidates with a confirmed account; others go to the login page."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = cast(User, request.user)
        try:
            # Loaded with the user when the session names accounts.backends.UserWithAccountBackend (candidates'
            # logins do); a query here otherwise.
            account: CandidateAccount | None = user.candidate_account  # type: ignore[attr-defined]
        except CandidateAccount.DoesNotExist:
            account = None
        if account is None or account.email_confirmed_at is None:
            logout(request)
            return redirect("candidates:login")
        request.candidate_account = account  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper
