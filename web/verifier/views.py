"""The verifier area (/verify/…): the verification form, share links opened by verifiers, the QR target of
printed documents (/verify/v/<token>), the board's public key and achievements, and the organisations' pages
(account, history, API keys, bulk checks).

Views are thin: the guard, the visibility selector and the audit are behind ``services``/``selectors``.
"""

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.guard import GuardRefusal, client_ip
from accounts.models import User
from accounts.sealing import seal, unseal
from certificates import selectors as document_selectors
from certificates.models import Document
from exams.models import Exam
from results_portal.csvimport import ImportRejected, more_problems_text
from results_portal.downloads import csv_file_response, download_no_store
from verification import credentials, deliveries, selectors, services, tasks
from verification.models import BulkVerification, Verification, VerifierOrganisation
from verification.status_lists import credential_check
from web.common.password_reset import PasswordResetConfirmView, password_reset_request_page
from web.common.progress import progress_percent
from web.common.two_step import second_step_begin
from web.verifier import security_views
from web.verifier.access import organisation_required, request_organisation
from web.verifier.forms import (
    ApiKeyForm,
    BulkUploadForm,
    CredentialCheckForm,
    OrganisationLoginForm,
    OrganisationPasswordResetForm,
    OrganisationRegisterForm,
    VerifyForm,
)

BACKEND = "django.contrib.auth.backends.ModelBackend"
NEW_API_KEY_SESSION_KEY = "verification_new_api_key"
HISTORY_PAGE_SIZE = 50


def _board_contact() -> str:
    """Return the board's contact address for verifiers: ``BOARD_CONTACT_EMAIL``, else the sender address."""
    return selectors.board_contact_email()


