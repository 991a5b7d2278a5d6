"""Two-step verification of candidates and organisations: their second factors, recovery codes and the second step
of a login (docs/decisions/0011-two-step.md).

A person may turn on an authenticator app (TOTP, django-otp's ``TOTPDevice``, as centre staff have) and passkeys
(``accounts.passkeys``). The first factor turned on brings 10 single-use recovery codes, shown once and stored as
salted digests. ``User.two_step_enabled`` says whether a login needs a second step: it is read with the user, so
an account without a second factor logs in with no extra query. The second step's codes and passkeys are tried
through the brute-force guard (kind "code", per account and per network), and every change is audited and emailed
to the account's address.

Reads (``factors_of``, ``recovery_codes_left``) and writes live together here: they are small and about one thing.
"""

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from results_portal.qr import qr_svg

from . import passkeys
from .guard import guard_check, guard_reset
from .models import CredentialLock, Passkey, RecoveryCode, User
from .services import audit_record
from .sessions import sessions_end_everywhere

RECOVERY_CODE_COUNT = 10
# 10 characters of 31 (about 49.5 bits), without the look-alikes 0/O, 1/I/L: typed from paper, guessed by nobody.
RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECOVERY_CODE_LENGTH = 10
TOTP_DEVICE_NAME = "authenticator"

WRONG_PASSWORD = _("Your password is not right.")
WRONG_SETUP_CODE = _("That code is not right. Check the time on your phone and enter the new code.")
NOTHING_TO_TURN_OFF = _("Two-step verification is not on.")
REASON_REQUIRED = _("Say why: it is recorded in the audit trail.")


class Event:
    """What happened to an account's two-step verification: the audit action and the email's subject."""

    TOTP_ON = "two_step.totp_on"
    PASSKEY_ADDED = "two_step.passkey_added"
    FACTOR_REMOVED = "two_step.factor_removed"
    OFF = "two_step.off"
    RECOVERY_CODES_NEW = "two_step.recovery_codes_new"
    RECOVERY_CODE_USED = "two_step.recovery_code_used"
    REMOVED_BY_BOARD = "two_step.removed_by_board"


@dataclass(frozen=True)
class Factors:
    """An account's second factors as its security page shows them."""

    totp: TOTPDevice | None
    passkeys: list[Passkey]
    recovery_codes_left: int

    @property
    def enabled(self) -> bool:
        return self.totp is not None or bool(self.passkeys)


@dataclass(frozen=True)
class SecondStep:
    """A second step that succeeded: how (``"totp"``, ``"recovery"``, ``"passkey"``), and with what."""

    method: str
    device: TOTPDevice | None = None
    recovery_codes_left: int | None = None


# --- Reads -------------------------------------------------------------------------------------------------
def factors_of(*, user: User) -> Factors:
    """Return the user's confirmed authenticator app, passkeys and the number of unused recovery codes."""
    return Factors(
        totp=TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first(),
        passkeys=list(Passkey.objects.filter(user=user)),
        recovery_codes_left=recovery_codes_left(user=user),
    )


def recovery_codes_left(*, user: User) -> int:
    """Return how many of the user's recovery codes are still unused."""
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def identifier_of(user: User) -> str:
    """Return the identifier the guard counts this account's second-step failures under."""
    return f"USER:{user.pk}"


# --- The authenticator app ---------------------------------------------------------------------------------
def totp_device_pending(*, user: User) -> TOTPDevice:
    """Return the user's authenticator being set up (not confirmed yet), made on first call with a new key."""
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=False, defaults={"name": TOTP_DEVICE_NAME}
    )
    return device


def totp_secret_base32(*, device: TOTPDevice) -> str:
    """Return a TOTP device's key as the base32 text authenticator apps accept when typed in."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_config_url(*, device: TOTPDevice, label: str) -> str:
    """Return the ``otpauth://`` URL an authenticator app reads from the QR code, naming the account ``label``.

    As ``TOTPDevice.config_url``, but labelled with what the person knows the account by (their email address),
    not the internal username.
    """
    issuer = str(settings.OTP_TOTP_ISSUER).replace(":", "")
    secret = totp_secret_base32(device=device)
    params = urlencode({"secret": secret, "algorithm": "SHA1", "digits": device.digits, "period": device.step})
    return f"otpauth://totp/{quote(f'{issuer}:{label}')}?{params}&issuer={quote(issuer)}"


def totp_qr_svg(*, url: str, title: str) -> str:
    """Return the QR code of an authenticator's set-up URL as inline SVG with an accessible title."""
    return qr_svg(url=url, title=title)


