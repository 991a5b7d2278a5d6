"""The candidate's account pages: register, confirm email, log in/out, forgotten password, dashboard, link an
entry, change email."""

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.backends import USER_WITH_ACCOUNT
from accounts.guard import GuardRefusal, Lookup, client_ip, guard_check, password_matches
from accounts.models import User
from candidates import services
from candidates.models import CandidateAccount
from centres.models import Entry
from results.presentation import grade_display, overall_display, scale_of
from results_portal.pages import PageKey, cached_page, page_key
from verification.models import Verification
from web.candidate.access import alongside_rows, candidate_page, candidate_required, request_account
from web.candidate.dashboard import (
    DashboardLine,
    dashboard_lines,
    dashboard_lines_of,
    dashboard_lines_query,
    line_objects,
)
from web.candidate.forms import EmailChangeForm, LinkEntryForm, LoginForm, PasswordResetRequestForm, RegisterForm
from web.candidate.views import security
from web.common.password_reset import PasswordResetConfirmView, password_reset_request_page
from web.common.two_step import second_step_begin

WRONG_LOGIN = gettext_lazy("The Candidate ID and password do not match a Results Online account.")
RESEND_EVERY_SECONDS = 600


def _refused(form: Any, error: GuardRefusal | ValidationError) -> int:
    """Put a refusal on the form and return the HTTP status to answer with."""
    if isinstance(error, GuardRefusal):
        form.add_error(None, error.message)
        return 429 if error.reason in {"locked", "ip", "global"} else 200
    form.add_error(None, error)
    return 200


@sensitive_post_parameters("secret_number", "password", "confirm_password")
@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Register for Results Online with the Candidate ID and secret number from the Confirmation of Entry."""
    form = RegisterForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.account_register(
                candidate_id=data["candidate_id"],
                secret_number=data["secret_number"],
                date_of_birth=data["date_of_birth"],
                email=data["email"],
                password=data["password"],
                ip=client_ip(request),
            )
        except (GuardRefusal, ValidationError) as error:
            status = _refused(form, error)
        else:
            return render(request, "candidates/register_done.html", {"email": data["email"]})
    return render(request, "candidates/register.html", {"form": form}, status=status)


@never_cache
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm a new account's email address from the emailed link."""
    try:
        services.account_confirm_email(token=token)
    except ValidationError as error:
        return render(request, "candidates/link_invalid.html", {"message": error.messages[0]}, status=400)
    messages.success(request, _("Your email address is confirmed. You can now log in."))
    return redirect("candidates:login")


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Log in with a Candidate ID and password (guarded by the lockout and throttles), then the second step if the
    account has two-step verification on."""
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data["password"]

        def compare(account: CandidateAccount | None) -> CandidateAccount | None:
            # As long for an unknown ID, a disabled account or one without a usable password as for a real check.
            matched = password_matches(user=account.user if account else None, password=password)
            return account if matched else None

        try:
            account = guard_check(
                kind="password",
                identifier=form.cleaned_data["candidate_id"],
                ip=client_ip(request),
                purpose="login",
                verify=lambda cid: compare(services.account_for_candidate_id(candidate_id=cid)),
                # The account is read with the ID's turn and lock state (one round trip), compared only if not
                # locked.
                lookup=Lookup(
                    read=lambda cid: services.account_for_candidate_id_read(candidate_id=cid),
                    compare=lambda _cid, rows: compare(services.account_from_rows(rows)),
                ),
            )
        except GuardRefusal as error:
            status = _refused(form, error)
        else:
            if account is None:
                form.add_error(None, WRONG_LOGIN)
            elif not account.is_confirmed:
                if cache.add(f"confirm-resend:{account.pk}", 1, RESEND_EVERY_SECONDS):
                    services.confirmation_resend(user=account.user)
                form.add_error(
                    None,
                    _(
                        "Confirm your email address first: we have sent the link to the address you registered "
                        "with. Check your spam folder too."
                    ),
                )
            elif account.user.two_step_enabled:  # read with the account: no query for those without
                return second_step_begin(request, user=account.user, area=security.AREA)
            else:
                # last_login and the new session in one commit (the response's save then writes nothing more:
                # accounts/session_store.py).
                with transaction.atomic():
                    login(request, account.user, backend=USER_WITH_ACCOUNT)
                    request.session.save()
                return redirect("candidates:dashboard")
    return render(request, "candidates/login.html", {"form": form}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Log out and return to the login page."""
    logout(request)
    messages.success(request, _("You have logged out."))
    return redirect("candidates:login")


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a password-reset link by Candidate ID; the answer is the same whether or not it is registered."""
    return password_reset_request_page(
        request,
        form=PasswordResetRequestForm(request.POST or None),
        field="candidate_id",
        normalise=lambda value: value.strip().upper(),
        throttle_prefix="reset-request",
        send=lambda candidate_id: services.password_reset_request(candidate_id=candidate_id),
        template="candidates/password_reset.html",
        done_template="candidates/password_reset_done.html",
    )


class PasswordResetConfirm(PasswordResetConfirmView):
    """A candidate chooses a new password from the emailed link; the lockouts of their Candidate IDs are lifted."""

    success_url = reverse_lazy("candidates:login")
    new_link_url_name = "candidates:password_reset"

    def locks_lift(self, user: User) -> None:
        services.password_locks_lift(user=user)


# What the dashboard is drawn from besides its data (results_portal/pages.py adds the base template and catalogues).
DASHBOARD_SOURCES = (
    "web/candidate/views/account.py",
    "web/candidate/dashboard.py",
    "web/candidate/forms.py",
    "candidates/templates/candidates/dashboard.html",
    "verification/templates/verification/dashboard_panel.html",
    "verification/templatetags/verification_tags.py",
    "templates/includes/form_fields.html",
    "results/presentation.py",
    "results/charts.py",
    "grading/scale.py",
    "grading/legacy.py",
)
DASHBOARD_TEMPLATE = "candidates/dashboard.html"


def dashboard_key(*, account_id: int, lines: list[DashboardLine]) -> PageKey:
    """Return the cache key of an account's dashboard showing these lines, in the active language."""
    return page_key("dashboard", account_id, [line.shown for line in lines], DASHBOARD_SOURCES)


