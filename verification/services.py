"""Writes for verification: lookups (form, API, bulk), the audit of who verified, organisations, API keys,
share links and bulk checks.

Every try of a secret number goes through ``accounts.guard.guard_check`` (lockout + throttles), with the
organisation's ``allowance`` when an organisation is known; every successful lookup writes a
``Verification`` row, which the candidate sees. Error texts are constants the views and tests reuse.
"""

import datetime as dt
import hashlib
import ipaddress
import json
import math
import re
import secrets
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.sql import InsertQuery
from django.utils import dateformat, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.guard import GuardFailure, GuardRefusal, Lookup, guard_check, guard_reset, password_matches
from accounts.models import User
from accounts.sealing import seal, unseal
from accounts.services import audit_record
from candidates.models import CandidateAccount
from centres.models import Entry
from results_portal.csvimport import CsvLimits, ImportRejected, Problems, RowError, error_text, read_records
from results_portal.downloads import csv_text
from results_portal.prepared import one_query_string

from . import tasks
from .models import ApiKey, BulkVerification, ShareLink, Verification, VerifierOrganisation
from .selectors import (
    RELEASED,
    EntryFacts,
    VerifiedEntry,
    entries_verified,
    entry_facts_compare,
    entry_facts_matching_secret,
    entry_facts_read,
    entry_verified,
    visible_scores_of_one_sql,
)

Channel = Verification.Channel

# --- Texts (tests reuse them) ---------------------------------------------------------------------
VERIFIER_WRONG_DETAILS = _(
    "The Candidate ID and secret number do not match our records. Check them with the candidate."
)
VERIFIER_LOCKED = _(
    "Too many unsuccessful attempts for this Candidate ID. Try again after %(time)s (UK time), and check the "
    "details with the candidate: only the exam centre where they took the exam can reissue them."
)
WRONG_ORGANISATION_LOGIN = _("The email and password do not match a verifier account.")
ORGANISATION_LOCKED = _(
    "Too many unsuccessful attempts to log in with this email address. Try again after %(time)s (UK time)."
)
ORGANISATION_NOT_CONFIRMED = _(
    "Confirm your email address first: we have sent the link to the address you registered with."
)
CONFIRM_LINK_INVALID = _("This confirmation link is not valid or has expired. Register again to have a new one sent.")
CANDIDATE_ID_INVALID = _("'%(value)s' is not a Candidate ID: it has letters and digits only, at most 16.")
SECRET_NUMBER_INVALID = _(
    "'%(value)s' is not a secret number: it has exactly 4 digits (if it starts with 0, store the column as text "
    "in your spreadsheet so the 0 is kept)."
)

CANDIDATE_ID_PATTERN = re.compile(r"[A-Za-z0-9]{1,16}")
SECRET_NUMBER_PATTERN = re.compile(r"[0-9]{4}")

BULK_COLUMNS = ("candidate_id", "secret_number")
BULK_SKILLS = ("reading", "use_of_english", "writing", "listening", "speaking")
BULK_OUTPUT_COLUMNS = (
    "candidate_id",
    "status",
    "name",
    "exam_code",
    "exam_name",
    "session_date",
    "result",
    "overall_score",
    "cefr_level",
    *BULK_SKILLS,
)
BULK_VERIFIED = "verified"
BULK_NOT_FOUND = "not_found"
BULK_THROTTLED = "throttled"
BULK_NOT_VERIFIABLE = "not_verifiable_online"
BULK_PROGRESS_EVERY = 25
BULK_STALE_AFTER = dt.timedelta(hours=2)
# Most bytes in one bulk CSV: 5 000 rows of a Candidate ID and a secret number take about 120 kB.
BULK_MAX_BYTES = 1024 * 1024

CONFIRM_SALT = "verification.organisation-confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600
API_KEY_PREFIX = "rpv_"
UK = ZoneInfo("Europe/London")


def bulk_max_rows() -> int:
    return int(settings.VERIFICATION_BULK_MAX_ROWS)


