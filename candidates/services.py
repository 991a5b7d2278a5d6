"""Writes for candidate accounts: registration, email confirmation, linking entries, password and email changes.

Every try of a secret number or a password goes through ``accounts.guard`` (lockout + throttles).
"""

import datetime as dt
import uuid
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.guard import guard_check, guard_reset
from accounts.models import User
from accounts.services import audit_record
from centres.models import Candidate, Entry, name_fold
from centres.selectors import entry_matching_secret
from results_portal.prepared import PreparedQuery

from . import tasks
from .models import CandidateAccount, LinkedEntry

CONFIRM_EMAIL_SALT = "candidates.confirm-email"
CHANGE_EMAIL_SALT = "candidates.change-email"
CONFIRM_EMAIL_MAX_AGE = 7 * 24 * 3600
CHANGE_EMAIL_MAX_AGE = 24 * 3600

ALREADY_REGISTERED = _(
    "This Candidate ID is already registered for Results Online. Log in with it, or reset your password if "
    "you have forgotten it."
)
ALREADY_LINKED_HERE = _("This entry is already in your account.")
LINKED_ELSEWHERE = _(
    "This entry is already linked to another Results Online account. If that is not yours, ask the exam centre "
    "where you took your exam to reissue your secret number."
)
CONFIRM_LINK_INVALID = _("This confirmation link is not valid or has expired. Log in to have a new one sent.")
WRONG_CURRENT_PASSWORD = _("Your current password is not correct.")
NOT_THE_SAME_PERSON = _(
    "This entry is for someone else: the name and date of birth the centre recorded for it are not those of the "
    "entries in your account. If it is yours, ask the exam centre where you took that exam to correct its details."
)
LAST_ENTRY = _("This is the only entry in your account, so it cannot be removed.")


def person_key(person: Candidate) -> tuple[str, str, dt.date]:
    """Return who a centre's record is of: the name folded for case, accents and spacing, and the date of birth."""

    return name_fold(person.first_name), name_fold(person.last_name), person.date_of_birth


def _secret_check(*, candidate_id: str, secret_number: str, date_of_birth: dt.date, ip: str, purpose: str) -> Entry:
    """Return the entry for a Candidate ID + secret number + date of birth through the guard.

    A wrong date of birth is a failed try like a wrong secret number, with the same answer: whoever holds an ID
    and secret number a candidate gave a university cannot register or link the entry without the date of
    birth the centre recorded (raises GuardRefusal/GuardFailure).
    """

    def verify(cid: str) -> Entry | None:
        entry = entry_matching_secret(candidate_id=cid, secret_number=secret_number)
        return entry if entry is not None and entry.person.date_of_birth == date_of_birth else None

    return guard_check(kind="secret", identifier=candidate_id, ip=ip, purpose=purpose, verify=verify)


def _send_confirmation(*, user: User) -> None:
    language = get_language()
    transaction.on_commit(lambda: tasks.email_confirmation_send.delay(user_id=user.pk, language=language))


def account_register(
    *, candidate_id: str, secret_number: str, date_of_birth: dt.date, email: str, password: str, ip: str
) -> CandidateAccount:
    """Register a Results Online account for the entry with this Candidate ID, secret number and date of birth.

    Allowed from the moment the entry exists (before the exam). The account holds the entry; it can log in
    once the email address is confirmed through the emailed link. A registration that was never confirmed
    (a mistyped address, say) is replaced by a new one made with the same secret number.
    """
    user = User(username=f"candidate-{uuid.uuid4().hex}", email=email.strip())
    validate_password(password, user)
    # The guard commits its own record of a failed try, so it runs before (outside) the write transaction.
    entry = _secret_check(
        candidate_id=candidate_id, secret_number=secret_number, date_of_birth=date_of_birth, ip=ip, purpose="register"
    )
    with transaction.atomic():
        existing = LinkedEntry.objects.select_related("account__user").filter(entry=entry).first()
        if existing is not None:
            if existing.account.is_confirmed:
                raise ValidationError(ALREADY_REGISTERED, code="already_registered")
            existing.account.user.delete()
        user.first_name = entry.person.first_name
        user.set_password(password)
        user.save()
        account = CandidateAccount.objects.create(user=user, language=get_language() or "en")
        LinkedEntry.objects.create(account=account, entry=entry)
        _send_confirmation(user=user)
    return account


def email_confirmation_token(*, user: User) -> str:
    """Return the signed token of the link that confirms a user's current email address."""
    return signing.dumps({"u": user.pk, "e": user.email}, salt=CONFIRM_EMAIL_SALT)