def dashboard_page(*, lines: list[DashboardLine]) -> dict[str, Any]:
    """Return the context of the dashboard showing ``lines`` (``dashboard_lines``), drawn from the lines alone.

    The lines hold every value the page shows (they make its key), so the page stored under their key shows
    exactly the data the key was made of, and drawing it reads nothing more (``line_objects``). The view draws it
    for the request; the pages drawn ahead (``web.candidate.prerender``) for the release instant.
    """
    rows: list[dict[str, Any]] = []
    verifications: dict[int, list[Verification]] = {}
    name = ""
    for line in lines:
        entry, result, verified = line_objects(line)
        # Greeted by the name the centre recorded (on the newest entry: a corrected spelling shows at once).
        name = name if rows else entry.person.first_name
        if verified:
            verifications[entry.pk] = verified
        exam = entry.session.exam
        # As every output shows a result (results.presentation).
        overall = grade = ""
        if result is not None:
            scale = scale_of(exam.code, on=entry.session.date)
            overall = overall_display(
                family=exam.family,
                scale=scale,
                overall=result.overall_score,
                ums_max_total=exam.ums_max_total,
                grade=result.grade,
            )
            grade = grade_display(family=exam.family, grade=result.grade, qualification=result.qualification)
        rows.append(
            {
                "entry": entry,
                "result": result,
                "grade": grade,
                "overall": overall,
                "withdrawn": entry.status == Entry.Status.WITHDRAWN,
                "under_review": line.under_review,
                "pending": result is None and line.window_closed,
                "window_open": line.window_open,
            }
        )
    return {"rows": rows, "link_form": LinkEntryForm(), "verifications": verifications, "name": name}


@candidate_page(
    # What the page shows goes to the database with the user's own query (one round trip).
    alongside=dashboard_lines_query,
)
@never_cache
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show each of the candidate's entries with its result, the date it is due by, or 'Q' once that has passed.

    Everything the page shows, each result's visibility included, is read in one query on every request
    (``web.candidate.dashboard``, from the primary); the page is kept under a key made of all of it
    (results_portal/pages.py) and, when it is not in the cache (nor drawn ahead for the release instant,
    ``web.candidate.prerender``), drawn from those same values: no further query.
    """
    account = request_account(request)
    sent = alongside_rows(request)
    if sent is None:
        lines = dashboard_lines(account_id=account.pk, now=timezone.now())
    else:
        rows, now = sent
        lines = dashboard_lines_of(rows, now=now)
    key = dashboard_key(account_id=account.pk, lines=lines)
    return cached_page(request, key=key, template=DASHBOARD_TEMPLATE, context=lambda: dashboard_page(lines=lines))


@sensitive_post_parameters("secret_number")
@candidate_required
@never_cache
@require_http_methods(["GET", "POST"])
def link_entry(request: HttpRequest) -> HttpResponse:
    """Add a further entry (retake, other exam) to the account with its Candidate ID and secret number."""
    account = request_account(request)
    form = LinkEntryForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.entry_link(
                account=account,
                candidate_id=form.cleaned_data["candidate_id"],
                secret_number=form.cleaned_data["secret_number"],
                date_of_birth=form.cleaned_data["date_of_birth"],
                ip=client_ip(request),
            )
        except (GuardRefusal, ValidationError) as error:
            status = _refused(form, error)
        else:
            messages.success(
                request, _("%(exam)s has been added to your account.") % {"exam": entry.session.exam.name}
            )
            return redirect("candidates:dashboard")
    return render(request, "candidates/link_entry.html", {"form": form}, status=status)


@candidate_required
@never_cache
@require_POST
def unlink_entry(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Take one of the account's entries out of it (the account keeps at least one)."""
    account = request_account(request)
    entry = get_object_or_404(Entry, public_id=public_id, account_link__account=account)
    try:
        services.entry_unlink(account=account, entry=entry)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("%(exam)s has been removed from your account.") % {"exam": entry.session.exam.name}
        )
    return redirect("candidates:dashboard")


@sensitive_post_parameters("password")
@candidate_required
@never_cache
@require_http_methods(["GET", "POST"])
def email_change(request: HttpRequest) -> HttpResponse:
    """Change the account's email address; it changes once the link sent to the new address is followed."""
    form = EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.email_change_request(
                user=request.user,  # type: ignore[arg-type]
                new_email=form.cleaned_data["new_email"],
                password=form.cleaned_data["password"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("We have sent a link to %(email)s. Your address changes when you follow it.")
                % {"email": form.cleaned_data["new_email"]},
            )
            return redirect("candidates:dashboard")
    return render(
        request, "candidates/email_change.html", {"form": form, "current": getattr(request.user, "email", "")}
    )


@never_cache
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Apply an email change from the link sent to the new address."""
    try:
        services.email_change_confirm(token=token)
    except ValidationError as error:
        return render(request, "candidates/link_invalid.html", {"message": error.messages[0]}, status=400)
    messages.success(request, _("Your email address has been changed."))
    return redirect("candidates:dashboard" if request.user.is_authenticated else "candidates:login")
