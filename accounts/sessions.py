"""Sessions by role: staff sessions end after 30 minutes idle and 12 hours in all; logging out ends them all.

Candidates and organisations keep Django's session length (``SESSION_COOKIE_AGE``). Centre staff and board staff
hold other people's results and personal data, so an unattended or stolen staff session must not last a working
fortnight. ``sessions_end_everywhere`` moves the user's ``session_epoch``, which every session's auth hash
carries (``User._get_session_auth_hash``), so each other session is logged out at its next request.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout, user_logged_in, user_logged_out
from django.db.models import F
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import User

STARTED_KEY = "_staff_session_started"
SEEN_KEY = "_staff_session_seen"
KEEP_OTHER_SESSIONS = "keep_other_sessions"  # set on a request whose logout is not the person's own choice


def is_staff_user(user: object) -> bool:
    """Return whether this user works for a centre or the board (their sessions are the short ones)."""
    return bool(getattr(user, "is_staff", False)) or hasattr(user, "centre_staff")


def sessions_end_everywhere(*, user: User) -> None:
    """End every session of this user, on every device (the current request's included, unless logged in again)."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


class StaffSessionLimitsMiddleware:
    """Log staff out after ``STAFF_SESSION_IDLE_SECONDS`` without a request or ``STAFF_SESSION_MAX_SECONDS`` in all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Staff work in the centre area and the admin; elsewhere (candidates' pages, the API, public files) the
        # session is not even read, so those answers neither vary by cookie nor cost a query.
        if not _staff_area(request.path_info) or settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and STARTED_KEY in request.session and user.is_authenticated:
            now = timezone.now().timestamp()
            started = float(request.session.get(STARTED_KEY, now))
            seen = float(request.session.get(SEEN_KEY, now))
            if now - seen > settings.STAFF_SESSION_IDLE_SECONDS or now - started > settings.STAFF_SESSION_MAX_SECONDS:
                logout_this_session_only(request)
            else:
                request.session[STARTED_KEY] = started
                request.session[SEEN_KEY] = now
        return self.get_response(request)


def _staff_area(path: str) -> bool:
    parts = path.split("/")
    return path.startswith("/admin/") or (len(parts) > 2 and "centre" in parts[1:3])


def logout_this_session_only(request: HttpRequest) -> None:
    """Log this session out (it timed out, or is in the wrong area) without ending the person's other sessions."""
    setattr(request, KEEP_OTHER_SESSIONS, True)
    logout(request)


@receiver(user_logged_out, dispatch_uid="accounts_logout_ends_every_session")
def logout_ends_every_session(sender: object, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """A person who logs out is logged out everywhere: a session left open on another device ends too."""
    if user is not None and user.pk is not None and not getattr(request, KEEP_OTHER_SESSIONS, False):
        sessions_end_everywhere(user=user)


@receiver(user_logged_in, dispatch_uid="accounts_staff_session_starts")
def staff_session_starts(sender: object, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Start a staff session's clocks at login (the 12 hours count from here, not from the first page)."""
    if request is not None and hasattr(request, "session") and is_staff_user(user):
        now = timezone.now().timestamp()
        request.session[STARTED_KEY] = request.session[SEEN_KEY] = now