def bulk_limits() -> CsvLimits:
    """Limits of a bulk CSV: ``BULK_MAX_BYTES``, ``VERIFICATION_BULK_MAX_ROWS`` lines, ``CSV_MAX_COLUMNS``."""
    return CsvLimits(max_bytes=BULK_MAX_BYTES, max_lines=bulk_max_rows(), max_columns=int(settings.CSV_MAX_COLUMNS))


def bulk_kept_days() -> int:
    return int(settings.VERIFICATION_BULK_KEPT_DAYS)


def digest(value: str) -> str:
    """Return the SHA-256 hex digest under which a random token or key is stored."""
    return hashlib.sha256(value.encode()).hexdigest()


def _ip_or_none(ip: str) -> str | None:
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        return None


# --- Answers to a refused or failed try -----------------------------------------------------------
@dataclass(frozen=True)
class Refusal:
    """How to answer a verifier whose try failed or was refused: the message, the status and Retry-After."""

    message: str
    retry_after: int

    @property
    def throttled(self) -> bool:
        """Return whether the try was refused for a while (HTTP 429) rather than not matched."""
        return self.retry_after > 0


def _uk_time_after(seconds: int) -> str:
    moment = timezone.localtime(timezone.now() + dt.timedelta(seconds=seconds), UK)
    shown = moment.replace(second=0, microsecond=0)
    if shown != moment:
        shown += dt.timedelta(minutes=1)
    return dateformat.format(shown, "H:i, j F Y")


def verifier_refusal(error: GuardRefusal) -> Refusal:
    """Return the answer to a verifier for a guard refusal or failure.

    An unknown Candidate ID and a wrong secret number get the same words (``VERIFIER_WRONG_DETAILS``). A lock
    — by this try or earlier ones — names its end and sends the verifier to the candidate, not to the centre
    (the board never gives replacement details to a verifier); throttles keep the guard's words.
    """
    if error.reason == "failed" and not error.retry_after:
        return Refusal(message=str(VERIFIER_WRONG_DETAILS), retry_after=0)
    if error.reason in {"failed", "locked"}:
        return Refusal(
            message=str(VERIFIER_LOCKED) % {"time": _uk_time_after(error.retry_after)},
            retry_after=max(1, error.retry_after),
        )
    return Refusal(message=error.message, retry_after=max(1, error.retry_after))


def organisation_login_refusal(error: GuardRefusal) -> Refusal:
    """Return the answer to an organisation whose login failed or was refused (unknown email = wrong password)."""
    if error.reason == "failed" and not error.retry_after:
        return Refusal(message=str(WRONG_ORGANISATION_LOGIN), retry_after=0)
    if error.reason in {"failed", "locked"}:
        return Refusal(
            message=str(ORGANISATION_LOCKED) % {"time": _uk_time_after(error.retry_after)},
            retry_after=max(1, error.retry_after),
        )
    return Refusal(message=error.message, retry_after=max(1, error.retry_after))


# --- Lookups and their audit ----------------------------------------------------------------------
def verification_record(
    *,
    entry: Entry,
    channel: str,
    organisation: VerifierOrganisation | None = None,
    share_link: ShareLink | None = None,
    at: dt.datetime | None = None,
) -> Verification:
    """Record that a verifier saw an entry (form, API, bulk, share link or QR code); return the audit row.

    ``organisation`` is the logged-in verifier organisation, or None for an anonymous verifier.
    """
    return _verification_row_write(
        entry_id=entry.pk, channel=channel, organisation=organisation, share_link=share_link, at=at
    )


def _verification_row_write(
    *,
    entry_id: int,
    channel: str,
    organisation: VerifierOrganisation | None = None,
    share_link: ShareLink | None = None,
    at: dt.datetime | None = None,
) -> Verification:
    """Write the audit row of a lookup whose answer is already decided.

    Alone in its transaction, on PostgreSQL, it commits without waiting for the WAL to reach the disk
    (``synchronous_commit = off`` for that transaction only): a crash of the database server may lose the
    last fraction of a second of these rows, never leave half of one, and no other write is affected
    (docs/decisions/0013-verification-audit-commit.md). Inside a caller's transaction it is written as part of
    it, durably.
    """
    connection = transaction.get_connection()
    row = _verification_row(
        entry_id=entry_id, channel=channel, organisation=organisation, share_link=share_link, at=at
    )
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        row.save(force_insert=True)
        return row
    if not _one_round_trip():
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(NO_DISK_WAIT)
            row.save(force_insert=True)
        return row
    _audit_query_string(row)
    return row


