"""Writes for centres, candidates and entries."""

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.formats import date_format
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.guard import guard_reset
from accounts.models import User
from accounts.services import audit_record, staff_setup_finish
from accounts.sessions import sessions_end_everywhere
from exams.models import Exam, ExamSession
from exams.selectors import series_name

from .models import Centre, CertificationEntry, Entry, EntryImport, StaffMember, UnitEntry
from .signals import certification_entry_made, entry_reissued

if TYPE_CHECKING:
    from .imports import IssuedEntry

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
    key = settings.SECRET_NUMBER_KEY or settings.SECRET_KEY
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


REISSUE_REASON_REQUIRED = _("Say why the login details are reissued: it is recorded in the audit trail.")
STAFF_EXISTS = _("{email} already has an account. Ask the board to move it to another centre if needed.")


SETUP_LINK_REASON_REQUIRED = _("Say why a new set-up link is sent: it is recorded in the audit trail.")
STAFF_ROLE_UNKNOWN = _("Unknown role {role!r}: use exams_officer, head_of_centre or staff.")
STAFF_LAST_OFFICER = _(
    "The centre must keep at least one active exams officer: make someone else an exams officer first."
)
STAFF_DEACTIVATED = _("This account is deactivated: invite the person again to reactivate it.")


@transaction.atomic
def entry_reissue(*, entry: Entry, actor: User, reason: str, detach: bool = False) -> str:
    """Give an entry a new secret number and return it; the old one stops working at once.

    Only the centre reissues login details (docs/domain.md §1.4). The Candidate ID stays the same; any lockout
    of the old secret number is lifted, and the reissue is audited (who, when, why). With ``detach`` the entry
    also leaves the Results Online account it is linked to (someone else took it with leaked details), so the
    real candidate can register with the new number.
    """
    if not reason.strip():
        raise ValidationError(REISSUE_REASON_REQUIRED)
    locked = Entry.objects.select_for_update().get(pk=entry.pk)
    secret = secret_number_generate()
    while secret_number_matches(secret_number=secret, secret_hash=locked.secret_hash):
        secret = secret_number_generate()  # the new number must differ, or the old one would keep working
    locked.secret_hash = secret_number_hash(secret_number=secret)
    locked.secret_issued_at = timezone.now()
    locked.save(update_fields=["secret_hash", "secret_issued_at"])
    entry.secret_hash, entry.secret_issued_at = locked.secret_hash, locked.secret_issued_at
    guard_reset(kind="secret", identifier=entry.candidate_id)
    audit_record(
        actor=actor,
        action="entry.reissue",
        subject=entry.candidate_id,
        reason=reason.strip(),
        detail={"detach": detach},
    )
    entry_reissued.send(sender=Entry, entry=entry, actor=actor, reason=reason.strip(), detach=detach)
    return secret


def issued_entry_for(*, entry: Entry, secret_number: str) -> "IssuedEntry":
    """Return what a Confirmation of Entry prints for an entry and its (just issued) secret number."""
    from exams.selectors import session_results_by

    from .imports import IssuedEntry

    session = entry.session
    return IssuedEntry(
        candidate_id=entry.candidate_id,
        secret_number=secret_number,
        first_name=entry.person.first_name,
        last_name=entry.person.last_name,
        exam_code=session.exam.code,
        session_date=session.date,
        mode=session.mode,
        centre_number=entry.centre.number,
        results_by=session_results_by(session=session),
        exam_name=session.exam.name,
        mode_label=str(session.get_mode_display()),
        centre_name=entry.centre.name,
        public_id=entry.public_id,
    )


class StaffSetupTokenGenerator(PasswordResetTokenGenerator):
    """Single-use link to set up a staff account: it dies once the password is set (like a reset token)."""

    key_salt = "centres.services.StaffSetupTokenGenerator"


staff_setup_tokens = StaffSetupTokenGenerator()


