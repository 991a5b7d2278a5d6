"""The one gate of the centre area (/centre/…): active staff of one centre, logged in with 2FA in this session.

Every centre page that needs a login (entries and imports, results, unitised pages, the certificate desk) uses
``centre_staff_required``, and refuses the same way: anyone who is not a member of centre staff verified by
TOTP in this session is sent to the centre login page (``?next=`` the page asked for). Every object is then
looked up within ``request_centre(request)``, so another centre's entry, import or document answers 404, never
a hint that it exists. What results a member sees, and when, follows their role (``request_audience``):
exams officers and the head of centre from the restricted release, other staff with the candidates.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.models import User
from centres.models import Centre, StaffMember
from results.selectors import Audience

View = Callable[..., HttpResponse]


def centre_staff_required(view: View) -> View:
    """Let in only centre staff who passed 2FA in this session; set ``request.centre``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        member = None
        if isinstance(user, User) and user.is_active and getattr(user, "is_verified", lambda: False)():
            member = (
                StaffMember.objects.select_related("centre").filter(user=user, deactivated_at__isnull=True).first()
            )
        if member is None:
            return redirect(f"{reverse('centres:login')}?next={request.path}")
        request.centre = member.centre  # type: ignore[attr-defined]
        request.centre_member = member  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def exams_officer_required(view: View) -> View:
    """Let in only a centre's exams officers (staff management); other staff get a plain 403 page."""

    @centre_staff_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request_member(request).manages_staff:
            return render(request, "centres/officers_only.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def request_centre(request: HttpRequest) -> Centre:
    """Return the centre of the staff member making this request (set by ``centre_staff_required``)."""
    return request.centre  # type: ignore[attr-defined, no-any-return]


def request_member(request: HttpRequest) -> StaffMember:
    """Return the staff membership (with its role) of the member making this request."""
    return request.centre_member  # type: ignore[attr-defined, no-any-return]


def request_audience(request: HttpRequest) -> Audience:
    """Return who is looking at results: this centre, as this member's role may see them (docs/domain.md §3.4)."""
    member = request_member(request)
    return Audience.centre(member.centre, restricted=member.sees_restricted_release)


def request_restricted(request: HttpRequest) -> bool:
    """Return whether this member sees the centre's restricted release (exams officers, head of centre)."""
    return request_member(request).sees_restricted_release