@transaction.atomic
def totp_confirm(*, user: User, device: TOTPDevice, token: str, language: str) -> list[str] | None:
    """Confirm the authenticator being set up with a code it shows; return new recovery codes if it is the first.

    Raise ``ValidationError`` for a wrong code. A confirmed authenticator replaces any earlier one. Audited and
    emailed.
    """
    if device.user_id != user.pk or device.confirmed or not device.verify_token(token.strip()):
        raise ValidationError(WRONG_SETUP_CODE, code="wrong_code")
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _record(user=user, actor=user, event=Event.TOTP_ON, language=language)
    return _first_factor_on(user=user, language=language)


# --- Passkeys ----------------------------------------------------------------------------------------------
@transaction.atomic
def passkey_add(
    *, user: User, credential: str, challenge: bytes, rp_id: str, origin: str, name: str, language: str
) -> tuple[Passkey, list[str] | None]:
    """Add the passkey the browser made (``credential``, its JSON); return it, and new recovery codes if it is the
    first factor.

    Raise ``ValidationError`` when the browser's answer does not check out (``passkeys.registration_verify``).
    Audited and emailed.
    """
    verified = passkeys.registration_verify(credential=credential, challenge=challenge, rp_id=rp_id, origin=origin)
    passkey = Passkey.objects.create(
        user=user,
        credential_id=verified.credential_id,
        public_key=verified.public_key,
        sign_count=verified.sign_count,
        transports=verified.transports,
        name=name.strip()[:60] or str(_("Passkey")),
    )
    _record(user=user, actor=user, event=Event.PASSKEY_ADDED, language=language, detail={"name": passkey.name})
    return passkey, _first_factor_on(user=user, language=language)


# --- Removing factors ----------------------------------------------------------------------------------------
def _password_check(*, user: User, password: str) -> None:
    if not user.check_password(password):
        raise ValidationError(WRONG_PASSWORD, code="wrong_password")


@transaction.atomic
def factor_remove(*, user: User, kind: str, pk: int, password: str, language: str) -> str:
    """Remove one of the user's factors (``kind`` "totp" or "passkey") on their password; return its name.

    Removing the last factor turns two-step verification off (the recovery codes go too). Raise
    ``ValidationError`` for a wrong password; ``LookupError`` when the user has no such factor. Audited and emailed.
    """
    _password_check(user=user, password=password)
    if kind == "totp":
        device = TOTPDevice.objects.filter(user=user, confirmed=True, pk=pk).first()
        if device is None:
            raise LookupError(pk)
        name = str(_("Authenticator app"))
        device.delete()
    elif kind == "passkey":
        passkey = Passkey.objects.filter(user=user, pk=pk).first()
        if passkey is None:
            raise LookupError(pk)
        name = passkey.name
        passkey.delete()
    else:
        raise LookupError(kind)
    _record(user=user, actor=user, event=Event.FACTOR_REMOVED, language=language, detail={"name": name})
    if not _has_factor(user):
        _all_remove(user=user)
        _record(user=user, actor=user, event=Event.OFF, language=language)
    return name


@transaction.atomic
def two_step_disable(*, user: User, password: str, language: str) -> None:
    """Turn two-step verification off on the user's password: every factor and recovery code goes. Audited, emailed."""
    _password_check(user=user, password=password)
    if not _has_factor(user):
        raise ValidationError(NOTHING_TO_TURN_OFF, code="not_on")
    _all_remove(user=user)
    _record(user=user, actor=user, event=Event.OFF, language=language)


@transaction.atomic
def two_step_remove_by_board(*, user: User, actor: User, reason: str, language: str) -> bool:
    """Remove every second factor of an account whose holder lost them all (board staff, after checking who asks).

    The holder's sessions end, the lock on their second step is lifted, and they log in with their password alone
    until they turn two-step verification on again. Return False when there was nothing to remove. Audited with the
    reason, and emailed to the account's address. A password reset never does this: whoever reads the mailbox
    could otherwise pass both steps.
    """
    if not reason.strip():
        raise ValidationError(REASON_REQUIRED, code="reason")
    if not _has_factor(user) and not user.two_step_enabled:
        return False
    _all_remove(user=user)
    guard_reset(kind=CredentialLock.Kind.CODE, identifier=identifier_of(user))
    sessions_end_everywhere(user=user)
    _record(user=user, actor=actor, event=Event.REMOVED_BY_BOARD, language=language, reason=reason.strip())
    return True


def _has_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists() or Passkey.objects.filter(user=user).exists()


