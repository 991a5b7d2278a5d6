"""Brute-force protection for every try of a secret number or a password (docs/domain.md §12, OWASP ASVS 5 §6.3).

A secret number has 4 digits (13 bits): guessing is stopped by limits, not by entropy. Three limits are
checked before the credential is compared, and only failures count towards them:

- per identifier (a Candidate ID) and kind of credential, in the database so that a Redis restart unlocks
  nothing: after ``GUARD_ID_FAILURES`` consecutive failures the identifier is locked for
  ``GUARD_LOCK_MINUTES``, each further lock twice as long as the one before. A success, or a centre's
  reissue of the secret number (``guard_reset``), clears it. IDs that match no entry are locked alike;
- per client network (an IPv4 address or an IPv6 /64) and kind, in the shared cache:
  ``GUARD_IP_FAILURES`` per ``GUARD_IP_WINDOW_SECONDS``, times an ``allowance`` given to verifier
  organisations;
- per kind across every client, in the shared cache: ``GUARD_GLOBAL_FAILURES_PER_MINUTE``.

The kinds ("secret", "password", and "code": the second step of a login, accounts/two_step.py) are counted
apart, so failing secret numbers never locks a candidate's password login. The numbers and the reasons for
them: docs/decisions/0003-brute-force-policy.md.
"""

import hashlib
import ipaddress
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import dateformat, timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from redis.exceptions import RedisError

from results_portal.prepared import PreparedQuery, begin_in_query_string, one_query_string

from .models import AuthFailure, CredentialLock, User

T = TypeVar("T")

Kind = CredentialLock.Kind
Purpose = AuthFailure.Purpose

WRONG_DETAILS = _(
    "The Candidate ID and secret number do not match our records. Check them against your Confirmation of Entry."
)
WRONG_PASSWORD = _(
    "The Candidate ID and password do not match our records. Check your Candidate ID against your Confirmation "
    "of Entry, or reset your password."
)
LOCKED = _(
    "Too many unsuccessful attempts for this Candidate ID. Try again after %(time)s (UK time), or ask the exam "
    "centre where you took your exam to reissue your secret number."
)
LOCKED_PASSWORD = _(
    "Too many unsuccessful attempts to log in with this Candidate ID. Try again after %(time)s (UK time), or "
    "reset your password."
)
WRONG_CODE = _(
    "That code is not right. Enter the code your authenticator app shows now, or one of your recovery codes."
)
LOCKED_CODE = _(
    "Too many unsuccessful attempts at the second step of logging in to this account. Try again after %(time)s "
    "(UK time)."
)
LOCKED_STAFF = _("Too many unsuccessful attempts to log in to this account. Try again after %(time)s (UK time).")
THROTTLED = ngettext_lazy(
    "Too many unsuccessful attempts from your network. Try again in %(minutes)d minute.",
    "Too many unsuccessful attempts from your network. Try again in %(minutes)d minutes.",
    "minutes",
)
BUSY = ngettext_lazy(
    "We are receiving an unusual number of unsuccessful attempts, so we have paused them. Try again in "
    "%(minutes)d minute.",
    "We are receiving an unusual number of unsuccessful attempts, so we have paused them. Try again in "
    "%(minutes)d minutes.",
    "minutes",
)

_WRONG = {Kind.SECRET: WRONG_DETAILS, Kind.PASSWORD: WRONG_PASSWORD, Kind.CODE: WRONG_CODE}

UK = ZoneInfo("Europe/London")
# Cache counters live one minute past their window so that no counter expires while its window is open,
# even with a little clock skew between servers.
_COUNTER_SLACK_SECONDS = 60
_IDENTIFIER_MAX = CredentialLock._meta.get_field("identifier").max_length or 150

logger = logging.getLogger(__name__)


