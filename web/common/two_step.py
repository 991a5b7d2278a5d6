"""Two-step verification pages shared by candidates (/results/…) and verifier organisations (/verify/organisations/…):
the security page and its changes, and the second step of a login.

Each audience mounts these views behind its own gate with its ``TwoStepArea`` (URL names, base template, the
backend its logins name). The logic is ``accounts.two_step``'s; here are the session and the pages:

- a correct password of an account with a second factor does not log in: ``second_step_begin`` keeps a pending
  login in the session (the user's id and session hash, for ``TWO_STEP_PENDING_SECONDS``) and the second step
  logs in only once a code or passkey checks out, marking the session ``VERIFIED_KEY``;
- every WebAuthn challenge is kept in the session and popped by the one answer it may check;
- new recovery codes are sealed in the session by the request that made them and shown once by the next page.
"""

import json
import time
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from accounts import passkeys, two_step
from accounts.guard import GuardRefusal, client_ip
from accounts.models import User
from accounts.sealing import InvalidToken, seal, unseal
from web.common.forms import PasskeyAddForm, PasskeyForm, PasswordConfirmForm, SecondStepCodeForm, TotpConfirmForm

PENDING_KEY = "two_step_pending"
CHALLENGE_KEY = "two_step_challenge"
NEW_CODES_KEY = "two_step_new_codes"
VERIFIED_KEY = "two_step_verified"


@dataclass(frozen=True)
class TwoStepArea:
    """Where one audience's two-step pages are (URL names), how they look, and where a login goes."""

    name: str
    base_template: str
    login: str
    home: str
    backend: str
    security: str
    totp: str
    passkey: str
    remove: str
    off: str
    codes: str
    second_step: str


def relying_party(request: HttpRequest) -> tuple[str, str]:
    """Return the passkeys' relying-party id (``WEBAUTHN_RP_ID``, else the request's domain) and origin to check."""
    host = request.get_host()
    rp_id = settings.WEBAUTHN_RP_ID or split_domain_port(host)[0]
    return rp_id, f"{request.scheme}://{host}"


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _challenge_keep(request: HttpRequest, challenge: bytes) -> None:
    request.session[CHALLENGE_KEY] = bytes_to_base64url(challenge)


def _challenge_pop(request: HttpRequest) -> bytes | None:
    kept = request.session.pop(CHALLENGE_KEY, None)
    return base64url_to_bytes(kept) if isinstance(kept, str) else None


def _codes_show_next(request: HttpRequest, codes: list[str], area: TwoStepArea) -> HttpResponse:
    """Seal new recovery codes in the session and send the person to the page that shows them once."""
    request.session[NEW_CODES_KEY] = seal(json.dumps(codes).encode())
    return redirect(area.codes)


def _context(area: TwoStepArea, extra: dict[str, Any] | None, **values: Any) -> dict[str, Any]:
    return {"area": area, "base_template": area.base_template, **(extra or {}), **values}


# --- The security page and its changes ---------------------------------------------------------------------------
def security_page(request: HttpRequest, *, area: TwoStepArea, extra: dict[str, Any] | None = None) -> HttpResponse:
    """Show the account's two-step verification: its factors, recovery codes left, and what can be changed."""
    factors = two_step.factors_of(user=_user(request))
    return render(request, "accounts/two_step/security.html", _context(area, extra, factors=factors))


