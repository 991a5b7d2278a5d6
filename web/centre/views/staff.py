"""The exams officer's staff page (/centre/staff/): invite colleagues, change roles, deactivate leavers.

Rules: docs/domain.md §12.4. Only exams officers reach these pages (``exams_officer_required``); every member is
looked up within the officer's own centre, so another centre's member is a 404. Every change goes through
``centres.services`` (audited; the centre always keeps an active exams officer; a new exams officer is
announced to the head of centre).
"""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from centres import services
from centres.models import StaffMember
from web.centre.access import exams_officer_required, request_centre, request_member
from web.centre.forms import StaffInviteForm, StaffRoleForm

SETUP_LINK_FROM_OFFICER = "Lost authenticator or expired set-up: new set-up link sent by the centre's exams officer."


def _own_member(request: HttpRequest, public_id: str) -> StaffMember:
    return get_object_or_404(
        StaffMember.objects.select_related("user", "centre"), public_id=public_id, centre=request_centre(request)
    )


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@exams_officer_required
@never_cache
@require_http_methods(["GET", "POST"])
def staff_list(request: HttpRequest) -> HttpResponse:
    """List the centre's staff accounts with their roles, and invite a colleague (set-up link by email)."""
    centre = request_centre(request)
    form = StaffInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member, _path = services.staff_invite(
                centre=centre,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                actor=_actor(request),
                send_email=True,
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(request, _("A set-up link was sent to %(email)s.") % {"email": member.user.email})
            return redirect("centres:staff")
    members = [
        {"member": member, "role_form": StaffRoleForm(initial={"role": member.role}, prefix=str(member.public_id))}
        for member in StaffMember.objects.select_related("user")
        .filter(centre=centre)
        .order_by("deactivated_at", "user__email")
    ]
    context = {"form": form, "members": members, "me": request_member(request)}
    return render(request, "centres/staff.html", context, status=400 if form.errors else 200)


def _done(request: HttpRequest, action: Callable[[], object], success: str) -> HttpResponse:
    """Run a staff change; report its refusal (the last exams officer) or success on the staff page."""
    try:
        action()
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, success)
    return redirect("centres:staff")


@exams_officer_required
@require_POST
def staff_role(request: HttpRequest, public_id: str) -> HttpResponse:
    """Give a colleague another role."""
    member = _own_member(request, public_id)
    form = StaffRoleForm(request.POST, prefix=str(member.public_id))
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles."))
        return redirect("centres:staff")
    role = form.cleaned_data["role"]
    return _done(
        request,
        lambda: services.staff_role_change(
            member=member, role=role, actor=_actor(request), manager=request_member(request)
        ),
        _("%(email)s is now: %(role)s.") % {"email": member.user.email, "role": StaffMember.Role(role).label},
    )


@exams_officer_required
@require_POST
def staff_deactivate(request: HttpRequest, public_id: str) -> HttpResponse:
    """Deactivate a colleague who left the centre: they are logged out everywhere and cannot log in."""
    member = _own_member(request, public_id)
    return _done(
        request,
        lambda: services.staff_deactivate(member=member, actor=_actor(request), manager=request_member(request)),
        _("%(email)s is deactivated and logged out everywhere.") % {"email": member.user.email},
    )


@exams_officer_required
@require_POST
def staff_reactivate(request: HttpRequest, public_id: str) -> HttpResponse:
    """Reactivate a colleague who came back: they get a set-up link for a new password and authenticator."""
    member = _own_member(request, public_id)
    return _done(
        request,
        lambda: services.staff_invite(
            centre=request_centre(request),
            email=member.user.email,
            role=member.role,
            actor=_actor(request),
            send_email=True,
        ),
        _("%(email)s is active again: a set-up link was sent to them.") % {"email": member.user.email},
    )


@exams_officer_required
@require_POST
def staff_setup_link(request: HttpRequest, public_id: str) -> HttpResponse:
    """Send a colleague a new set-up link (a lost phone): a new password and authenticator."""
    member = _own_member(request, public_id)
    return _done(
        request,
        lambda: services.staff_setup_link_send(
            member=member, actor=_actor(request), reason=SETUP_LINK_FROM_OFFICER, manager=request_member(request)
        ),
        _("A new set-up link was sent to %(email)s.") % {"email": member.user.email},
    )
