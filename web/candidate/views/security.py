"""The candidate's two-step verification (/results/security/…) and the second step of their login; the pages are
``web.common.two_step``'s, behind the candidate area's gate."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from accounts.backends import USER_WITH_ACCOUNT
from web.candidate.access import candidate_required
from web.common import two_step

AREA = two_step.TwoStepArea(
    name="candidate",
    base_template="base.html",
    login="candidates:login",
    home="candidates:dashboard",
    backend=USER_WITH_ACCOUNT,
    security="candidates:security",
    totp="candidates:security_totp",
    passkey="candidates:security_passkey",
    remove="candidates:security_remove",
    off="candidates:security_off",
    codes="candidates:security_codes",
    second_step="candidates:login_second_step",
)


@candidate_required
@never_cache
@require_GET
def security(request: HttpRequest) -> HttpResponse:
    """Show the candidate's two-step verification."""
    return two_step.security_page(request, area=AREA)


@sensitive_post_parameters("code")
@candidate_required
@never_cache
@require_http_methods(["GET", "POST"])
def totp_add(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app."""
    return two_step.totp_add_page(request, area=AREA)


@candidate_required
@never_cache
@require_http_methods(["GET", "POST"])
def passkey_add(request: HttpRequest) -> HttpResponse:
    """Add a passkey."""
    return two_step.passkey_add_page(request, area=AREA)


@sensitive_post_parameters("password")
@candidate_required
@never_cache
@require_http_methods(["GET", "POST"])
def factor_remove(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Remove the authenticator app or a passkey (with the password)."""
    return two_step.factor_remove_page(request, area=AREA, kind=kind, pk=pk)


@sensitive_post_parameters("password")
@candidate_required
@never_cache
@require_http_methods(["GET", "POST"])
def off(request: HttpRequest) -> HttpResponse:
    """Turn two-step verification off (with the password)."""
    return two_step.off_page(request, area=AREA)


@candidate_required
@never_cache
@require_http_methods(["GET", "POST"])
def codes(request: HttpRequest) -> HttpResponse:
    """Make new recovery codes, or show the ones just made."""
    return two_step.codes_page(request, area=AREA)


@sensitive_post_parameters("code-code", "passkey-credential")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_second_step(request: HttpRequest) -> HttpResponse:
    """The second step of a candidate's login whose password was right."""
    return two_step.second_step_page(request, area=AREA)