def totp_add_page(request: HttpRequest, *, area: TwoStepArea, extra: dict[str, Any] | None = None) -> HttpResponse:
    """Pair an authenticator app: show its QR code and key, and confirm it with a code it shows."""
    user = _user(request)
    device = two_step.totp_device_pending(user=user)
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_step.totp_confirm(
                user=user, device=device, token=form.cleaned_data["code"], language=_language()
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            update_session_auth_hash(request, user)  # this session stays; the others ended
            messages.success(request, _("Your authenticator app is set up."))
            return _codes_show_next(request, codes, area) if codes else redirect(area.security)
    url = two_step.totp_config_url(device=device, label=user.email or user.get_username())
    context = _context(
        area,
        extra,
        form=form,
        qr_svg=two_step.totp_qr_svg(url=url, title=_("Authenticator set-up code")),
        secret=two_step.totp_secret_base32(device=device),
    )
    return render(request, "accounts/two_step/totp_add.html", context)


def passkey_add_page(request: HttpRequest, *, area: TwoStepArea, extra: dict[str, Any] | None = None) -> HttpResponse:
    """Add a passkey: the browser makes it (static/js/passkeys.js) and the answer is checked here."""
    user = _user(request)
    form = PasskeyAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        challenge = _challenge_pop(request)
        rp_id, origin = relying_party(request)
        try:
            if challenge is None or not form.cleaned_data["credential"]:
                raise ValidationError(passkeys.PASSKEY_NOT_ADDED)
            passkey, codes = two_step.passkey_add(
                user=user,
                credential=form.cleaned_data["credential"],
                challenge=challenge,
                rp_id=rp_id,
                origin=origin,
                name=form.cleaned_data["name"],
                language=_language(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("Your passkey “%(name)s” is added.") % {"name": passkey.name})
            return _codes_show_next(request, codes, area) if codes else redirect(area.security)
    options, challenge = passkeys.registration_options(user=user, rp_id=relying_party(request)[0])
    _challenge_keep(request, challenge)
    return render(request, "accounts/two_step/passkey_add.html", _context(area, extra, form=form, options=options))


def factor_remove_page(
    request: HttpRequest, *, area: TwoStepArea, kind: str, pk: int, extra: dict[str, Any] | None = None
) -> HttpResponse:
    """Remove one factor (the authenticator app or a passkey) on the account's password."""
    user = _user(request)
    factors = two_step.factors_of(user=user)
    if kind == "totp" and factors.totp is not None and factors.totp.pk == pk:
        name = _("Authenticator app")
    else:
        passkey = next((p for p in factors.passkeys if kind == "passkey" and p.pk == pk), None)
        if passkey is None:
            raise Http404
        name = passkey.name
    form = PasswordConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_step.factor_remove(
                user=user, kind=kind, pk=pk, password=form.cleaned_data["password"], language=_language()
            )
        except ValidationError as error:
            form.add_error("password", error)
        else:
            messages.success(request, _("“%(name)s” is removed.") % {"name": name})
            return redirect(area.security)
    last = (factors.totp is not None) + len(factors.passkeys) == 1
    context = _context(area, extra, form=form, name=name, last=last)
    return render(request, "accounts/two_step/remove.html", context)


def off_page(request: HttpRequest, *, area: TwoStepArea, extra: dict[str, Any] | None = None) -> HttpResponse:
    """Turn two-step verification off on the account's password: every factor and recovery code goes."""
    user = _user(request)
    if not user.two_step_enabled:
        return redirect(area.security)
    form = PasswordConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_step.two_step_disable(user=user, password=form.cleaned_data["password"], language=_language())
        except ValidationError as error:
            form.add_error("password", error)
        else:
            messages.success(request, _("Two-step verification is off."))
            return redirect(area.security)
    return render(request, "accounts/two_step/off.html", _context(area, extra, form=form))


def codes_page(request: HttpRequest, *, area: TwoStepArea, extra: dict[str, Any] | None = None) -> HttpResponse:
    """Make new recovery codes (POST), or show the ones just made, once (GET)."""
    user = _user(request)
    if request.method == "POST":
        try:
            codes = two_step.recovery_codes_generate(user=user, language=_language())
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect(area.security)
        return _codes_show_next(request, codes, area)
    sealed = request.session.pop(NEW_CODES_KEY, None)
    shown: list[str] = []
    try:
        shown = json.loads(unseal(sealed)) if isinstance(sealed, str) else []
    except InvalidToken:
        pass  # sealed under an earlier key: the person makes new ones
    if not shown:
        return redirect(area.security)
    return render(request, "accounts/two_step/codes.html", _context(area, extra, codes=shown))


# --- The second step of a login ----------------------------------------------------------------------------------
def second_step_begin(request: HttpRequest, *, user: User, area: TwoStepArea, next_url: str = "") -> HttpResponse:
    """Keep a login whose password was right pending its second step, and send the person to that step."""
    request.session[PENDING_KEY] = {
        "area": area.name,
        "user": user.pk,
        "hash": user.get_session_auth_hash(),
        "until": time.time() + settings.TWO_STEP_PENDING_SECONDS,
        "next": next_url,
    }
    request.session.pop(CHALLENGE_KEY, None)
    return redirect(area.second_step)


def _pending_user(request: HttpRequest, area: TwoStepArea) -> User | None:
    """Return the user whose login is pending in this session for this area, unless it expired or went stale."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("area") != area.name or pending.get("until", 0) < time.time():
        return None
    user = User.objects.filter(pk=int(pending.get("user", 0)), is_active=True, two_step_enabled=True).first()
    # A new password, a logout everywhere or a board removal since the password step ends the pending login.
    if user is None or not constant_time_compare(str(pending.get("hash", "")), user.get_session_auth_hash()):
        return None
    return user


def _refused(form: Any, error: GuardRefusal) -> int:
    form.add_error(None, error.message)
    return 429 if error.reason in {"locked", "ip", "global"} else 200


def second_step_page(request: HttpRequest, *, area: TwoStepArea) -> HttpResponse:
    """Ask for the second step of a pending login: a passkey, a code from the authenticator app or a recovery code."""
    user = _pending_user(request, area)
    if user is None:
        request.session.pop(PENDING_KEY, None)
        messages.error(request, _("Your login has timed out. Log in again."))
        return redirect(area.login)
    code_form = SecondStepCodeForm(request.POST if "code-code" in request.POST else None, prefix="code")
    passkey_form = PasskeyForm(request.POST if "passkey-credential" in request.POST else None, prefix="passkey")
    status = 200
    try:
        if request.method == "POST" and code_form.is_valid():
            step = two_step.second_step_code(
                user=user, code=code_form.cleaned_data["code"], ip=client_ip(request), language=_language()
            )
            return _second_step_complete(request, user=user, area=area, step=step)
        if request.method == "POST" and passkey_form.is_valid():
            challenge = _challenge_pop(request)
            rp_id, origin = relying_party(request)
            step = two_step.second_step_passkey(
                user=user,
                credential=passkey_form.cleaned_data["credential"] if challenge else "",
                challenge=challenge or b"",
                rp_id=rp_id,
                origin=origin,
                ip=client_ip(request),
            )
            return _second_step_complete(request, user=user, area=area, step=step)
    except GuardRefusal as error:
        status = _refused(code_form if "code-code" in request.POST else passkey_form, error)
    factors = two_step.factors_of(user=user)
    options = ""
    if factors.passkeys:
        options, challenge = passkeys.authentication_options(user=user, rp_id=relying_party(request)[0])
        _challenge_keep(request, challenge)
    context = {
        "area": area,
        "base_template": area.base_template,
        "code_form": code_form,
        "passkey_form": passkey_form,
        "options": options,
        "factors": factors,
    }
    return render(request, "accounts/two_step/second_step.html", context, status=status)


def _second_step_complete(
    request: HttpRequest, *, user: User, area: TwoStepArea, step: two_step.SecondStep
) -> HttpResponse:
    """Log the pending user in (the session key is rotated) and mark the session as having passed two steps."""
    pending = request.session.pop(PENDING_KEY, {})
    request.session.pop(CHALLENGE_KEY, None)
    login(request, user, backend=area.backend)
    request.session[VERIFIED_KEY] = {"method": step.method, "at": time.time()}
    if step.method == "recovery":
        messages.warning(
            request,
            _(
                "You used a recovery code: it cannot be used again. Recovery codes left: %(left)s. Make new ones "
                "from your security page if you are running out."
            )
            % {"left": step.recovery_codes_left},
        )
    target = str(pending.get("next") or "") or reverse(area.home)
    return redirect(target)