@transaction.atomic
def staff_invite(
    *, centre: Centre, email: str, role: str, actor: User | None, send_email: bool = False
) -> tuple[StaffMember, str]:
    """Create a staff account for a centre with a role; return it with the path of its one-time set-up page.

    The new member sets a password and pairs an authenticator app (TOTP) on that page; until then the
    account cannot log in. For an existing member of the same centre (a lost phone, a set-up link that
    expired) a new set-up link is made instead, and a deactivated one is reactivated with ``role``; an account
    of another kind or centre is refused. ``send_email`` emails the link to the member's own address (an exams
    officer's invitation); otherwise the caller hands it over (the board's command). A new exams officer is
    announced to the head of centre.
    """
    email = email.strip().lower()
    if role not in StaffMember.Role.values:
        raise ValidationError(STAFF_ROLE_UNKNOWN.format(role=role))
    existing = User.objects.filter(username=email).first()
    if existing is not None:
        member = StaffMember.objects.select_related("centre").filter(user=existing, centre=centre).first()
        if member is None:
            raise ValidationError(STAFF_EXISTS.format(email=email))
        if member.deactivated_at is not None:
            _staff_reactivate(member=member, role=role, actor=actor)
        else:
            audit_record(actor=actor, action="staff.setup_link", subject=email, detail={"centre": centre.number})
    else:
        user = User(username=email, email=email)
        user.set_unusable_password()
        user.save()
        member = StaffMember.objects.create(user=user, centre=centre, role=role)
        audit_record(actor=actor, action="staff.invite", subject=email, detail={"centre": centre.number, "role": role})
        if role == StaffMember.Role.EXAMS_OFFICER:
            _officer_added_announce(member=member, actor=actor)
    if send_email:
        _setup_link_queue(member=member, invited_by=actor)
    return member, staff_setup_path(user=member.user)


def _setup_link_queue(*, member: StaffMember, invited_by: User | None = None) -> None:
    from .tasks import staff_setup_link_email

    user_id, inviter = member.user_id, invited_by.email if invited_by is not None else ""
    transaction.on_commit(lambda: staff_setup_link_email.delay(user_id=user_id, invited_by=inviter), robust=True)


def _officer_added_announce(*, member: StaffMember, actor: User | None) -> None:
    """Tell the head of centre (or, with none, the centre's contact address) that an exams officer was added."""
    from .tasks import staff_officer_added_email

    member_id, actor_email = member.pk, actor.email if actor is not None else ""
    transaction.on_commit(
        lambda: staff_officer_added_email.delay(member_id=member_id, actor_email=actor_email), robust=True
    )


def _staff_officers_left(*, member: StaffMember) -> int:
    """Return how many active exams officers the member's centre has besides this member."""
    return (
        StaffMember.objects.filter(
            centre_id=member.centre_id, role=StaffMember.Role.EXAMS_OFFICER, deactivated_at__isnull=True
        )
        .exclude(pk=member.pk)
        .count()
    )


def _staff_manager_check(*, member: StaffMember, manager: StaffMember | None) -> None:
    """Refuse a change by anyone but an exams officer of the member's own centre (``manager``; None: the board)."""
    if manager is not None and (not manager.manages_staff or manager.centre_id != member.centre_id):
        raise PermissionDenied("Only an exams officer of the centre manages its staff.")


@transaction.atomic
def staff_role_change(*, member: StaffMember, role: str, actor: User | None, manager: StaffMember | None) -> None:
    """Give a member of centre staff another role (audited). The centre always keeps an active exams officer.

    ``manager`` is the exams officer making the change (None when the board does it). A new exams officer is
    announced to the head of centre. The role counts from the member's next request.
    """
    member = StaffMember.objects.select_for_update().select_related("centre", "user").get(pk=member.pk)
    _staff_manager_check(member=member, manager=manager)
    if role not in StaffMember.Role.values:
        raise ValidationError(STAFF_ROLE_UNKNOWN.format(role=role))
    if role == member.role:
        return
    if member.role == StaffMember.Role.EXAMS_OFFICER and _staff_officers_left(member=member) == 0:
        raise ValidationError(STAFF_LAST_OFFICER)
    before = member.role
    member.role = role
    member.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action="staff.role_change",
        subject=member.user.email,
        detail={"centre": member.centre.number, "from": before, "to": role},
    )
    if role == StaffMember.Role.EXAMS_OFFICER:
        _officer_added_announce(member=member, actor=actor)


@transaction.atomic
def staff_deactivate(*, member: StaffMember, actor: User | None, manager: StaffMember | None) -> None:
    """Deactivate a member who left the centre (audited): they cannot log in, and every session of theirs ends.

    The account is kept (the audit trail names it); an exams officer or the board can reactivate it. The centre
    always keeps an active exams officer.
    """
    member = StaffMember.objects.select_for_update().select_related("centre", "user").get(pk=member.pk)
    _staff_manager_check(member=member, manager=manager)
    if member.deactivated_at is not None:
        return
    if member.role == StaffMember.Role.EXAMS_OFFICER and _staff_officers_left(member=member) == 0:
        raise ValidationError(STAFF_LAST_OFFICER)
    member.deactivated_at = timezone.now()
    member.save(update_fields=["deactivated_at"])
    User.objects.filter(pk=member.user_id).update(is_active=False)
    sessions_end_everywhere(user=member.user)
    audit_record(
        actor=actor, action="staff.deactivate", subject=member.user.email, detail={"centre": member.centre.number}
    )


