"""Revocable credentials: W3C Bitstring Status List v1.0 (docs/decisions/0008-credential-status.md).

Every Open Badges credential the portal issues carries one ``BitstringStatusListEntry`` (a single
``credentialStatus`` object, as the Open Badges 3.0 data model and its JSON Schema allow) of purpose ``message``
and ``statusSize`` 2: two bits at ``index × 2`` of list ``/credentials/status/message/<n>``, read left to right as
a number that the entry's ``statusMessage`` names:

- ``0x0`` ``valid``: the credential states the result as it stands;
- ``0x1`` ``suspended``: the result is not visible for another reason — it is held by the board (or waits for a
  moved release instant) — until it is released again;
- ``0x2`` ``revoked``, for good: the entry was withdrawn, or the result was amended since (the credential states
  an older version), or the result is gone;
- ``0x3`` ``undefined``: never set (the spec asks for a message for each of the four values).

Credentials issued before 2026-12-06 carry two one-bit entries naming the same ``index`` in the lists
``/credentials/status/revocation/<n>`` and ``/credentials/status/suspension/<n>``; those lists are still served,
from the same rule, and the verifier here reads both forms.

Indexes are allocated per result *and version* (``CredentialStatus``), drawn at random among the unused ones
of the list being filled, so an amendment revokes the old credential and not the new one, and an index says
nothing about issuance order. A list has ``LIST_SIZE`` indexes (131,072, the spec's minimum number of entries:
16 KB of one-bit values, 32 KB of two-bit ones) and is filled to ``LIST_FILL_LIMIT`` (three quarters), then the
next list number opens.

No bit is stored: the lists of a number are worked out together, in one query, from the results' current state
through the visibility selector (``results.selectors.results_visible``) when one is asked for, signed like the
badges (``credentials.credential_sign``) and kept in the cache for ``CACHE_SECONDS``. So a hold, a release
again, a withdrawal or an amendment shows in the lists within ``CACHE_SECONDS`` with no event plumbing;
``status_lists_invalidate()`` drops the cached lists at once (the domain events call it when a result's state
changes). Verifiers may keep a copy ``HTTP_MAX_AGE`` more seconds.
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

MESSAGE = "message"
REVOCATION = "revocation"
SUSPENSION = "suspension"
PURPOSES = (MESSAGE, REVOCATION, SUSPENSION)  # the lists served: new credentials name the first, older ones the others
STATUS_SIZE = {MESSAGE: 2, REVOCATION: 1, SUSPENSION: 1}  # bits per index in each list
LIST_SIZE = 131_072  # indexes: the spec's minimum number of entries, so one list hides each credential among many
LIST_FILL_LIMIT = LIST_SIZE * 3 // 4  # then a new list: a random free index is found in a few tries
ALLOCATION_TRIES = 64  # at 3/4 full, 64 taken indexes in a row happen about once in 10^8 allocations
CACHE_SECONDS = 60  # how long a built list is served before the database is read again
HTTP_MAX_AGE = 300  # how long verifiers and HTTP caches may keep a list (Cache-Control and the list's ttl)
ENTRY_TYPE = "BitstringStatusListEntry"
_CACHE_KEY = "verification:status-list:{purpose}:{number}"

# What a credential's status can be, and its value in the message list. Every new credential commits to these
# messages (``statusMessage``); the spec asks for one per value of ``statusSize`` bits, so 0x3 is named, never set.
VALID = "valid"
SUSPENDED = "suspended"
REVOKED = "revoked"
UNKNOWN = "unknown"
MESSAGE_VALUES = {VALID: 0, SUSPENDED: 1, REVOKED: 2}
STATUS_MESSAGES = (
    {"status": "0x0", "message": VALID},
    {"status": "0x1", "message": SUSPENDED},
    {"status": "0x2", "message": REVOKED},
    {"status": "0x3", "message": "undefined"},
)


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


def credential_status_entry(*, result: Result) -> dict[str, Any]:
    """Return the ``credentialStatus`` of a credential of ``result``: its place in the message list, one object.

    ``statusSize`` and ``statusMessage`` are in the entry, where the VC 2.0 context defines them: the credential
    commits to what its two bits can say.
    """
    place = credential_status_allocate(result=result)
    url = status_list_url(purpose=MESSAGE, number=place.list_number)
    return {
        "id": f"{url}#{place.index}",
        "type": ENTRY_TYPE,
        "statusPurpose": MESSAGE,
        "statusListIndex": str(place.index),
        "statusSize": STATUS_SIZE[MESSAGE],
        "statusMessage": [dict(message) for message in STATUS_MESSAGES],
        "statusListCredential": url,
    }


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


def status_value(bits: bytes, index: int, *, size: int) -> int:
    """Return the ``size``-bit status at ``index``: bits ``index × size`` onwards, the left-most most significant."""
    value = 0
    for position in range(index * size, (index + 1) * size):
        value = value << 1 | bit_is_set(bits, position)
    return value


def _set_bit(bits: bytearray, index: int) -> None:
    bits[index // 8] |= 0x80 >> (index % 8)


def _set_status(bits: bytearray, index: int, value: int, *, size: int) -> None:
    for offset in range(size):
        if value >> (size - 1 - offset) & 1:
            _set_bit(bits, index * size + offset)


def _bitstrings(*, number: int, now: dt.datetime) -> dict[str, bytearray]:
    """Return the bitstrings of list ``number`` for every purpose, from one reading of the results' current state."""
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
    bits = {purpose: bytearray(LIST_SIZE * STATUS_SIZE[purpose] // 8) for purpose in PURPOSES}
    for index, result_id, issued_version, current_version, entry_status, is_visible in rows:
        if result_id is None or entry_status == Entry.Status.WITHDRAWN or issued_version < current_version:
            state = REVOKED
        elif not is_visible:
            state = SUSPENDED
        else:
            continue
        _set_status(bits[MESSAGE], index, MESSAGE_VALUES[state], size=STATUS_SIZE[MESSAGE])
        _set_bit(bits[REVOCATION if state == REVOKED else SUSPENSION], index)
    return bits


def _list_credential(*, purpose: str, number: int, bits: bytes, now: dt.datetime) -> dict[str, Any]:
    # The subject holds no statusSize or statusMessages, not even for ``message``: §2.2 of the spec still names
    # them there, but they moved to the entry in 2024 (w3c/vc-bitstring-status-list#175) and the VC 2.0 context
    # defines them only on BitstringStatusListEntry, so here they would be undefined terms.
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

    Built from the database and cached ``CACHE_SECONDS`` (every purpose of the number at once). No personal
    data: the board's identifier, the list's URL, the time it was built and the bits.
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
def _list_of(url: str) -> tuple[str, int] | None:
    """Return (purpose, number) when ``url`` is one of the board's status lists, else None."""
    for purpose in PURPOSES:
        prefix = status_list_url(purpose=purpose, number=1)[:-1]
        rest = url.removeprefix(prefix)
        if rest != url and rest.isascii() and rest.isdigit() and str(int(rest)) == rest:
            return purpose, int(rest)
    return None


def _listed_bits(*, purpose: str, number: int) -> bytes | None:
    """Return the bitstring of the board's list ``number`` for ``purpose``, its signature and purpose checked."""
    listed = status_list_credential(purpose=purpose, number=number)
    if listed is None or not credentials.credential_verify(listed):
        return None
    subject = listed["credentialSubject"]
    if subject.get("statusPurpose") != purpose:
        return None
    try:
        return bitstring_decode(subject["encodedList"])
    except ValueError:
        return None


def _commits_as_issued(entry: dict[str, Any], purpose: str) -> bool:
    """Return whether an entry declares the status size, and messages, the board's entries of ``purpose`` do."""
    size = entry.get("statusSize", 1)
    if type(size) is not int or size != STATUS_SIZE[purpose]:
        return False
    return purpose != MESSAGE or entry.get("statusMessage") == list(STATUS_MESSAGES)


def _entry_status(entry: Any) -> str:
    """Return what one ``credentialStatus`` item says: valid, suspended or revoked; unknown unless it is one of
    the board's entries (a message entry, or an older revocation or suspension one) naming one of its lists."""
    if not isinstance(entry, dict) or entry.get("type") != ENTRY_TYPE:
        return UNKNOWN
    purpose, index, url = entry.get("statusPurpose"), entry.get("statusListIndex"), entry.get("statusListCredential")
    if not (isinstance(index, str) and index.isascii() and index.isdigit() and isinstance(url, str)):
        return UNKNOWN
    place = _list_of(url)
    if place is None or place[0] != purpose or not _commits_as_issued(entry, purpose):
        return UNKNOWN
    bits = _listed_bits(purpose=purpose, number=place[1])
    size = STATUS_SIZE[purpose]
    if bits is None or int(index) >= len(bits) * 8 // size:
        return UNKNOWN
    value = status_value(bits, int(index), size=size)
    if purpose == MESSAGE:
        return next((state for state, number in MESSAGE_VALUES.items() if number == value), UNKNOWN)
    if value == 0:
        return VALID
    return REVOKED if purpose == REVOCATION else SUSPENDED


def credential_status(credential: Any) -> str:
    """Return the status of a credential the board issued: ``revoked``, ``suspended``, ``valid`` or ``unknown``.

    Reads the status lists its ``credentialStatus`` names: one message entry (0 valid, 1 suspended, 2 revoked,
    any other value unknown), or, in credentials issued before, a revocation and a suspension entry. The board's
    lists are computed here (never fetched over HTTP); a credential with no status entry, or naming another
    issuer's list, is ``unknown``. Revoked wins over suspended, suspended over unknown.
    """
    items = credential.get("credentialStatus") if isinstance(credential, dict) else None
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not items:
        return UNKNOWN
    found = {_entry_status(item) for item in items}
    return next((status for status in (REVOKED, SUSPENDED, UNKNOWN) if status in found), VALID)


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