NO_DISK_WAIT = "SET LOCAL synchronous_commit TO OFF"


def _verification_row(
    *,
    entry_id: int,
    channel: str,
    organisation: VerifierOrganisation | None,
    share_link: ShareLink | None,
    at: dt.datetime | None,
) -> Verification:
    return Verification(
        entry_id=entry_id,
        at=at or timezone.now(),
        channel=Channel(channel),
        organisation=organisation,
        organisation_name=organisation.name if organisation is not None else "",
        share_link=share_link,
    )


def _one_round_trip() -> bool:
    """Return whether statements can go to the server together as one query string, outside any transaction
    (``one_query_string``: PostgreSQL binding values on the client)."""
    connection = transaction.get_connection()
    return one_query_string(connection.alias) and not connection.in_atomic_block


def _audit_query_string(
    row: Verification, *, read: tuple[str, list[Any]] | None = None, first: str | None = None
) -> list[tuple[Any, ...]]:
    """Write a new audit row in one round trip, after ``read`` (a SELECT) when given; return what ``read`` read.

    ``first``, when given, is a statement without result rows sent ahead of them all: the ``COMMIT`` that ends the
    brute-force guard's transaction (``accounts.guard.Lookup.after_match``), so that PostgreSQL runs what follows
    in an implicit transaction of its own, exactly as when it is sent alone afterwards.

    ``SET LOCAL synchronous_commit TO OFF``, the read and the INSERT the ORM writes for the row go as one query
    string, which PostgreSQL runs as one implicit transaction: the setting holds for it alone (ADR 0013), and the
    read sees what it would see sent on its own just before.
    """
    connection = transaction.get_connection()
    insert, insert_params = _insert_sql(row)
    statements, params = ([first] if first is not None else []) + [NO_DISK_WAIT], []
    if read is not None:
        statements.append(read[0])
        params += read[1]
    statements.append(insert)
    params += insert_params
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        cursor.execute("; ".join(statements), params)
        if first is not None and not cursor.nextset():  # past the first statement's result
            raise RuntimeError("the audit row's query string stopped after its first statement")
        if read is not None:
            cursor.nextset()
            rows = cursor.fetchall()
        if not cursor.nextset():
            raise RuntimeError("the audit row's INSERT gave no result")
        row.pk = cursor.fetchone()[0]
    row._state.adding = False
    row._state.db = connection.alias
    return rows


def _insert_sql(row: Verification) -> tuple[str, list[Any]]:
    """Return the INSERT … RETURNING id that ``row.save()`` sends for a new row.

    The statement is compiled by the ORM once per process and database (``_insert_compiled``): its text does not
    depend on the values, which are prepared for each row as the compiler prepares them (``pre_save``, then
    ``get_db_prep_save``). Compiling it for every lookup cost about 0.1 ms of CPU (BENCHMARKS.md, the API).
    """
    connection = transaction.get_connection()
    text = _insert_texts.get(connection.alias)
    if text is None:
        text = _insert_texts[connection.alias] = _insert_compiled(row)[0]
    return text, [field.get_db_prep_save(field.pre_save(row, True), connection) for field in _insert_fields()]


_insert_texts: dict[str, str] = {}


def _insert_fields() -> list[Any]:
    meta = Verification._meta
    return [field for field in meta.local_concrete_fields if field is not meta.auto_field]


def _insert_compiled(row: Verification) -> tuple[str, list[Any]]:
    """Return the INSERT … RETURNING id that ``row.save()`` sends for a new row, compiled by the ORM."""
    meta = Verification._meta
    query = InsertQuery(Verification)
    query.insert_values(_insert_fields(), [row])
    compiler = query.get_compiler(using=transaction.get_connection().alias)
    compiler.returning_fields = [meta.pk]
    ((sql, params),) = compiler.as_sql()
    return sql, list(params)