def _staff_reactivate(*, member: StaffMember, role: str, actor: User | None) -> None:
    """Reactivate a member who came back, with ``role``: they set up a new password and authenticator."""
    user = member.user
    user.is_active = True
    user.set_unusable_password()  # the old password and the old authenticator no longer count
    user.save(update_fields=["is_active", "password"])
    TOTPDevice.objects.filter(user=user).delete()
    member.deactivated_at, before, member.role = None, member.role, role
    member.save(update_fields=["deactivated_at", "role"])
    audit_record(
        actor=actor,
        action="staff.reactivate",
        subject=user.email,
        detail={"centre": member.centre.number, "from": before, "to": role},
    )
    if role == StaffMember.Role.EXAMS_OFFICER:
        _officer_added_announce(member=member, actor=actor)


@transaction.atomic
def staff_setup_link_send(
    *, member: StaffMember, actor: User | None, reason: str, manager: StaffMember | None = None
) -> None:
    """Email a staff member a new one-time set-up link (a lost phone): new password and authenticator. Audited.

    The link goes to the member's own address only; until it is used their current password and authenticator
    keep working, and once it is used the old authenticator stops. ``manager``: the exams officer sending it
    (None: the board).
    """
    _staff_manager_check(member=member, manager=manager)
    if not reason.strip():
        raise ValidationError(SETUP_LINK_REASON_REQUIRED)
    if member.deactivated_at is not None:
        raise ValidationError(STAFF_DEACTIVATED)
    audit_record(
        actor=actor,
        action="staff.setup_link",
        subject=member.user.email,
        reason=reason.strip(),
        detail={"centre": member.centre.number},
    )
    _setup_link_queue(member=member)


def staff_password_reset_request(*, email: str) -> None:
    """Queue a password-reset email for a staff account at this address; the task looks the account up.

    The request does the same work for any address, so neither the answer nor its timing tells which are staff.
    """
    address = email.strip().lower()
    from .tasks import staff_password_reset_email

    transaction.on_commit(lambda: staff_password_reset_email.delay(email=address), robust=True)


def staff_password_locks_lift(*, user: User) -> None:
    """Lift the login lockout of a staff member whose password has just been reset from their mailbox."""
    guard_reset(kind="password", identifier=user.email)


def staff_setup_path(*, user: User) -> str:
    """Return the path of a staff member's one-time set-up page."""
    return reverse(
        "centres:staff_setup",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": staff_setup_tokens.make_token(user)},
    )


@transaction.atomic
def staff_setup_complete(*, user: User, device: TOTPDevice, password: str) -> None:
    """Finish a staff member's set-up: confirm the paired authenticator and set the password."""
    staff_setup_finish(user=user, device=device, password=password, action="staff.setup")


@transaction.atomic
def entry_import_create(*, centre: Centre, user: User, filename: str, text: str) -> EntryImport:
    """Record an uploaded entries file and queue its import (checked and written by a background task)."""
    from .tasks import entry_import_start

    job = EntryImport.objects.create(centre=centre, uploaded_by=user, filename=filename[:200], source=text)
    audit_record(actor=user, action="entries.import", subject=centre.number, detail={"file": filename})
    entry_import_start(job=job)
    return job


UNIT_NOT_IN_QUALIFICATION = _("{unit} is not a unit of {qualification}.")
NOT_UNITISED = _("{exam} is not a unitised qualification: it has no unit or certification entries.")
# Decided by the date alone, never by whether a unit has a result: before the restricted release the answer must
# not tell whether an embargoed result exists (docs/domain.md §8.1).
UNIT_WITHDRAWAL_CLOSED = _(
    "Unit {unit} can no longer be withdrawn: withdrawals from the {series} series closed on {date}, the day "
    "before the exam. Contact the board if it must be withdrawn."
)
CASH_IN_UNITS_MISSING = _(
    "A certification entry for {qualification} needs entries for every mandatory unit ({mandatory}) and {optional} "
    "optional unit(s) from {choices}. Missing: {missing}."
)
CASH_IN_CLOSED = _("Late certification requests for the {series} series closed on {date}.")
CASH_IN_EXISTS = _("{candidate_id} already has a certification entry in this series.")


def unit_withdrawal_last_day(*, series: ExamSession) -> dt.date:
    """Return the last day a unit can be withdrawn from a series: the day before its exam date (§8.1)."""
    return series.date - dt.timedelta(days=1)