def _all_remove(*, user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    Passkey.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    User.objects.filter(pk=user.pk).update(two_step_enabled=False)
    user.two_step_enabled = False


def _first_factor_on(*, user: User, language: str) -> list[str] | None:
    """Turn two-step verification on if this was the first factor: new recovery codes, other sessions ended."""
    if user.two_step_enabled:
        return None
    User.objects.filter(pk=user.pk).update(two_step_enabled=True)
    user.two_step_enabled = True
    # A session opened with the password alone (on someone else's computer, say) must not outlive the change.
    sessions_end_everywhere(user=user)
    return recovery_codes_generate(user=user, language=language)


# --- Recovery codes ----------------------------------------------------------------------------------------
def _digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def recovery_code_normalise(code: str) -> str:
    """Return a recovery code as stored: upper case, without spaces or hyphens."""
    return "".join(code.split()).replace("-", "").upper()


def _recovery_code_new() -> str:
    return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))


def _recovery_code_display(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


@transaction.atomic
def recovery_codes_generate(*, user: User, language: str) -> list[str]:
    """Replace the user's recovery codes with 10 new ones and return them (the only time they can be read).

    Refused (``ValidationError``) while two-step verification is off. Audited and emailed.
    """
    if not user.two_step_enabled:
        raise ValidationError(NOTHING_TO_TURN_OFF, code="not_on")
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_recovery_code_new() for _ in range(RECOVERY_CODE_COUNT)]
    rows = []
    for code in codes:
        salt = secrets.token_hex(16)
        rows.append(RecoveryCode(user=user, salt=salt, digest=_digest(salt, code)))
    RecoveryCode.objects.bulk_create(rows)
    _record(user=user, actor=user, event=Event.RECOVERY_CODES_NEW, language=language)
    return [_recovery_code_display(code) for code in codes]


def _recovery_code_use(*, user: User, code: str) -> int | None:
    """Mark the matching unused recovery code used; return how many are left, or None when none matched."""
    wanted = recovery_code_normalise(code)
    if len(wanted) != RECOVERY_CODE_LENGTH:
        return None
    matched = None
    for row in RecoveryCode.objects.select_for_update().filter(user=user, used_at__isnull=True):
        # Every row is compared, so the time taken does not tell which code matched.
        if constant_time_compare(row.digest, _digest(row.salt, wanted)):
            matched = row
    if matched is None:
        return None
    matched.used_at = timezone.now()
    matched.save(update_fields=["used_at"])
    return recovery_codes_left(user=user)


# --- The second step of a login ----------------------------------------------------------------------------
def _second_step_guarded(*, user: User, ip: str, verify: Callable[[], SecondStep | None]) -> SecondStep:
    return guard_check(
        kind=CredentialLock.Kind.CODE,
        identifier=identifier_of(user),
        ip=ip,
        purpose="second_step",
        verify=lambda _identifier: verify(),
    )


def second_step_code(*, user: User, code: str, ip: str, language: str) -> SecondStep:
    """Check a code at the second step of a login: 6 digits from the authenticator app, or a recovery code.

    Tried through the guard (kind "code", the account and the network): raise ``GuardRefusal``/``GuardFailure``
    as ``guard_check`` does, with the same answer for any wrong code. A recovery code is used up; that is audited
    and emailed with the number left.
    """
    token = "".join(code.split())

    def verify() -> SecondStep | None:
        if token.isdigit() and len(token) == 6:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
            if device is not None and device.verify_token(token):
                return SecondStep(method="totp", device=device)
            return None
        left = _recovery_code_use(user=user, code=token)
        return None if left is None else SecondStep(method="recovery", recovery_codes_left=left)

    step = _second_step_guarded(user=user, ip=ip, verify=verify)
    if step.method == "recovery":
        _record(
            user=user,
            actor=user,
            event=Event.RECOVERY_CODE_USED,
            language=language,
            detail={"left": step.recovery_codes_left},
        )
    return step


def second_step_passkey(
    *, user: User, credential: str, challenge: bytes, rp_id: str, origin: str, ip: str
) -> SecondStep:
    """Check a passkey's answer at the second step of a login (through the guard, as a code is)."""

    def verify() -> SecondStep | None:
        passkey = passkeys.authentication_verify(
            user=user, credential=credential, challenge=challenge, rp_id=rp_id, origin=origin
        )
        return None if passkey is None else SecondStep(method="passkey")

    return _second_step_guarded(user=user, ip=ip, verify=verify)


# --- Audit and email ---------------------------------------------------------------------------------------
def _record(
    *,
    user: User,
    actor: User | None,
    event: str,
    language: str,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Audit a change to the user's two-step verification and email its holder once it is committed."""
    audit_record(actor=actor, action=event, subject=user.email or user.get_username(), reason=reason, detail=detail)
    from .tasks import two_step_notice_send

    user_id = user.pk
    extra = dict(detail or {})
    transaction.on_commit(
        lambda: two_step_notice_send.delay(user_id=user_id, event=event, detail=extra, language=language), robust=True
    )