def _entry_guarded(
    *,
    candidate_id: str,
    secret_number: str,
    ip: str,
    purpose: str,
    allowance: int,
    after_match: Callable[[EntryFacts, str], None] | None = None,
) -> EntryFacts:
    """Return the entry matching a Candidate ID and secret number through the guard (kind "secret").

    ``after_match`` is the guard's ``Lookup.after_match``: statements sent with the end of its transaction.
    """
    return guard_check(
        kind="secret",
        identifier=candidate_id,
        ip=ip,
        purpose=purpose,
        verify=lambda cid: entry_facts_matching_secret(candidate_id=cid, secret_number=secret_number),
        allowance=allowance,
        # The entry is read with the ID's turn and lock state (one round trip), compared only if not locked.
        lookup=Lookup(
            read=lambda cid: entry_facts_read(candidate_id=cid),
            compare=lambda _cid, rows: entry_facts_compare(rows=rows, secret_number=secret_number),
            after_match=after_match,
        ),
    )


def _purpose(channel: str) -> str:
    return "api" if channel == Channel.API else "verify"


def verification_lookup(
    *,
    candidate_id: str,
    secret_number: str,
    ip: str,
    channel: str,
    organisation: VerifierOrganisation | None = None,
) -> VerifiedEntry:
    """Return what a verifier may see of the entry with this Candidate ID and secret number, and audit it.

    Guarded (``accounts.guard``) with the organisation's allowance; raises ``GuardRefusal`` (or its subclass
    ``GuardFailure`` for an unknown ID and a wrong secret number alike). Call it outside any transaction.
    A success costs the guard's read-only transaction (its turn with the lock state, the entry), then one read of
    the visible result and one insert of the audit row: on PostgreSQL both in one round trip with the audit
    row's own setting (``_audit_query_string``), which also carries the guard's COMMIT (``Lookup.after_match``).
    """
    audited: list[tuple[dt.datetime, list[tuple[Any, ...]]]] = []

    def audit_with_the_turns_end(entry: EntryFacts, end_of_turn: str) -> None:
        # Sent with the guard's COMMIT: the turn ends first, then the visible result is read and the row written
        # in their own implicit transaction, as when sent after it (ADR 0013). Nothing else is read here, so
        # that the answer is built after the guard's transaction is over.
        moment = timezone.now()
        row = _verification_row(
            entry_id=entry.entry_id, channel=channel, organisation=organisation, share_link=None, at=moment
        )
        read = visible_scores_of_one_sql(entry_id=entry.entry_id, now=moment) if entry.verifiable else None
        audited.append((moment, _audit_query_string(row, read=read, first=end_of_turn)))

    entry = _entry_guarded(
        candidate_id=candidate_id,
        secret_number=secret_number,
        ip=ip,
        purpose=_purpose(channel),
        allowance=organisation.effective_allowance if organisation is not None else 1,
        after_match=audit_with_the_turns_end,
    )
    if audited:
        ((moment, rows),) = audited
        return entry_verified(entry=entry, now=moment, rows=rows if entry.verifiable else None)
    now = timezone.now()
    if entry.verifiable and _one_round_trip():
        # The visible result is read in the audit row's round trip (PostgreSQL): one round trip for both.
        row = _verification_row(
            entry_id=entry.entry_id, channel=channel, organisation=organisation, share_link=None, at=now
        )
        rows = _audit_query_string(row, read=visible_scores_of_one_sql(entry_id=entry.entry_id, now=now))
        return entry_verified(entry=entry, now=now, rows=rows)
    verified = entry_verified(entry=entry, now=now)
    _verification_row_write(entry_id=entry.entry_id, channel=channel, organisation=organisation, at=now)
    return verified


# --- Verifier organisations -----------------------------------------------------------------------
def _normalise_email(email: str) -> str:
    return email.strip().lower()


