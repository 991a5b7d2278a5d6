"""Encryption of short-lived secrets at rest (issued secret numbers waiting to be downloaded).

Secret numbers are never stored in clear (docs/domain.md §1.3). When the portal must keep them for a while — the
centre area's import keeps them until the centre downloads its Confirmations of Entry — they are sealed
with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from ``SECRET_NUMBER_KEY`` (or ``SECRET_KEY``),
which is not in the database: a stolen database alone does not reveal them.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

__all__ = ["InvalidToken", "seal", "unseal"]


def _fernet() -> Fernet:
    key = settings.SECRET_NUMBER_KEY or settings.SECRET_KEY
    digest = hashlib.sha256(f"results_portal.sealing:{key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(data: bytes) -> str:
    """Return ``data`` encrypted and authenticated, as text safe to store."""
    return _fernet().encrypt(data).decode("ascii")


def unseal(token: str) -> bytes:
    """Return the data sealed in ``token``; raise ``InvalidToken`` if it was altered or the key changed."""
    return _fernet().decrypt(token.encode("ascii"))