@transaction.atomic
def unit_entries_set(
    *, entry: Entry, unit_codes: Iterable[str], actor: User | None, now: dt.datetime | None = None
) -> list[UnitEntry]:
    """Make the entry's unit entries for its series exactly ``unit_codes``.

    A unit is added at any time; one is withdrawn only until ``unit_withdrawal_last_day``, whether or not it has
    a result (docs/domain.md §8.1).
    """
    exam = entry.session.exam
    if exam.family != Exam.Family.UNITISED:
        raise ValidationError(NOT_UNITISED.format(exam=exam.name))
    units = {u.code: u for u in exam.components.all()}
    wanted = {code.strip().upper() for code in unit_codes if code.strip()}
    unknown = sorted(wanted - set(units))
    if unknown:
        raise ValidationError(UNIT_NOT_IN_QUALIFICATION.format(unit=", ".join(unknown), qualification=exam.name))
    current = {u.unit.code: u for u in UnitEntry.objects.filter(entry=entry).select_related("unit")}
    dropped = sorted(set(current) - wanted)
    last_day = unit_withdrawal_last_day(series=entry.session)
    if dropped and timezone.localtime(now or timezone.now()).date() > last_day:
        raise ValidationError(
            UNIT_WITHDRAWAL_CLOSED.format(
                unit=", ".join(dropped),
                series=series_name(entry.session),
                date=date_format(last_day, "DATE_FORMAT"),
            )
        )
    UnitEntry.objects.filter(entry=entry, unit__code__in=dropped).delete()
    UnitEntry.objects.bulk_create([UnitEntry(entry=entry, unit=units[code]) for code in sorted(wanted - set(current))])
    audit_record(
        actor=actor,
        action="entry.units",
        subject=entry.candidate_id,
        detail={"units": sorted(wanted), "dropped": dropped},
    )
    return list(UnitEntry.objects.filter(entry=entry).select_related("unit"))


def certification_rules_check(*, entry: Entry) -> None:
    """Raise ValidationError unless the student's unit entries (any series so far) allow a certification entry."""
    exam = entry.session.exam
    if exam.family != Exam.Family.UNITISED:
        raise ValidationError(NOT_UNITISED.format(exam=exam.name))
    units = list(exam.components.order_by("order"))
    entered = set(
        UnitEntry.objects.filter(
            entry__person=entry.person, entry__session__exam=exam, entry__session__date__lte=entry.session.date
        ).values_list("unit__code", flat=True)
    )
    mandatory = [u.code for u in units if u.mandatory]
    optional = [u.code for u in units if not u.mandatory]
    missing = [code for code in mandatory if code not in entered]
    short = exam.optional_units_required - len([code for code in optional if code in entered])
    if missing or short > 0:
        missing_text = ", ".join(missing + ([f"{short} optional unit(s)"] if short > 0 else []))
        raise ValidationError(
            CASH_IN_UNITS_MISSING.format(
                qualification=exam.name,
                mandatory=", ".join(mandatory) or "none",
                optional=exam.optional_units_required,
                choices=", ".join(optional) or "none",
                missing=missing_text,
            )
        )


LATE_CASH_IN_REASON = "Late certification entry: the qualification result is worked out."


@transaction.atomic
def certification_entry_create(
    *, entry: Entry, actor: User | None, now: dt.datetime | None = None
) -> CertificationEntry:
    """Make a certification entry ('cash-in') so the student gets a qualification result in this series.

    Free and without late fee. After the series' results are out it is a late certification request,
    accepted until the series' closing date (inclusive).
    """
    moment = now or timezone.now()
    session = entry.session
    certification_rules_check(entry=entry)
    if CertificationEntry.objects.filter(entry=entry).exists():
        raise ValidationError(CASH_IN_EXISTS.format(candidate_id=entry.candidate_id))
    results_out = session.centre_release_at or session.window_start
    closing = session.certification_closing_date
    if closing is not None and timezone.localtime(moment).date() > closing:
        raise ValidationError(CASH_IN_CLOSED.format(series=series_name(session), date=date_format(closing)))
    cash_in = CertificationEntry.objects.create(entry=entry, late=moment >= results_out, requested_by=actor)
    audit_record(actor=actor, action="entry.certification", subject=entry.candidate_id, detail={"late": cash_in.late})
    certification_entry_made.send(
        sender=CertificationEntry, entry=entry, actor=actor, now=moment, reason=LATE_CASH_IN_REASON
    )
    return cash_in