class GuardRefusal(Exception):
    """A try refused before its credential was compared: the identifier is locked or a throttle was reached.

    ``message`` is for the person (show it as the form's error); ``retry_after`` is in seconds (send it as a
    ``Retry-After`` header); ``reason`` is ``"locked"``, ``"ip"`` or ``"global"``.
    """

    def __init__(self, *, message: str, retry_after: int, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.reason = reason


class GuardFailure(GuardRefusal):
    """A try whose credential did not match, counted; an unknown identifier and a wrong credential alike.

    ``reason`` is ``"failed"``. ``retry_after`` is 0, unless this failure locked the identifier: then it is
    the length of the lock and ``message`` says until when.
    """


@dataclass(frozen=True)
class _Window:
    key: str
    limit: int
    seconds: int
    reason: str
    retry_after: int


def identifier_normalise(identifier: str) -> str:
    """Return the form of an identifier that the guard counts and ``verify`` receives: stripped, upper-case."""
    return identifier.strip().upper()


def _lock_key(normalised: str) -> str:
    # An identifier too long to store cannot be a Candidate ID; its digest keeps it counted on its own.
    if len(normalised) <= _IDENTIFIER_MAX:
        return normalised
    return "#sha256:" + hashlib.sha256(normalised.encode()).hexdigest()


def _network(ip: str) -> str:
    """Return the network counted for an address: IPv4 as it is, IPv6 by its /64 (one subscriber's block)."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _ip_or_none(ip: str) -> str | None:
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """Return the address of the client that sent ``request``.

    ``REMOTE_ADDR`` is used unless ``GUARD_TRUSTED_PROXY_COUNT`` says how many reverse proxies in front of
    the portal append to ``X-Forwarded-For``: then the entry that the outermost trusted proxy appended is
    used. Entries further left are written by the client and are never trusted.
    """
    remote: str = request.META.get("REMOTE_ADDR", "")
    proxies = settings.GUARD_TRUSTED_PROXY_COUNT
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies and _ip_or_none(hops[-proxies]) is not None:
            return hops[-proxies]
    return remote


def _uk_time(value: datetime) -> str:
    """Return a lock's end as UK wall-clock time, rounded up to the minute (e.g. "10:15, 24 November 2026")."""
    local = timezone.localtime(value, UK)
    shown = local.replace(second=0, microsecond=0)
    if shown != local:
        shown += timedelta(minutes=1)
    return dateformat.format(shown, "H:i, j F Y")


def _locked_message(*, kind: str, purpose: str, locked_until: datetime) -> str:
    if kind == Kind.CODE:
        template = LOCKED_CODE
    elif purpose in {Purpose.STAFF_LOGIN, Purpose.BOARD_LOGIN}:
        template = LOCKED_STAFF  # staff log in with an email address or username, not a Candidate ID
    else:
        template = LOCKED if kind == Kind.SECRET else LOCKED_PASSWORD
    return str(template) % {"time": _uk_time(locked_until)}


def _seconds_until(*, moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def _windows(*, kind: str, network: str, now: datetime, allowance: int) -> list[_Window]:
    timestamp = now.timestamp()
    ip_seconds = settings.GUARD_IP_WINDOW_SECONDS
    ip_index = int(timestamp // ip_seconds)
    global_index = int(timestamp // 60)
    return [
        _Window(
            key=f"guard:ip:{kind}:{network}:{ip_seconds}:{ip_index}",
            limit=settings.GUARD_IP_FAILURES * allowance,
            seconds=ip_seconds,
            reason="ip",
            retry_after=math.ceil((ip_index + 1) * ip_seconds - timestamp),
        ),
        _Window(
            key=f"guard:global:{kind}:{global_index}",
            limit=settings.GUARD_GLOBAL_FAILURES_PER_MINUTE,
            seconds=60,
            reason="global",
            retry_after=math.ceil((global_index + 1) * 60 - timestamp),
        ),
    ]


def _throttle_check(*, windows: list[_Window]) -> None:
    try:
        counts = cache.get_many([window.key for window in windows])
    except RedisError:
        # The per-ID lockout in the database still protects every candidate while the cache is down.
        logger.exception("guard: cache unavailable, throttles not checked")
        return
    for window in windows:
        if counts.get(window.key, 0) >= window.limit:
            minutes = max(1, math.ceil(window.retry_after / 60))
            template = THROTTLED if window.reason == "ip" else BUSY
            raise GuardRefusal(
                message=template % {"minutes": minutes},
                retry_after=max(1, window.retry_after),
                reason=window.reason,
            )


def _throttle_count(*, windows: list[_Window]) -> None:
    """Count one failure in each window: ``add`` starts a window, ``incr`` is atomic in Redis."""
    for window in windows:
        timeout = window.seconds + _COUNTER_SLACK_SECONDS
        try:
            count = 1 if cache.add(window.key, 1, timeout) else cache.incr(window.key)
        except ValueError:
            # The counter expired between add and incr: this failure starts it again.
            cache.add(window.key, 1, timeout)
            count = 1
        except RedisError:
            logger.exception("guard: cache unavailable, failure not counted in %s", window.key)
            continue
        if count == window.limit:
            logger.warning("guard: %s throttle reached (%s failures): %s", window.reason, count, window.key)


def _id_serialise(*, kind: str, key: str) -> None:
    """Wait for the identifier's turn: hold its advisory lock until the end of the transaction.

    Every try of one identifier and kind takes this lock before reading the lock state, so concurrent tries
    take turns and no more than ``GUARD_ID_FAILURES`` of them are compared before the lock, however many
    arrive at once. A PostgreSQL advisory lock rather than ``SELECT … FOR UPDATE`` on the lock row: it needs
    no row (most identifiers have none), writes nothing, and leaves a successful try's transaction read-only,
    so its commit waits for no disk write. Two identifiers whose 64-bit digests collide merely take turns.
    """
    if connection.vendor != "postgresql":
        # SQLite (make run) has no advisory locks: this insert takes its single write lock, so all tries take turns.
        CredentialLock.objects.bulk_create([CredentialLock(kind=kind, identifier=key)], ignore_conflicts=True)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_advisory_key(kind=kind, key=key)])


def _advisory_key(*, kind: str, key: str) -> int:
    """Return the 64-bit advisory lock of an identifier and kind (a digest: two that collide merely take turns)."""
    digest = hashlib.blake2b(f"guard:{kind}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(frozen=True)
class _LockState:
    failures: int = 0
    locks: int = 0
    locked_until: datetime | None = None

    @property
    def is_clear(self) -> bool:
        return not self.failures and not self.locks and self.locked_until is None


# Every guarded try reads this; compiled once, it costs an eighth of building the queryset each time.
_lock_state_rows = PreparedQuery(
    lambda kind, identifier: (
        CredentialLock.objects.filter(kind=kind, identifier=identifier)
        .order_by()
        .values_list("failures", "locks", "locked_until")
    ),
    {"kind": str, "identifier": str},
)


def _lock_state(*, kind: str, key: str) -> _LockState:
    """Return the identifier's lock state; an identifier without a row has never failed (or was pruned)."""
    rows = _lock_state_rows.rows(kind=kind, identifier=key)
    return _LockState(*rows[0]) if rows else _LockState()


Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class Lookup(Generic[T]):
    """A ``verify`` in two halves, for PostgreSQL: ``read`` gives the SQL and parameters that read what the
    normalised identifier holds, which the guard sends with the identifier's turn and lock state (one round trip);
    ``compare`` compares the credential with the rows read and returns the match or None, as ``verify`` does.

    The rows of a refused try are dropped unread: a locked identifier is refused before anything is compared.

    ``after_match``, when given, is what the caller sends next after a match, sent with the end of the guard's
    transaction: the guard calls it with the match and the statement that ends the transaction (``COMMIT``),
    which it must send first in its own query string, so that the turn ends and the caller's statements run in
    one round trip. It is called only when the guard's transaction is a real one (not a savepoint in the
    caller's), the match was read with the turn (PostgreSQL) and the success writes nothing (a clear lock
    state); otherwise the guard commits as usual and the caller goes on as without it.
    """

    read: Callable[[str], tuple[str, list[Any]]]
    compare: Callable[[str, Rows], T | None]
    after_match: Callable[[T, str], None] | None = None


END_OF_TURN = "COMMIT"


def _turn_and_lock_state(
    *, kind: str, key: str, read: tuple[str, list[Any]] | None = None, begin: str = ""
) -> tuple[_LockState, Rows | None]:
    """Wait for the identifier's turn (``_id_serialise``), then read its lock state (``_lock_state``) and, when
    given, run ``read``; return the state and the rows of ``read`` (None when it was not run).

    On PostgreSQL the statements go in one query string, one round trip, headed by ``begin`` (the ``BEGIN`` of
    the guard's transaction when it starts there, ``begin_in_query_string``): the server runs them in order, in the
    guard's transaction, and in READ COMMITTED each statement of a query string takes its snapshot when it
    starts, so the reads see every try that committed before the turn was granted, exactly as when each is sent
    on its own (``accounts/tests/test_guard.py`` holds the concurrency). Elsewhere ``read`` is not run.
    """
    if not one_query_string():
        _id_serialise(kind=kind, key=key)
        return _lock_state(kind=kind, key=key), None
    sql, params = _lock_state_rows.query_string(kind=kind, identifier=key)
    statements = [f"{begin}SELECT pg_advisory_xact_lock(%s); {sql}"]
    values = [_advisory_key(kind=kind, key=key), *params]
    if read is not None:
        statements.append(read[0])
        values += read[1]
    read_rows: Rows | None = None
    with connection.cursor() as cursor:
        cursor.execute("; ".join(statements), values)
        for _ in range(2 if begin else 1):  # the BEGIN's result, the turn's
            if not cursor.nextset():
                raise RuntimeError("the lock state's statement gave no result")
        rows = cursor.fetchall()
        if read is not None:
            if not cursor.nextset():
                raise RuntimeError("the lookup's statement gave no result")
            read_rows = cursor.fetchall()
    return (_LockState(*rows[0]) if rows else _LockState()), read_rows


def _turn_ended() -> None:
    """Raise unless the guard's transaction has ended (a ``Lookup.after_match`` must send its ``COMMIT`` first)."""
    from psycopg.pq import TransactionStatus

    if connection.connection.info.transaction_status != TransactionStatus.IDLE:
        raise RuntimeError("Lookup.after_match did not end the guard's transaction")


def _lock_length(locks: int) -> timedelta:
    # Doubling, but never past GUARD_LOCK_MAX_MINUTES (24 hours): anyone who knows a Candidate ID or an email
    # address can cause locks, so an unbounded doubling would let them shut its owner out for good.
    doublings = min(locks - 1, 32)
    minutes = settings.GUARD_LOCK_MINUTES * 2**doublings
    return timedelta(minutes=min(minutes, settings.GUARD_LOCK_MAX_MINUTES))


def _failure_record(
    *, kind: str, key: str, state: _LockState, identifier: str, ip: str, purpose: str, now: datetime
) -> datetime | None:
    """Count a failure on top of ``state`` and audit it; return the end of the lock it caused, if it caused one.

    Call it holding the identifier's turn (``_id_serialise``), with ``state`` read after taking it: no other
    try can change the row meanwhile, and ``guard_reset`` takes the same turn. Should ``guard_prune`` delete
    the row meanwhile, the upsert writes back what it held plus this failure: it errs towards locking.
    """
    failures = state.failures + 1
    locks = state.locks
    locked_until = state.locked_until
    caused_lock = failures >= settings.GUARD_ID_FAILURES
    if caused_lock:
        locks += 1
        failures = 0
        locked_until = now + _lock_length(locks)
    # One upsert: the row exists only once an identifier has failed, for unknown IDs as for real ones.
    CredentialLock.objects.bulk_create(
        [
            CredentialLock(
                kind=kind,
                identifier=key,
                failures=failures,
                locks=locks,
                locked_until=locked_until,
                last_failure_at=now,
            )
        ],
        update_conflicts=True,
        unique_fields=["kind", "identifier"],
        update_fields=["failures", "locks", "locked_until", "last_failure_at"],
    )
    AuthFailure.objects.create(
        at=now,
        kind=kind,
        identifier=identifier[:_IDENTIFIER_MAX],
        ip=_ip_or_none(ip),
        purpose=purpose,
        caused_lock=caused_lock,
    )
    if not caused_lock:
        return None
    logger.warning("guard: %s locked for %s until %s (lock %s)", identifier, kind, locked_until, locks)
    return locked_until


def guard_check(
    *,
    kind: str,
    identifier: str,
    ip: str,
    purpose: str,
    verify: Callable[[str], T | None],
    allowance: int = 1,
    lookup: Lookup[T] | None = None,
) -> T:
    """Try a credential through the lockout and throttles; return what ``verify`` matched.

    ``verify`` receives the normalised identifier and returns the matched object, or None for "no match"
    (an unknown identifier and a wrong credential alike; it must take as long either way, see
    ``password_matches``). It must not raise for a wrong credential.

    Raise ``GuardRefusal`` without calling ``verify`` when the identifier is locked (even if the credential
    is right) or the client's network or the whole service is throttled; raise ``GuardFailure`` after
    counting and auditing a failure; clear the identifier's failures and locks on success. ``allowance``
    multiplies the per-network limit (verifier organisations behind one address). ``lookup``, when given, is
    ``verify`` in two halves whose read goes with the turn (PostgreSQL); ``verify`` stays its twin elsewhere.

    Call it outside any transaction: its failure record commits on its own, even though the caller then
    fails. Inside ``transaction.atomic`` it raises ``RuntimeError`` (a durable block cannot be nested),
    because a rolled-back failure would be a guess that was never counted.
    """
    kind = Kind(kind)
    purpose = Purpose(purpose)
    if allowance < 1:
        raise ValueError("allowance must be at least 1")
    normalised = identifier_normalise(identifier)
    now = timezone.now()
    windows = _windows(kind=kind, network=_network(ip), now=now, allowance=allowance)
    try:
        _throttle_check(windows=windows)
    except GuardRefusal as refusal:
        logger.info("guard: refused %s try from %s: %s", kind, ip, refusal.reason)
        raise
    key = _lock_key(normalised)
    outermost = not connection.in_atomic_block
    with transaction.atomic(durable=True):
        # Before anything is sent: a process's first query strings ask whether their kept plans are there, which
        # then goes outside the transaction, and the turn's query string starts it.
        begin = begin_in_query_string() if outermost else ""
        read = lookup.read(normalised) if lookup is not None and one_query_string() else None
        state, read_rows = _turn_and_lock_state(kind=kind, key=key, read=read, begin=begin)
        if state.locked_until is not None and state.locked_until > now:
            logger.info("guard: refused %s try for locked %s from %s", kind, normalised, ip)
            raise GuardRefusal(
                message=_locked_message(kind=kind, purpose=purpose, locked_until=state.locked_until),
                retry_after=_seconds_until(moment=state.locked_until, now=now),
                reason="locked",
            )
        if lookup is not None and read_rows is not None:
            matched = lookup.compare(normalised, read_rows)
        else:
            matched = verify(normalised)
        if matched is not None:
            # The usual success writes nothing: the identifier has no row, or a clear one.
            if not state.is_clear:
                CredentialLock.objects.filter(kind=kind, identifier=key).update(failures=0, locks=0, locked_until=None)
            elif outermost and read_rows is not None and lookup is not None and lookup.after_match is not None:
                # The transaction read and wrote nothing else: its COMMIT goes ahead of the caller's statements.
                lookup.after_match(matched, END_OF_TURN)
                _turn_ended()
            return matched
        locked_until = _failure_record(
            kind=kind, key=key, state=state, identifier=normalised, ip=ip, purpose=purpose, now=now
        )
    _throttle_count(windows=windows)
    if locked_until is not None:
        raise GuardFailure(
            message=_locked_message(kind=kind, purpose=purpose, locked_until=locked_until),
            retry_after=_seconds_until(moment=locked_until, now=now),
            reason="failed",
        )
    raise GuardFailure(message=str(_WRONG[kind]), retry_after=0, reason="failed")


def guard_reset(*, kind: str, identifier: str) -> None:
    """Clear an identifier's failures and locks for one kind, e.g. when its centre reissues the secret number.

    Runs in the caller's transaction, so a reissue that is rolled back leaves the lock as it was. It waits for
    a try of the same identifier in progress, so that try's failure cannot overwrite the reset.
    """
    key = _lock_key(identifier_normalise(identifier))
    with transaction.atomic():
        _id_serialise(kind=Kind(kind), key=key)
        CredentialLock.objects.filter(kind=Kind(kind), identifier=key).update(failures=0, locks=0, locked_until=None)


def guard_locked_until(*, kind: str, identifier: str, now: datetime | None = None) -> datetime | None:
    """Return until when this identifier is locked for this kind of credential, or None when it is not."""
    locked_until = _lock_state(kind=Kind(kind), key=_lock_key(identifier_normalise(identifier))).locked_until
    moment = now or timezone.now()
    return locked_until if locked_until is not None and locked_until > moment else None


def guard_prune(*, now: datetime | None = None) -> tuple[int, int]:
    """Delete expired guard data; return how many failure records and lock rows were deleted. Run it daily.

    Failure records (personal data: IP addresses) are kept ``GUARD_AUDIT_RETENTION_DAYS``. A lock row is
    deleted when it holds nothing (no failures, no locks), or when it is not locked and has had no failure
    for ``GUARD_LOCK_MEMORY_DAYS``: the doubling then starts again from the first lock.
    """
    now = now or timezone.now()
    failures, _counts = AuthFailure.objects.filter(
        at__lt=now - timedelta(days=settings.GUARD_AUDIT_RETENTION_DAYS)
    ).delete()
    quiet = now - timedelta(days=settings.GUARD_LOCK_MEMORY_DAYS)
    empty = Q(failures=0, locks=0, locked_until__isnull=True)
    forgotten = (Q(locked_until__isnull=True) | Q(locked_until__lte=now)) & Q(last_failure_at__lt=quiet)
    locks, _counts = CredentialLock.objects.filter(empty | forgotten).delete()
    return failures, locks


_dummy_password_hashes: dict[str, str] = {}


def _dummy_password_hash() -> str:
    hasher = settings.PASSWORD_HASHERS[0]
    if hasher not in _dummy_password_hashes:
        _dummy_password_hashes[hasher] = make_password(get_random_string(32))
    return _dummy_password_hashes[hasher]


def password_matches(*, user: User | None, password: str) -> bool:
    """Return whether ``password`` is this user's; take as long when there is no usable user (ASVS 6.3.8).

    Use it in the ``verify`` of a password try. Without a user (unknown Candidate ID), with an inactive one
    or one without a usable password, it checks the password against a dummy hash made by the same hasher,
    as Django's ModelBackend does, so that the answer takes as long as for a real wrong password.
    """
    if user is None or not user.is_active or not user.has_usable_password():
        check_password(password, _dummy_password_hash())
        return False
    return user.check_password(password)
