"""The signed token printed in each document's QR code: the document's UUID, signed with a salted HMAC.

The token is ``<uuid, 22 characters of URL-safe base64>:<signature>``. It never expires (paper lasts), so the
key matters: ``DOCUMENT_SIGNING_KEY`` when set, else ``SECRET_KEY`` (with ``SECRET_KEY_FALLBACKS`` when it
is rotated). docs/decisions/0006-documents-and-qr.md says why.
"""

import base64
import binascii
import uuid

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation

SALT = "certificates.document.verify"


def _signer() -> signing.Signer:
    key = settings.DOCUMENT_SIGNING_KEY or settings.SECRET_KEY
    fallbacks = list(settings.DOCUMENT_SIGNING_KEY_FALLBACKS or settings.SECRET_KEY_FALLBACKS)
    return signing.Signer(key=key, fallback_keys=fallbacks, salt=SALT, algorithm="sha256")


def document_token(*, document_uuid: uuid.UUID) -> str:
    """Return the signed token that names a document in its verification URL."""
    encoded = base64.urlsafe_b64encode(document_uuid.bytes).rstrip(b"=").decode()
    return _signer().sign(encoded)


def document_token_uuid(*, token: str) -> uuid.UUID | None:
    """Return the document UUID inside ``token``, or None if the token is not one we signed, unaltered."""
    try:
        encoded = _signer().unsign(token)
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        return uuid.UUID(bytes=raw)
    except (signing.BadSignature, binascii.Error, ValueError):
        return None


def document_verify_url(*, document_uuid: uuid.UUID) -> str:
    """Return the absolute URL a document's QR code encodes: ``SITE_URL/verify/v/<token>``."""
    # Printed once for every reader: the unprefixed (default-language) path; the page offers the languages.
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("certificates:verify", kwargs={"token": document_token(document_uuid=document_uuid)})
    return f"{settings.SITE_URL}{path}"
