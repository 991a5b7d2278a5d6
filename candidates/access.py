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
        account = CandidateAccount.objects.filter(
            user=cast(User, request.user), email_confirmed_at__isnull=False
        ).first()
        if account is None:
            logout(request)
            return redirect("candidates:login")
        request.candidate_account = account  # type: ignore[attr-defined]
        # The page header asks for it too: reuse this row instead of a second query.
        request.user.candidate_account = account  # type: ignore[union-attr]
        return view(request, *args, **kwargs)

    return wrapper
