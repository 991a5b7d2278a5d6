"""Writes for centres, candidates and entries."""

import secrets

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

SECRET_NUMBER_DIGITS = 4
# Unambiguous alphabet for Candidate IDs: no I/O/0/1 that are misread on paper.
CANDIDATE_ID_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
CANDIDATE_ID_DIGITS = "23456789"
_SECRET_HASH_ALGORITHM = "hmac_sha256"  # noqa: S105 - an algorithm name
_SECRET_HASH_SALT = "results_portal.secret_number"  # noqa: S105 - an HMAC key salt, not a password


def secret_number_generate() -> str:
    """Return a new random 4-digit secret number (from ``secrets``, never ``random``)."""
    return f"{secrets.randbelow(10**SECRET_NUMBER_DIGITS):0{SECRET_NUMBER_DIGITS}d}"


def _secret_digest(*, salt: str, secret_number: str) -> str:
    key = getattr(settings, "SECRET_NUMBER_KEY", "") or settings.SECRET_KEY
    return salted_hmac(_SECRET_HASH_SALT, f"{salt}${secret_number}", secret=key, algorithm="sha256").hexdigest()


def secret_number_hash(*, secret_number: str) -> str:
    """Return the salted, keyed hash stored for a secret number (see docs/decisions/0004-secret-number-hash.md)."""
    salt = secrets.token_hex(8)
    return f"{_SECRET_HASH_ALGORITHM}${salt}${_secret_digest(salt=salt, secret_number=secret_number)}"


def secret_number_matches(*, secret_number: str, secret_hash: str) -> bool:
    """Return whether a secret number matches its stored hash (constant-time comparison)."""
    algorithm, _, rest = secret_hash.partition("$")
    salt, _, digest = rest.partition("$")
    if algorithm != _SECRET_HASH_ALGORITHM or not salt or not digest:
        return False
    return constant_time_compare(digest, _secret_digest(salt=salt, secret_number=secret_number))


def candidate_id_generate() -> str:
    """Return a random Candidate ID: three letters and six digits from unambiguous alphabets (e.g. SRT294758)."""
    letters = "".join(secrets.choice(CANDIDATE_ID_LETTERS) for _ in range(3))
    digits = "".join(secrets.choice(CANDIDATE_ID_DIGITS) for _ in range(6))
    return letters + digits
