"""Access to the centre area: staff of one centre, logged in with 2FA in this session.

Other apps' centre pages (certificates, unitised entries, reports) use the same decorator, so the rule
"a centre's staff see only their centre" is written once.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.models import User

from .models import Centre, StaffMember

View = Callable[..., HttpResponse]


def centre_staff_required(view: View) -> View:
    """Let in only centre staff who passed 2FA in this session; set ``request.centre``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        member = None
        if isinstance(user, User) and getattr(user, "is_verified", lambda: False)():
            member = StaffMember.objects.select_related("centre").filter(user=user).first()
        if member is None:
            return redirect(f"{reverse('centres:login')}?next={request.path}")
        request.centre = member.centre  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def request_centre(request: HttpRequest) -> Centre:
    """Return the centre of the staff member making this request (set by ``centre_staff_required``)."""
    return request.centre  # type: ignore[attr-defined, no-any-return]