@transaction.atomic
def account_confirm_email(*, token: str) -> CandidateAccount:
    """Confirm the email address named in a signed, unexpired token; confirming twice is harmless."""
    try:
        data: dict[str, Any] = signing.loads(token, salt=CONFIRM_EMAIL_SALT, max_age=CONFIRM_EMAIL_MAX_AGE)
    except signing.BadSignature as error:
        raise ValidationError(CONFIRM_LINK_INVALID, code="invalid_link") from error
    account = CandidateAccount.objects.select_related("user").filter(user_id=data["u"]).first()
    if account is None or account.user.email != data.get("e"):
        raise ValidationError(CONFIRM_LINK_INVALID, code="invalid_link")
    if account.email_confirmed_at is None:
        account.email_confirmed_at = timezone.now()
        account.save(update_fields=["email_confirmed_at"])
    return account


def confirmation_resend(*, user: User) -> None:
    """Send the email-confirmation link again to an account that has not confirmed yet."""
    _send_confirmation(user=user)


def entry_link(
    *, account: CandidateAccount, candidate_id: str, secret_number: str, date_of_birth: dt.date, ip: str
) -> Entry:
    """Add another entry of the same person (a retake, another exam) to an account.

    The entry's Candidate ID, secret number and date of birth must match (through the guard), and the centre's
    record of it must be of the person the account's entries are of (name and date of birth, folded for case,
    accents and spacing): candidates hand their ID and secret number to universities, who must not be able to
    take the entry. The account holder is emailed, and so is the address the centre recorded for the entry if
    it is another one.
    """
    entry = _secret_check(
        candidate_id=candidate_id, secret_number=secret_number, date_of_birth=date_of_birth, ip=ip, purpose="link"
    )
    with transaction.atomic():
        link = LinkedEntry.objects.select_for_update().filter(entry=entry).first()
        if link is not None:
            if link.account_id == account.pk:
                raise ValidationError(ALREADY_LINKED_HERE, code="already_linked")
            raise ValidationError(LINKED_ELSEWHERE, code="linked_elsewhere")
        people = Candidate.objects.filter(entries__account_link__account=account).distinct()
        if any(person_key(person) != person_key(entry.person) for person in people):
            raise ValidationError(NOT_THE_SAME_PERSON, code="not_the_same_person")
        LinkedEntry.objects.create(account=account, entry=entry)
        audit_record(
            actor=account.user, action="entry.linked", subject=entry.candidate_id, detail={"account": account.pk}
        )
        language = get_language()
        transaction.on_commit(
            lambda: tasks.entry_linked_send.delay(account_id=account.pk, entry_id=entry.pk, language=language)
        )
    return entry


@transaction.atomic
def entry_unlink(*, account: CandidateAccount, entry: Entry) -> None:
    """Take an entry out of an account (its results stay with the centre); the account keeps at least one."""
    links = LinkedEntry.objects.select_for_update().filter(account=account)
    if not links.filter(entry=entry).exists():
        raise ValidationError(LAST_ENTRY, code="not_linked")
    if links.count() <= 1:
        raise ValidationError(LAST_ENTRY, code="last_entry")
    links.filter(entry=entry).delete()
    audit_record(
        actor=account.user, action="entry.unlinked", subject=entry.candidate_id, detail={"account": account.pk}
    )


def entry_detach(*, entry: Entry, actor: Any, reason: str) -> bool:
    """Take an entry out of the account it is linked to, on the centre's or the board's word; return if it was.

    Audited with the reason; the account holder is emailed. Call it inside the transaction that reissues the
    entry's secret number (``centres.services.entry_reissue`` with ``detach``), so the real candidate can then
    register with the new one.
    """
    link = LinkedEntry.objects.select_for_update().select_related("account").filter(entry=entry).first()
    if link is None:
        return False
    account_id = link.account_id
    link.delete()
    audit_record(
        actor=actor, action="entry.detached", subject=entry.candidate_id, reason=reason, detail={"account": account_id}
    )
    language = get_language()
    transaction.on_commit(
        lambda: tasks.entry_detached_send.delay(account_id=account_id, entry_id=entry.pk, language=language)
    )
    return True


def account_for_candidate_id(*, candidate_id: str) -> CandidateAccount | None:
    """Return the account holding the entry with this Candidate ID, or None.

    The user comes with it, and whether they are centre staff too (``hasattr(user, "centre_staff")``, which a
    login asks: ``accounts.sessions.staff_session_starts``) without a query of its own.
    """
    return _accounts_holding(candidate_id.strip().upper()).select_related("user__centre_staff").first()


