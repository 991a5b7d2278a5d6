"""Revocable credentials: W3C Bitstring Status List v1.0 (docs/decisions/0008-credential-status.md).

Every Open Badges credential the portal issues carries two ``BitstringStatusListEntry`` items that name the
same bit ``index`` in two lists of number ``n``:

- ``/credentials/status/revocation/<n>``: set for good when the credential no longer states the result — the
  entry was withdrawn, or the result was amended since (the credential states an older version), or the
  result is gone;
- ``/credentials/status/suspension/<n>``: set while the result is not visible for another reason — it is held
  by the board (or waits for a moved release instant) — and cleared when it is released again.

Indexes are allocated per result *and version* (``CredentialStatus``), drawn at random among the unused ones
of the list being filled, so an amendment revokes the old credential and not the new one, and an index says
nothing about issuance order. A list is filled to ``LIST_FILL_LIMIT`` (three quarters of its 131,072 bits),
then the next list number opens.

No bit is stored: each list is worked out from the results' current state through the visibility selector
(``results.selectors.results_visible``) when asked for, signed like the badges (``credentials.credential_sign``)
and kept in the cache for ``CACHE_SECONDS``. So a hold, a release again, a withdrawal or an amendment shows in
the list within ``CACHE_SECONDS`` with no event plumbing; ``status_lists_invalidate()`` drops the cached lists
at once (call it when a result's state changes). Verifiers may keep a copy ``HTTP_MAX_AGE`` more seconds.
"""

import base64
import datetime as dt
import gzip
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.urls import reverse
from django.utils import timezone

from centres.models import Entry
from results.models import Result
from results.selectors import Audience, results_visible

from . import credentials
from .models import CredentialStatus

REVOCATION = "revocation"
SUSPENSION = "suspension"
PURPOSES = (REVOCATION, SUSPENSION)
LIST_SIZE = 131_072  # bits: the spec's minimum of 16 KB, so one list hides each credential among many
LIST_FILL_LIMIT = LIST_SIZE * 3 // 4  # then a new list: a random free index is found in a few tries
ALLOCATION_TRIES = 64  # at 3/4 full, 64 taken indexes in a row happen about once in 10^8 allocations
CACHE_SECONDS = 60  # how long a built list is served before the database is read again
HTTP_MAX_AGE = 300  # how long verifiers and HTTP caches may keep a list (Cache-Control and the list's ttl)
ENTRY_TYPE = "BitstringStatusListEntry"
_CACHE_KEY = "verification:status-list:{purpose}:{number}"


# --- Index allocation ---------------------------------------------------------------------------------
def _random_index() -> int:
    return secrets.randbelow(LIST_SIZE)


def _open_list_number() -> int:
    """Return the list new credentials go into: the last one, or a new one once it holds LIST_FILL_LIMIT."""
    last = CredentialStatus.objects.aggregate(last=Max("list_number"))["last"]
    if last is None:
        return 1
    return last + 1 if CredentialStatus.objects.filter(list_number=last).count() >= LIST_FILL_LIMIT else last


def credential_status_allocate(*, result: Result) -> CredentialStatus:
    """Return the status list place of the credential of ``result`` at its current version, made if new.

    The index is random among the unused ones of the open list; the unique constraints settle two requests
    at once (the same credential twice, or two credentials drawing the same index).
    """
    existing = CredentialStatus.objects.filter(result=result, result_version=result.version).first()
    if existing is not None:
        return existing
    number = _open_list_number()
    for _try in range(ALLOCATION_TRIES):
        index = _random_index()
        if CredentialStatus.objects.filter(list_number=number, index=index).exists():
            continue
        try:
            with transaction.atomic():
                return CredentialStatus.objects.create(
                    result=result, result_version=result.version, list_number=number, index=index
                )
        except IntegrityError:
            existing = CredentialStatus.objects.filter(result=result, result_version=result.version).first()
            if existing is not None:
                return existing
    raise RuntimeError(f"no free index found in status list {number} after {ALLOCATION_TRIES} tries")