def organisation_register(*, name: str, country: str, email: str, password: str) -> VerifierOrganisation | None:
    """Register a verifier organisation and email it a confirmation link; return it (None if the email is taken).

    The caller answers the same either way, so registering does not reveal which addresses have accounts:
    the owner of a taken address is emailed a notice instead. An unconfirmed registration with the same
    address is replaced. Raise ``ValidationError`` for a password the validators refuse.
    """
    address = _normalise_email(email)
    user = User(username=f"verifier-{uuid.uuid4().hex}", email=address, first_name=name[:150])
    validate_password(password, user)
    language = get_language() or settings.LANGUAGE_CODE
    with transaction.atomic():
        existing = VerifierOrganisation.objects.select_for_update().filter(email=address).first()
        if existing is not None:
            if existing.is_confirmed:
                make_password(password)  # as long as a new registration, so timing does not tell
                existing_id = existing.pk
                transaction.on_commit(
                    lambda: tasks.organisation_exists_notice_send.delay(organisation_id=existing_id, language=language)
                )
                return None
            existing.user.delete()
        user.set_password(password)
        user.save()
        organisation = VerifierOrganisation.objects.create(
            user=user, name=name.strip(), country=country.strip(), email=address, language=language
        )
        organisation_id = organisation.pk
        transaction.on_commit(
            lambda: tasks.organisation_confirmation_send.delay(organisation_id=organisation_id, language=language)
        )
    return organisation


def organisation_confirmation_token(*, organisation: VerifierOrganisation) -> str:
    """Return the signed token of the link that confirms an organisation's email address."""
    return signing.dumps({"o": organisation.pk, "e": organisation.email}, salt=CONFIRM_SALT)


@transaction.atomic
def organisation_confirm_email(*, token: str) -> VerifierOrganisation:
    """Confirm the organisation named in a signed, unexpired token; confirming twice is harmless."""
    try:
        data: dict[str, Any] = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature as error:
        raise ValidationError(CONFIRM_LINK_INVALID, code="invalid_link") from error
    organisation = VerifierOrganisation.objects.select_for_update().filter(pk=int(data.get("o") or 0)).first()
    if organisation is None or organisation.email != data.get("e"):
        raise ValidationError(CONFIRM_LINK_INVALID, code="invalid_link")
    if organisation.email_confirmed_at is None:
        organisation.email_confirmed_at = timezone.now()
        organisation.save(update_fields=["email_confirmed_at"])
    return organisation


def organisation_authenticate(*, email: str, password: str, ip: str) -> VerifierOrganisation:
    """Return the organisation whose email and password these are, through the guard (kind "password").

    Raise ``GuardRefusal``/``GuardFailure`` as ``accounts.guard.guard_check`` does (an unknown email and a
    wrong password alike, taking as long), and ``ValidationError`` for an account not yet confirmed.
    """
    address = _normalise_email(email)

    def verify(_identifier: str) -> VerifierOrganisation | None:
        organisation = VerifierOrganisation.objects.select_related("user").filter(email=address).first()
        user = organisation.user if organisation is not None else None
        return organisation if password_matches(user=user, password=password) else None

    organisation = guard_check(kind="password", identifier=address, ip=ip, purpose="login", verify=verify)
    if not organisation.is_confirmed:
        raise ValidationError(ORGANISATION_NOT_CONFIRMED, code="not_confirmed")
    return organisation


def organisation_password_reset_request(*, email: str) -> None:
    """Queue a password-reset email to this address; the task sends it only if a confirmed organisation uses it.

    The request does the same work whether or not the address is registered (the look-up is the task's), so
    neither the answer nor its timing tells which addresses are.
    """
    address = _normalise_email(email)
    language = get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(
        lambda: tasks.organisation_password_reset_send.delay(email=address, language=language), robust=True
    )


def organisation_password_locks_lift(*, user: User) -> None:
    """Lift the login lockout of an organisation whose password has just been reset from its email."""
    organisation = VerifierOrganisation.objects.filter(user=user).first()
    if organisation is not None:
        guard_reset(kind="password", identifier=organisation.email)


def confirmation_resend(*, organisation: VerifierOrganisation) -> None:
    """Send the email-confirmation link again to an organisation that has not confirmed yet."""
    organisation_id = organisation.pk
    language = get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(
        lambda: tasks.organisation_confirmation_send.delay(organisation_id=organisation_id, language=language)
    )