def _accounts_holding(candidate_id: str) -> QuerySet[CandidateAccount]:
    """Return the accounts holding the entry with this (normalised) Candidate ID: at most one."""
    return CandidateAccount.objects.filter(links__entry__candidate_id=candidate_id)


def _account_lookup_queryset(candidate_id: str) -> QuerySet[Any]:
    return (
        _accounts_holding(candidate_id)
        .values_list(*_ACCOUNT_FIELDS, *(f"user__{name}" for name in _USER_FIELDS), "user__centre_staff__id")
        .order_by(*(CandidateAccount._meta.ordering or []), "pk")[:1]
    )


_ACCOUNT_FIELDS = [field.attname for field in CandidateAccount._meta.concrete_fields]
_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
# The rows of ``account_for_candidate_id``, compiled once: a login reads them with the guard's turn.
_account_lookup = PreparedQuery(_account_lookup_queryset, {"candidate_id": str})


def account_for_candidate_id_read(*, candidate_id: str) -> tuple[str, list[Any]]:
    """Return the SQL and parameters that read ``account_for_candidate_id``'s account as rows, for a normalised
    Candidate ID (PostgreSQL; ``account_from_rows`` turns the rows into the account)."""
    return _account_lookup.query_string(candidate_id=candidate_id)


def account_from_rows(rows: list[tuple[Any, ...]]) -> CandidateAccount | None:
    """Return the account (its user with it) that ``account_for_candidate_id_read``'s rows hold, or None.

    As ``account_for_candidate_id`` gives it: whether the user is centre staff too is known without a query when
    they are not (the usual case); when they are, ``user.centre_staff`` is loaded when asked.
    """
    if not rows:
        return None
    row = rows[0]
    account = CandidateAccount.from_db(DEFAULT_DB_ALIAS, _ACCOUNT_FIELDS, row[: len(_ACCOUNT_FIELDS)])
    user = User.from_db(DEFAULT_DB_ALIAS, _USER_FIELDS, row[len(_ACCOUNT_FIELDS) : -1])
    if row[-1] is None:
        user._state.fields_cache["centre_staff"] = None
    account._state.fields_cache["user"] = user
    user._state.fields_cache["candidate_account"] = account
    return account


def password_reset_request(*, candidate_id: str) -> None:
    """Queue a password-reset email for this Candidate ID; the task sends it only if a confirmed account holds it.

    The request does the same work whether or not the ID is registered (the look-up is the task's), so neither
    the answer nor its timing tells which IDs are.
    """
    normalised = candidate_id.strip().upper()
    language = get_language()
    transaction.on_commit(
        lambda: tasks.password_reset_send.delay(candidate_id=normalised, language=language), robust=True
    )


@transaction.atomic
def email_change_request(*, user: User, new_email: str, password: str) -> None:
    """Send a link to the new address; the change takes effect only when it is followed (signed, 24 hours)."""
    if not user.check_password(password):
        raise ValidationError({"password": WRONG_CURRENT_PASSWORD}, code="wrong_password")
    token = signing.dumps({"u": user.pk, "o": user.email, "n": new_email.strip()}, salt=CHANGE_EMAIL_SALT)
    language = get_language()
    user_id = user.pk
    transaction.on_commit(lambda: tasks.email_change_send.delay(user_id=user_id, token=token, language=language))


@transaction.atomic
def email_change_confirm(*, token: str) -> User:
    """Apply an email change from a signed token; a used or stale token (the address moved on) is refused."""
    try:
        data: dict[str, Any] = signing.loads(token, salt=CHANGE_EMAIL_SALT, max_age=CHANGE_EMAIL_MAX_AGE)
    except signing.BadSignature as error:
        raise ValidationError(CONFIRM_LINK_INVALID, code="invalid_link") from error
    user = User.objects.select_for_update().filter(pk=data["u"]).first()
    if user is None or user.email != data.get("o"):
        raise ValidationError(CONFIRM_LINK_INVALID, code="invalid_link")
    user.email = data["n"]
    user.save(update_fields=["email"])
    CandidateAccount.objects.filter(user=user).update(email_confirmed_at=timezone.now())
    return user


def password_locks_lift(*, user: User) -> None:
    """Lift the password lockout of every Candidate ID of a user who has just reset their password by email."""
    for candidate_id in LinkedEntry.objects.filter(account__user=user).values_list("entry__candidate_id", flat=True):
        guard_reset(kind="password", identifier=candidate_id)