def status_list_url(*, purpose: str, number: int) -> str:
    """Return the public URL of status list ``number`` for ``purpose`` (outside the language prefixes)."""
    return settings.SITE_URL + reverse("credential_status:status_list", kwargs={"purpose": purpose, "number": number})


def credential_status_entries(*, result: Result) -> list[dict[str, Any]]:
    """Return the ``credentialStatus`` of a credential of ``result``: revocation and suspension, one index."""
    place = credential_status_allocate(result=result)
    entries = []
    for purpose in PURPOSES:
        url = status_list_url(purpose=purpose, number=place.list_number)
        entries.append(
            {
                "id": f"{url}#{place.index}",
                "type": ENTRY_TYPE,
                "statusPurpose": purpose,
                "statusListIndex": str(place.index),
                "statusListCredential": url,
            }
        )
    return entries


# --- The lists -------------------------------------------------------------------------------------------
def bitstring_encode(bits: bytes) -> str:
    """Return a bitstring as ``encodedList``: multibase base64url ('u', no padding) of its GZIP compression."""
    compressed = gzip.compress(bits, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def bitstring_decode(encoded: str) -> bytes:
    """Return the bitstring of an ``encodedList``; raise ``ValueError`` if it is not one."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (prefix 'u')")
    body = encoded[1:]
    try:
        return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (OSError, EOFError, ValueError) as error:
        raise ValueError("encodedList is not GZIP-compressed base64url") from error


def bit_is_set(bits: bytes, index: int) -> bool:
    """Return bit ``index`` of a bitstring; index 0 is the left-most (most significant) bit of the first byte."""
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def _set_bit(bits: bytearray, index: int) -> None:
    bits[index // 8] |= 0x80 >> (index % 8)


def _bitstrings(*, number: int, now: dt.datetime) -> dict[str, bytearray]:
    """Return the revocation and suspension bitstrings of list ``number`` from the results' current state."""
    # The public audience: every entry, visible from released_at, not held, entry not withdrawn — what any
    # verifier is shown. Only yes or no leaves the query.
    visible = (
        results_visible(audience=Audience.statistics(), now=now)
        .select_related(None)
        .prefetch_related(None)
        .filter(pk=OuterRef("result_id"))
    )
    rows = (
        CredentialStatus.objects.filter(list_number=number)
        .annotate(visible=Exists(visible))
        .values_list("index", "result_id", "result_version", "result__version", "result__entry__status", "visible")
    )
    bits = {purpose: bytearray(LIST_SIZE // 8) for purpose in PURPOSES}
    for index, result_id, issued_version, current_version, entry_status, is_visible in rows:
        if result_id is None or entry_status == Entry.Status.WITHDRAWN or issued_version < current_version:
            _set_bit(bits[REVOCATION], index)
        elif not is_visible:
            _set_bit(bits[SUSPENSION], index)
    return bits


def _list_credential(*, purpose: str, number: int, bits: bytes, now: dt.datetime) -> dict[str, Any]:
    url = status_list_url(purpose=purpose, number=number)
    return credentials.credential_sign(
        {
            "@context": [credentials.VC_CONTEXT],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": credentials.board_issuer_id(),
            "validFrom": credentials._utc(now),
            "credentialSubject": {
                "id": f"{url}#list",
                "type": "BitstringStatusList",
                "statusPurpose": purpose,
                "encodedList": bitstring_encode(bits),
                "ttl": HTTP_MAX_AGE * 1000,
            },
        },
        created=now,
    )


def _list_numbers() -> range:
    last = CredentialStatus.objects.aggregate(last=Max("list_number"))["last"]
    return range(1, (last or 1) + 1)


def status_list_credential(*, purpose: str, number: int) -> dict[str, Any] | None:
    """Return the signed ``BitstringStatusListCredential`` of list ``number`` for ``purpose``, else None.

    Built from the database and cached ``CACHE_SECONDS`` (both purposes at once). No personal data: the
    board's identifier, the list's URL, the time it was built and the bits.
    """
    if purpose not in PURPOSES:
        return None
    cached: dict[str, Any] | None = cache.get(_CACHE_KEY.format(purpose=purpose, number=number))
    if cached is not None:
        return cached
    if number not in _list_numbers():
        return None
    now = timezone.now()
    built = {
        kind: _list_credential(purpose=kind, number=number, bits=bytes(bits), now=now)
        for kind, bits in _bitstrings(number=number, now=now).items()
    }
    cache.set_many(
        {_CACHE_KEY.format(purpose=kind, number=number): value for kind, value in built.items()}, CACHE_SECONDS
    )
    return built[purpose]


def status_lists_invalidate() -> None:
    """Drop the cached status lists, so the next request builds them from the database.

    Call it when a result is held, released again, amended or withdrawn (the lists are right within
    ``CACHE_SECONDS`` without it). Inside a transaction it drops them again after commit, so a request that
    read the old state meanwhile cannot keep it cached.
    """

    def drop() -> None:
        cache.delete_many(
            [_CACHE_KEY.format(purpose=purpose, number=number) for number in _list_numbers() for purpose in PURPOSES]
        )

    drop()
    transaction.on_commit(drop)


# --- The portal's verifier -----------------------------------------------------------------------------
VALID = "valid"
SUSPENDED = "suspended"
REVOKED = "revoked"
UNKNOWN = "unknown"


def _list_of(url: str) -> tuple[str, int] | None:
    """Return (purpose, number) when ``url`` is one of the board's status lists, else None."""
    for purpose in PURPOSES:
        prefix = status_list_url(purpose=purpose, number=1)[:-1]
        rest = url.removeprefix(prefix)
        if rest != url and rest.isascii() and rest.isdigit() and str(int(rest)) == rest:
            return purpose, int(rest)
    return None


def _entry_bit(entry: Any) -> tuple[str, bool] | None:
    """Return (purpose, bit) of one ``credentialStatus`` item naming one of our lists, else None."""
    if not isinstance(entry, dict) or entry.get("type") != ENTRY_TYPE:
        return None
    purpose, index, url = entry.get("statusPurpose"), entry.get("statusListIndex"), entry.get("statusListCredential")
    if not (isinstance(index, str) and index.isascii() and index.isdigit() and isinstance(url, str)):
        return None
    place = _list_of(url)
    if place is None or place[0] != purpose:
        return None
    listed = status_list_credential(purpose=place[0], number=place[1])
    if listed is None or not credentials.credential_verify(listed):
        return None
    subject = listed["credentialSubject"]
    if subject.get("statusPurpose") != purpose:
        return None
    try:
        bits = bitstring_decode(subject["encodedList"])
    except ValueError:
        return None
    if int(index) >= len(bits) * 8:
        return None
    return purpose, bit_is_set(bits, int(index))


def credential_status(credential: Any) -> str:
    """Return the status of a credential the board issued: ``revoked``, ``suspended``, ``valid`` or ``unknown``.

    Reads the status lists its ``credentialStatus`` names. The board's lists are computed here (never
    fetched over HTTP); a credential with no status entry, or naming another issuer's list, is ``unknown``.
    Revoked wins over suspended.
    """
    items = credential.get("credentialStatus") if isinstance(credential, dict) else None
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not items:
        return UNKNOWN
    found = [_entry_bit(item) for item in items]
    if (REVOCATION, True) in found:
        return REVOKED
    if (SUSPENSION, True) in found:
        return SUSPENDED
    return UNKNOWN if None in found else VALID


@dataclass(frozen=True)
class CredentialCheck:
    """What the portal says of a credential: whether the board's signature holds, and its status."""

    signature_valid: bool
    status: str

    @property
    def valid(self) -> bool:
        return self.signature_valid and self.status == VALID


def credential_check(credential: Any) -> CredentialCheck:
    """Check a downloaded credential: its proofs (``credential_verify``) and its status lists."""
    return CredentialCheck(
        signature_valid=credentials.credential_verify(credential), status=credential_status(credential)
    )