# --- API keys -------------------------------------------------------------------------------------
@transaction.atomic
def api_key_create(*, organisation: VerifierOrganisation, name: str) -> tuple[ApiKey, str]:
    """Make an API key for an organisation; return it and the key itself, which is never shown again."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        organisation=organisation, name=name.strip(), prefix=key[: len(API_KEY_PREFIX) + 6], key_digest=digest(key)
    )
    return api_key, key


@transaction.atomic
def api_key_revoke(*, organisation: VerifierOrganisation, public_id: uuid.UUID) -> bool:
    """Revoke one of an organisation's API keys at once; return whether a live key was revoked."""
    revoked = ApiKey.objects.filter(organisation=organisation, public_id=public_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return revoked > 0


def api_key_authenticate(*, key: str) -> VerifierOrganisation | None:
    """Return the confirmed organisation whose live API key this is (noting its use), or None."""
    if not key.startswith(API_KEY_PREFIX) or len(key) > 100:
        return None
    api_key = (
        ApiKey.objects.select_related("organisation")
        .filter(
            key_digest=digest(key),
            revoked_at__isnull=True,
            organisation__email_confirmed_at__isnull=False,
            organisation__user__is_active=True,
        )
        .first()
    )
    if api_key is None:
        return None
    now = timezone.now()
    # One write per key per minute at most: an API client may make many calls a second.
    if api_key.last_used_at is None or now - api_key.last_used_at > dt.timedelta(minutes=1):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return api_key.organisation


# --- Share links ----------------------------------------------------------------------------------
def share_link_token_new() -> str:
    """Return a new random share-link token (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


@transaction.atomic
def share_link_create(
    *, account: CandidateAccount, entry: Entry, days: int, organisation_name: str = ""
) -> tuple[ShareLink, str]:
    """Make a share link for a candidate's entry, valid ``days`` days; return it and its token (shown once).

    The caller checks that the entry's result is visible to the candidate (``results.selectors``).
    """
    token = share_link_token_new()
    link = ShareLink.objects.create(
        entry=entry,
        account=account,
        organisation_name=organisation_name.strip(),
        token_digest=digest(token),
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    return link, token


@transaction.atomic
def share_link_revoke(*, account: CandidateAccount, public_id: uuid.UUID) -> bool:
    """Revoke one of a candidate's share links at once; return whether a live link was revoked."""
    revoked = ShareLink.objects.filter(account=account, public_id=public_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return revoked > 0


def share_link_open(*, token: str, organisation: VerifierOrganisation | None = None) -> VerifiedEntry | None:
    """Return what a share link shows (its entry's released result) and audit the view; None if it does not open.

    An unknown, expired or revoked token opens nothing, and neither does a link whose result is no longer
    visible (held after release, say).
    """
    if not token or len(token) > 64:
        return None
    now = timezone.now()
    link = (
        ShareLink.objects.select_related("entry__person", "entry__session__exam", "entry__centre")
        .filter(token_digest=digest(token), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if link is None:
        return None
    verified = entry_verified(entry=EntryFacts.of(link.entry), now=now)
    if not verified.results or verified.results[0].status != RELEASED:
        return None
    verification_record(entry=link.entry, channel=Channel.LINK, organisation=organisation, share_link=link, at=now)
    return verified


# --- Bulk checks ----------------------------------------------------------------------------------
def bulk_rows_read(*, text: str) -> list[tuple[str, str]]:
    """Return the (Candidate ID, secret number) rows of a bulk CSV, or raise ``ImportRejected`` with every problem.

    The header must be ``candidate_id,secret_number`` (any order, any case); at most
    ``VERIFICATION_BULK_MAX_ROWS`` rows (``bulk_limits``).
    """
    records = read_records(text=text, columns=BULK_COLUMNS, limits=bulk_limits())
    errors = Problems()
    rows: list[tuple[str, str]] = []
    for record in records:
        candidate_id = record.values["candidate_id"]
        secret_number = record.values["secret_number"]
        if not CANDIDATE_ID_PATTERN.fullmatch(candidate_id):
            errors.append(
                RowError(record.line, "candidate_id", error_text(CANDIDATE_ID_INVALID, value=candidate_id[:20]))
            )
        if not SECRET_NUMBER_PATTERN.fullmatch(secret_number):
            # The value is not echoed: it may be a real secret number with a typo.
            errors.append(RowError(record.line, "secret_number", error_text(SECRET_NUMBER_INVALID, value="…")))
        rows.append((candidate_id.upper(), secret_number))
    if errors:
        raise ImportRejected(errors)
    return rows


def bulk_create(*, organisation: VerifierOrganisation, filename: str, text: str, ip: str) -> BulkVerification:
    """Check a bulk CSV and queue it for a background check; raise ``ImportRejected`` for a bad file.

    The rows (credentials) are stored sealed until the task has read them.
    """
    rows = bulk_rows_read(text=text)
    job = BulkVerification.objects.create(
        organisation=organisation,
        filename=filename[:200],
        ip=_ip_or_none(ip),
        source_sealed=seal(json.dumps(rows).encode()),
        total=len(rows),
    )
    job_id = job.pk
    # Queued after commit, and outside any block of ours: the task's guard opens durable transactions.
    transaction.on_commit(lambda: tasks.bulk_verification_run.delay(job_id=job_id))
    return job


def _bulk_row(candidate_id: str, status: str, verified: VerifiedEntry | None) -> list[object]:
    row: dict[str, object] = {"candidate_id": candidate_id, "status": status}
    if verified is not None:
        row["name"] = verified.candidate_name
        row["exam_name"] = verified.exam_name
        row["exam_code"] = verified.exam_code
        row["session_date"] = verified.session_date.isoformat()
        if verified.results:
            facts = verified.results[0]
            row["status"] = BULK_VERIFIED if facts.status == RELEASED else facts.status
            row["result"] = facts.result
            row["overall_score"] = facts.overall_score
            row["cefr_level"] = facts.cefr_level
            row.update({component.code: component.score for component in facts.components})
        else:
            row["status"] = BULK_NOT_VERIFIABLE
    return [row.get(column) for column in BULK_OUTPUT_COLUMNS]


def bulk_output_csv(rows: Sequence[Sequence[object]]) -> str:
    """Return the results CSV of a bulk check: a header and one line per input row (``csv_text``)."""
    return csv_text(header=BULK_OUTPUT_COLUMNS, rows=rows)


def bulk_check(
    *,
    organisation: VerifierOrganisation,
    rows: Sequence[tuple[str, str]],
    ip: str,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[str, dict[str, int]]:
    """Check each row through the guard with the organisation's allowance; return the results CSV and counts.

    Each matched row is audited (channel "bulk"). A row refused by a lock or a throttle is "throttled": the
    others go on. Call it outside any transaction (the guard's records commit on their own).
    """
    total = len(rows)
    matched: dict[int, EntryFacts] = {}
    statuses: list[str] = []
    for index, (candidate_id, secret_number) in enumerate(rows):
        try:
            matched[index] = _entry_guarded(
                candidate_id=candidate_id,
                secret_number=secret_number,
                ip=ip,
                purpose="verify",
                allowance=organisation.effective_allowance,
            )
            statuses.append(BULK_VERIFIED)
        except GuardFailure:
            statuses.append(BULK_NOT_FOUND)
        except GuardRefusal:
            statuses.append(BULK_THROTTLED)
        if progress is not None and ((index + 1) % BULK_PROGRESS_EVERY == 0 or index + 1 == total):
            progress(index + 1, total)
    now = timezone.now()
    unique_entries = list({entry.entry_id: entry for entry in matched.values()}.values())
    verified = entries_verified(entries=unique_entries, now=now)
    Verification.objects.bulk_create(
        [
            Verification(
                entry_id=entry.entry_id,
                at=now,
                channel=Channel.BULK,
                organisation=organisation,
                organisation_name=organisation.name,
            )
            for entry in matched.values()
        ],
        batch_size=500,
    )
    lines = []
    for index, (candidate_id, _secret) in enumerate(rows):
        entry = matched.get(index)
        lines.append(_bulk_row(candidate_id, statuses[index], verified[entry.entry_id] if entry is not None else None))
    counts = Counter(str(line[1]) for line in lines)
    return bulk_output_csv(lines), dict(counts)


def bulk_verification_run(*, job_id: int, progress: Callable[[int, int], None] | None = None) -> bool:
    """Run a queued bulk check once: claim it, check its rows, store the output sealed; return whether it ran.

    A job already claimed (a task delivered twice) is left alone, so no file is checked twice.
    """
    claimed = BulkVerification.objects.filter(pk=job_id, status=BulkVerification.Status.QUEUED).update(
        status=BulkVerification.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return False
    job = BulkVerification.objects.select_related("organisation").get(pk=job_id)
    rows = [(str(cid), str(secret)) for cid, secret in json.loads(unseal(job.source_sealed))]
    output, counts = bulk_check(organisation=job.organisation, rows=rows, ip=job.ip or "", progress=progress)
    BulkVerification.objects.filter(pk=job_id).update(
        status=BulkVerification.Status.DONE,
        source_sealed="",
        output_sealed=seal(output.encode()),
        counts=counts,
        done=len(rows),
        finished_at=timezone.now(),
    )
    return True


def bulk_verification_fail(*, job_id: int) -> None:
    """Mark a bulk check that stopped unexpectedly as failed, and forget its rows."""
    BulkVerification.objects.filter(pk=job_id).update(
        status=BulkVerification.Status.FAILED, source_sealed="", finished_at=timezone.now()
    )


def bulk_output(*, job: BulkVerification) -> str | None:
    """Return the results CSV of a finished bulk check, or None once it has been purged."""
    return unseal(job.output_sealed).decode() if job.output_sealed else None


def bulk_verifications_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the results of bulk checks finished more than ``VERIFICATION_BULK_KEPT_DAYS`` ago; return how many."""
    moment = now or timezone.now()
    cutoff = moment - dt.timedelta(days=bulk_kept_days())
    return BulkVerification.objects.filter(finished_at__lt=cutoff, output_purged_at__isnull=True).update(
        output_sealed="", source_sealed="", output_purged_at=moment
    )


def bulk_verifications_fail_stale(*, now: dt.datetime | None = None) -> int:
    """Mark bulk checks still running ``BULK_STALE_AFTER`` after they started as failed; return how many.

    A worker that died mid-check leaves its job claimed: it is not run again (its rows' failed tries were
    already counted by the guard), so the organisation is told to upload the file again.
    """
    moment = now or timezone.now()
    return BulkVerification.objects.filter(
        status=BulkVerification.Status.RUNNING, started_at__lt=moment - BULK_STALE_AFTER
    ).update(status=BulkVerification.Status.FAILED, source_sealed="", finished_at=moment)


def progress_eta_seconds(*, started_at: dt.datetime | None, done: int, total: int) -> int | None:
    """Return about how many seconds a running job has left, from its pace so far, or None if unknown."""
    if started_at is None or not done or not total or done >= total:
        return None
    elapsed = (timezone.now() - started_at).total_seconds()
    return math.ceil(elapsed / done * (total - done))


@transaction.atomic
def organisation_vet(*, organisation: VerifierOrganisation, actor: User, verified: bool, reason: str) -> None:
    """Record that board staff checked an organisation is who it says it is (or withdraw it); audited."""
    if not reason.strip():
        raise ValidationError("Say how the organisation was checked: it is recorded in the audit trail.")
    locked = VerifierOrganisation.objects.select_for_update().get(pk=organisation.pk)
    locked.verified_at = timezone.now() if verified else None
    locked.verified_by = actor if verified else None
    locked.save(update_fields=["verified_at", "verified_by"])
    audit_record(
        actor=actor,
        action="organisation.verified" if verified else "organisation.unverified",
        subject=locked.email,
        reason=reason.strip(),
        detail={"organisation": str(locked.public_id), "name": locked.name},
    )
