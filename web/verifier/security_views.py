"""An organisation's two-step verification (/verify/organisations/security/…) and the second step of its login; the
pages are ``web.common.two_step``'s, behind the organisations' gate."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from web.common import two_step
from web.verifier.access import organisation_required, request_organisation

AREA = two_step.TwoStepArea(
    name="organisation",
    base_template="verification/base_verify.html",
    login="verification:organisation_login",
    home="verification:organisation_home",
    backend="django.contrib.auth.backends.ModelBackend",
    security="verification:organisation_security",
    totp="verification:organisation_security_totp",
    passkey="verification:organisation_security_passkey",
    remove="verification:organisation_security_remove",
    off="verification:organisation_security_off",
    codes="verification:organisation_security_codes",
    second_step="verification:organisation_login_second_step",
)


def _extra(request: HttpRequest) -> dict[str, Any]:
    """Return what the organisations' base template shows besides the page: the organisation (in the menu)."""
    return {"organisation": request_organisation(request)}


@organisation_required
@never_cache
@require_GET
def organisation_security(request: HttpRequest) -> HttpResponse:
    """Show the organisation's two-step verification."""
    return two_step.security_page(request, area=AREA, extra=_extra(request))


@sensitive_post_parameters("code")
@organisation_required
@never_cache
@require_http_methods(["GET", "POST"])
def organisation_totp_add(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app."""
    return two_step.totp_add_page(request, area=AREA, extra=_extra(request))


@organisation_required
@never_cache
@require_http_methods(["GET", "POST"])
def organisation_passkey_add(request: HttpRequest) -> HttpResponse:
    """Add a passkey."""
    return two_step.passkey_add_page(request, area=AREA, extra=_extra(request))


@sensitive_post_parameters("password")
@organisation_required
@never_cache
@require_http_methods(["GET", "POST"])
def organisation_factor_remove(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Remove the authenticator app or a passkey (with the password)."""
    return two_step.factor_remove_page(request, area=AREA, kind=kind, pk=pk, extra=_extra(request))


@sensitive_post_parameters("password")
@organisation_required
@never_cache
@require_http_methods(["GET", "POST"])
def organisation_off(request: HttpRequest) -> HttpResponse:
    """Turn two-step verification off (with the password)."""
    return two_step.off_page(request, area=AREA, extra=_extra(request))


@organisation_required
@never_cache
@require_http_methods(["GET", "POST"])
def organisation_codes(request: HttpRequest) -> HttpResponse:
    """Make new recovery codes, or show the ones just made."""
    return two_step.codes_page(request, area=AREA, extra=_extra(request))


@sensitive_post_parameters("code-code", "passkey-credential")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def organisation_login_second_step(request: HttpRequest) -> HttpResponse:
    """The second step of an organisation's login whose password was right."""
    return two_step.second_step_page(request, area=AREA)
