"""Passkeys (WebAuthn) as a second factor: the options a browser needs, and checking what it answers.

Built on the ``webauthn`` library (py_webauthn). The relying party's id is the site's domain and the origin its
scheme and host; the caller passes both (``web.common.two_step`` takes them from the request, or the
``WEBAUTHN_RP_ID`` setting). Each challenge is made here, kept by the caller in the person's session and used
once. Attestation is not asked for: any authenticator the person owns will do, as for an authenticator app.
"""

import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .models import Passkey, User

PASSKEY_NOT_ADDED = _("The passkey could not be added. Try again, or use another passkey or an authenticator app.")
TIMEOUT_MS = 120_000

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Registered:
    """A new credential that checked out: what is stored of it."""

    credential_id: str
    public_key: bytes
    sign_count: int
    transports: list[str]


def _user_handle(user: User) -> bytes:
    """Return the opaque id the authenticator stores for this account (never its email or database id)."""
    return salted_hmac("accounts.passkeys.user_handle", str(user.pk), algorithm="sha256").digest()


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    descriptors = []
    for passkey in Passkey.objects.filter(user=user):
        transports = []
        for name in passkey.transports:
            try:
                transports.append(AuthenticatorTransport(name))
            except ValueError:
                continue  # a transport newer than the library: the browser finds the passkey without the hint
        descriptors.append(
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey.credential_id), transports=transports or None)
        )
    return descriptors


def registration_options(*, user: User, rp_id: str) -> tuple[str, bytes]:
    """Return the JSON options of ``navigator.credentials.create()`` for a new passkey of ``user``, and the challenge.

    The user's passkeys are excluded, so the same authenticator is not added twice.
    """
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_id=_user_handle(user),
        user_name=user.email or user.get_username(),
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED
        ),
        exclude_credentials=_descriptors(user),
    )
    return options_to_json(options), options.challenge


def registration_verify(*, credential: str, challenge: bytes, rp_id: str, origin: str) -> Registered:
    """Check the browser's answer to ``registration_options`` (``credential`` is its JSON); return what to store.

    Raise ``ValidationError`` (``PASSKEY_NOT_ADDED``) for anything that does not check out: another challenge,
    origin or site, a malformed answer, or a credential already registered.
    """
    try:
        transports = json.loads(credential).get("response", {}).get("transports") or []
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin
        )
    except (WebAuthnException, ValueError, KeyError, TypeError, AttributeError) as error:
        logger.info("passkeys: registration refused: %s", error)
        raise ValidationError(PASSKEY_NOT_ADDED, code="passkey") from error
    credential_id = bytes_to_base64url(verified.credential_id)
    if Passkey.objects.filter(credential_id=credential_id).exists():
        raise ValidationError(PASSKEY_NOT_ADDED, code="passkey")
    return Registered(
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[str(name) for name in transports if isinstance(name, str)][:10],
    )


def authentication_options(*, user: User, rp_id: str) -> tuple[str, bytes]:
    """Return the JSON options of ``navigator.credentials.get()`` for one of ``user``'s passkeys, and the challenge."""
    options = generate_authentication_options(
        rp_id=rp_id,
        timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), options.challenge


def authentication_verify(*, user: User, credential: str, challenge: bytes, rp_id: str, origin: str) -> Passkey | None:
    """Return the passkey of ``user`` that signed this answer to ``authentication_options``, or None.

    None for anything that does not check out (another person's passkey, another challenge, origin or site, a
    signature counter that went back): the caller counts it as a wrong code. The passkey's counter and last use
    are updated.
    """
    try:
        raw_id = json.loads(credential)["rawId"]
        passkey = Passkey.objects.filter(user=user, credential_id=str(raw_id)).first()
        if passkey is None:
            return None
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError, AttributeError) as error:
        logger.info("passkeys: authentication refused: %s", error)
        return None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = timezone.now()
    passkey.save(update_fields=["sign_count", "last_used_at"])
    return passkey