# --- The verification form ---------------------------------------------------------------------------
@sensitive_post_parameters("secret_number")
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Check a candidate's result with their Candidate ID and secret number (guarded, audited)."""
    organisation = selectors.organisation_for_request(request)
    form = VerifyForm(request.POST or None)
    status = 200
    verified = None
    retry_after = 0
    if request.method == "POST" and form.is_valid():
        try:
            verified = services.verification_lookup(
                candidate_id=form.cleaned_data["candidate_id"],
                secret_number=form.cleaned_data["secret_number"],
                ip=client_ip(request),
                channel=Verification.Channel.FORM,
                organisation=organisation,
            )
        except GuardRefusal as error:
            refusal = services.verifier_refusal(error)
            form.add_error(None, refusal.message)
            if refusal.throttled:
                status, retry_after = 429, refusal.retry_after
        else:
            form = VerifyForm()
    context = {
        "form": form,
        "verified": verified,
        "organisation": organisation,
        "exams": selectors.exams_verifiable_online(),
        "board_contact": _board_contact(),
    }
    response = render(request, "verification/verify.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@never_cache
@require_GET
def share_view(request: HttpRequest, token: str) -> HttpResponse:
    """Show the result a candidate shared with this link (no secret number needed); anything else is a 404."""
    verified = services.share_link_open(token=token, organisation=selectors.organisation_for_request(request))
    if verified is None:
        # The portal's 404 page, with what a verifier needs to know: the link itself is no longer valid.
        explanation = _(
            "This link has expired or was withdrawn by the candidate who shared it. Ask the candidate for a new "
            "link, or check the result with their Candidate ID and secret number on this site."
        )
        response = render(request, "404.html", {"explanation": explanation}, status=404)
    else:
        response = render(request, "verification/share_view.html", {"verified": verified})
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- The QR code printed on documents (/verify/v/<token>, in the ``certificates`` namespace) ----------------
@never_cache
@require_GET
def document_verify(request: HttpRequest, token: str) -> HttpResponse:
    """Show what a document's QR code proves: its facts now, and whether it is current, replaced or revoked."""
    document = document_selectors.document_for_token(token=token)
    verification = document_selectors.document_verification(document=document) if document is not None else None
    if verification is None:
        raise Http404("Unknown document.")
    response = render(request, "certificates/verify.html", {"v": verification, "Kind": Document.Kind})
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- The board's key and achievements (public, for checking credentials) -----------------------------
@require_GET
def board_key(request: HttpRequest) -> JsonResponse:
    """Publish the board's public signing key (a Multikey document)."""
    response = JsonResponse(credentials.public_key_document())
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"  # browser-based verifiers fetch it from other origins
    return response


@require_GET
def achievement(request: HttpRequest, exam_code: str) -> JsonResponse:
    """Describe an exam as an Open Badges 3.0 achievement (what the credentials' achievement ids name)."""
    exam = get_object_or_404(Exam, code=exam_code)
    response = JsonResponse(
        {"@context": [credentials.VC_CONTEXT, credentials.OB_CONTEXT], **credentials.achievement_document(exam)}
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --- Verifier organisations --------------------------------------------------------------------------
@sensitive_post_parameters("password", "confirm_password")
@never_cache
@require_http_methods(["GET", "POST"])
def organisation_register(request: HttpRequest) -> HttpResponse:
    """Register a verifier organisation (email + password, name, country); the email must be confirmed."""
    form = OrganisationRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.organisation_register(
                name=data["name"], country=data["country"], email=data["email"], password=data["password"]
            )
        except ValidationError as error:
            form.add_error("password", error)
        else:
            return render(request, "verification/organisation_register_done.html", {"email": data["email"]})
    return render(request, "verification/organisation_register.html", {"form": form})


@never_cache
@require_GET
def organisation_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm an organisation's email address from the emailed link."""
    try:
        services.organisation_confirm_email(token=token)
    except ValidationError as error:
        return render(request, "verification/link_invalid.html", {"message": error.messages[0]}, status=400)
    messages.success(request, _("Your email address is confirmed. You can now log in."))
    return redirect("verification:organisation_login")


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def organisation_login(request: HttpRequest) -> HttpResponse:
    """Log a verifier organisation in with email and password (guarded; the session key is rotated), then the
    second step if it has two-step verification on."""
    form = OrganisationLoginForm(request.POST or None)
    status = 200
    retry_after = 0
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_authenticate(
                email=form.cleaned_data["email"], password=form.cleaned_data["password"], ip=client_ip(request)
            )
        except GuardRefusal as error:
            refusal = services.organisation_login_refusal(error)
            form.add_error(None, refusal.message)
            if refusal.throttled:
                status, retry_after = 429, refusal.retry_after
        except ValidationError as error:
            form.add_error(None, error)
            unconfirmed = VerifierOrganisation.objects.filter(
                email=form.cleaned_data["email"].strip().lower(), email_confirmed_at__isnull=True
            ).first()
            if unconfirmed is not None and cache.add(f"verifier-confirm-resend:{unconfirmed.pk}", 1, 600):
                services.confirmation_resend(organisation=unconfirmed)
        else:
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                target = reverse("verification:organisation_home")
            if organisation.user.two_step_enabled:
                return second_step_begin(request, user=organisation.user, area=security_views.AREA, next_url=target)
            login(request, organisation.user, backend=BACKEND)
            return redirect(target)
    response = render(request, "verification/organisation_login.html", {"form": form}, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def organisation_password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a password-reset link by email; the answer is the same whether or not the address is registered."""
    return password_reset_request_page(
        request,
        form=OrganisationPasswordResetForm(request.POST or None),
        field="email",
        normalise=lambda value: value.strip().lower(),
        throttle_prefix="verifier-reset-request",
        send=lambda email: services.organisation_password_reset_request(email=email),
        template="verification/organisation_password_reset.html",
        done_template="verification/organisation_password_reset_done.html",
    )


class OrganisationPasswordResetConfirm(PasswordResetConfirmView):
    """An organisation chooses a new password from the emailed link; its login lockout is lifted."""

    success_url = reverse_lazy("verification:organisation_login")
    base_template = "verification/base_verify.html"
    new_link_url_name = "verification:organisation_password_reset"

    def locks_lift(self, user: User) -> None:
        services.organisation_password_locks_lift(user=user)


@require_POST
def organisation_logout(request: HttpRequest) -> HttpResponse:
    """Log the organisation out (the session is flushed)."""
    logout(request)
    messages.success(request, _("You have logged out."))
    return redirect("verification:organisation_login")


@organisation_required
@never_cache
@require_GET
def organisation_home(request: HttpRequest) -> HttpResponse:
    """Show the organisation's account: its limits, recent lookups, bulk checks and API keys."""
    organisation = request_organisation(request)
    context = {
        "organisation": organisation,
        "recent": selectors.organisation_history(organisation=organisation)[:10],
        "bulk_checks": selectors.organisation_bulk_checks(organisation=organisation)[:5],
        "new_deliveries": deliveries.organisation_inbox(organisation=organisation, state="new").count(),
    }
    return render(request, "verification/organisation_home.html", context)


@organisation_required
@never_cache
@require_GET
def organisation_history(request: HttpRequest) -> HttpResponse:
    """List every lookup the organisation made, newest first, by page."""
    organisation = request_organisation(request)
    page = Paginator(selectors.organisation_history(organisation=organisation), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "verification/organisation_history.html", {"organisation": organisation, "page": page})


@organisation_required
@never_cache
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    """List the organisation's API keys and make a new one (shown once)."""
    organisation = request_organisation(request)
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _api_key, key = services.api_key_create(organisation=organisation, name=form.cleaned_data["name"])
        # Sealed in the session (stored in the database) until the next page shows it once.
        request.session[NEW_API_KEY_SESSION_KEY] = seal(key.encode())
        return redirect("verification:api_keys")
    sealed_key = request.session.pop(NEW_API_KEY_SESSION_KEY, None)
    context = {
        "organisation": organisation,
        "form": form,
        "keys": selectors.organisation_api_keys(organisation=organisation),
        "new_key": unseal(sealed_key).decode() if sealed_key else None,
    }
    return render(request, "verification/api_keys.html", context)


@organisation_required
@require_POST
def api_key_revoke(request: HttpRequest, key_id: uuid.UUID) -> HttpResponse:
    """Revoke one of the organisation's API keys."""
    if not services.api_key_revoke(organisation=request_organisation(request), public_id=key_id):
        raise Http404
    messages.success(request, _("The key has been revoked. Requests that send it are now refused."))
    return redirect("verification:api_keys")


@organisation_required
@never_cache
@require_http_methods(["GET", "POST"])
def bulk_new(request: HttpRequest) -> HttpResponse:
    """Upload a CSV of Candidate IDs and secret numbers, checked in the background with a progress bar."""
    organisation = request_organisation(request)
    form = BulkUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    problem_count, problems_more = 0, ""
    if request.method == "POST" and form.is_valid():
        try:
            job = services.bulk_create(
                organisation=organisation,
                filename=form.filename,
                text=form.cleaned_data["file"],
                ip=client_ip(request),
            )
        except ImportRejected as rejected:
            problems = [str(error) for error in rejected.errors]
            problem_count = rejected.total
            problems_more = more_problems_text(rejected.more) if rejected.more else ""
        else:
            return redirect("verification:bulk_detail", job_id=job.public_id)
    context = {
        "organisation": organisation,
        "form": form,
        "problems": problems,
        "problem_count": problem_count,
        "problems_more": problems_more,
        "max_rows": services.bulk_max_rows(),
        "kept_days": services.bulk_kept_days(),
        "recent": selectors.organisation_bulk_checks(organisation=organisation)[:20],
    }
    return render(request, "verification/bulk_new.html", context, status=400 if problems else 200)


def _own_bulk(request: HttpRequest, job_id: uuid.UUID) -> BulkVerification:
    return get_object_or_404(BulkVerification, public_id=job_id, organisation=request_organisation(request))


def _progress(job: BulkVerification) -> dict[str, Any]:
    """Return a bulk check's progress in the JSON shape static/js/progress.js reads (as the centre imports)."""
    done, total = cache.get(tasks.progress_key(job.pk)) or (job.done, job.total)
    finished = job.is_finished
    seconds_left = (
        None if finished else services.progress_eta_seconds(started_at=job.started_at, done=done, total=total)
    )
    return {
        "status": job.status,
        "status_label": job.get_status_display(),
        "done": done,
        "total": total,
        "percent": progress_percent(done=done, total=total, succeeded=job.status == BulkVerification.Status.DONE),
        "seconds_left": seconds_left,
        "eta_text": "" if seconds_left is None else _("about %(seconds)s seconds left") % {"seconds": seconds_left},
        "finished": finished,
        "succeeded": job.status == BulkVerification.Status.DONE,
        "errors": 1 if job.status == BulkVerification.Status.FAILED else 0,
    }


@organisation_required
@never_cache
@require_GET
def bulk_detail(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """Show a bulk check's progress (live), then its counts and download."""
    job = _own_bulk(request, job_id)
    context = {
        "organisation": request_organisation(request),
        "job": job,
        "progress": _progress(job),
        "counts": sorted(job.counts.items()),
        "kept_days": services.bulk_kept_days(),
    }
    return render(request, "verification/bulk_detail.html", context)


@organisation_required
@never_cache
@require_GET
def bulk_status(request: HttpRequest, job_id: uuid.UUID) -> JsonResponse:
    """Return a bulk check's progress as JSON for the live progress bar."""
    return JsonResponse(_progress(_own_bulk(request, job_id)))


@organisation_required
@download_no_store
@require_GET
def bulk_download(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """Download the results CSV of a finished bulk check (kept ``VERIFICATION_BULK_KEPT_DAYS`` days)."""
    job = _own_bulk(request, job_id)
    output = services.bulk_output(job=job)
    if output is None:
        raise Http404("These results have been deleted.")
    name = job.filename.removesuffix(".csv") or "bulk"
    return csv_file_response(text=output, filename=f"{name}.verified.csv")


# --- Checking a credential (Open Badges JSON) ---------------------------------------------------------
def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _credential_summary(credential: dict[str, Any]) -> dict[str, Any]:
    """Return what a verified credential says, for the page: issuer, achievement, results, dates (as text)."""
    subject = _object(credential.get("credentialSubject"))
    achievement = _object(subject.get("achievement"))
    descriptions = [_object(d) for d in achievement.get("resultDescription", []) or []]
    names = {d.get("id"): d.get("name") for d in descriptions}
    issuer = _object(credential.get("issuer"))
    results = [_object(r) for r in subject.get("result", []) or []]
    return {
        "issuer_name": str(issuer.get("name", "")),
        "issuer_id": str(issuer.get("id", "")),
        "achievement": str(achievement.get("name", "")),
        "results": [
            (str(names.get(r.get("resultDescription")) or r.get("resultDescription", "")), str(r.get("value", "")))
            for r in results
        ],
        "valid_from": str(credential.get("validFrom", "")),
        "awarded": str(credential.get("awardedDate", "")),
    }


@never_cache
@require_http_methods(["GET", "POST"])
def credential_checker(request: HttpRequest) -> HttpResponse:
    """Check an Open Badges credential anyone was given: the board's signature, its status, what it states."""
    form = CredentialCheckForm(request.POST or None, request.FILES or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        credential = form.cleaned_data["credential"]
        check = credential_check(credential)
        outcome = {
            "check": check,
            "status": check.status,
            "summary": _credential_summary(credential) if check.signature_valid else None,
        }
    context = {"form": form, "outcome": outcome, "board_key": reverse("verification:board_key")}
    return render(request, "verification/credential_check.html", context)
