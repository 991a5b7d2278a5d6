"""The one gate of the centre area (/centre/…): staff of one centre, logged in with 2FA in this session.

Every centre page that needs a login (entries and imports, results, unitised pages, the certificate desk) uses
``centre_staff_required``, and refuses the same way: anyone who is not a member of centre staff verified by
TOTP in this session is sent to the centre login page (``?next=`` the page asked for). Every object is then
looked up within ``request_centre(request)``, so another centre's entry, import or document answers 404, never
a hint that it exists.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.models import User
from centres.models import Centre, StaffMember

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
