"""Writes shared by every app: the audit trail, and lifting a lock."""

from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .guard import guard_reset
from .models import AuditEvent, User


def audit_record(
    *, actor: User | None, action: str, subject: str = "", reason: str = "", detail: dict[str, Any] | None = None
) -> AuditEvent:
    """Record who did what to whom and why (docs/domain.md §12: every staff action on a person's data)."""
    return AuditEvent.objects.create(actor=actor, action=action, subject=subject, reason=reason, detail=detail or {})


LOCK_LIFT_REASON_REQUIRED = "Say why the lock is lifted: it is recorded in the audit trail."


def lock_lift(*, kind: str, identifier: str, actor: User | None, reason: str) -> None:
    """Lift an identifier's lock and forget its failures, on the word of its centre or the board (audited).

    For the owner locked out by someone else's guesses; the doubling starts again from the first lock.
    """
    if not reason.strip():
        raise ValidationError(LOCK_LIFT_REASON_REQUIRED)
    guard_reset(kind=kind, identifier=identifier)
    audit_record(actor=actor, action="lock.lift", subject=identifier, reason=reason.strip(), detail={"kind": kind})


# --- Board staff: invited by a set-up link, like centre staff (README "Board staff") -------------------------
class BoardSetupTokenGenerator(PasswordResetTokenGenerator):
    """Single-use link to set up a board staff account: it dies once the password is set."""

    key_salt = "accounts.services.BoardSetupTokenGenerator"


board_setup_tokens = BoardSetupTokenGenerator()
BOARD_EMAIL_TAKEN = "An account with this email address exists already: send it a new set-up link instead."


def board_setup_path(*, user: User) -> str:
    """Return the path of a board staff member's one-time set-up page (password and authenticator)."""
    return reverse(
        "admin:accounts_board_setup",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": board_setup_tokens.make_token(user)},
    )


@transaction.atomic
def board_staff_invite(*, email: str, actor: User, superuser: bool, group_ids: list[int]) -> User:
    """Create a board staff account without a password or authenticator and audit it; the caller sends the link."""
    from django.contrib.auth.models import Group

    address = email.strip().lower()
    if User.objects.filter(username__iexact=address).exists() or User.objects.filter(email__iexact=address).exists():
        raise ValidationError(BOARD_EMAIL_TAKEN)
    user = User(username=address, email=address, is_staff=True, is_superuser=superuser and actor.is_superuser)
    user.set_unusable_password()
    user.save()
    user.groups.set(Group.objects.filter(pk__in=group_ids))
    audit_record(
        actor=actor,
        action="board_staff.invite",
        subject=address,
        detail={"superuser": user.is_superuser, "groups": sorted(group_ids)},
    )
    return user


def board_setup_link_renew(*, user: User, actor: User, reason: str) -> None:
    """Let a board user set up again (lost phone): their authenticators go, the old link and password stop working."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not reason.strip():
        raise ValidationError(LOCK_LIFT_REASON_REQUIRED.replace("the lock is lifted", "a new set-up link is sent"))
    TOTPDevice.objects.filter(user=user).delete()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    audit_record(actor=actor, action="board_staff.setup_link", subject=user.email, reason=reason.strip())


def staff_setup_check(*, form: Any, user: User, device: Any, wrong_code: str) -> bool:
    """Check a set-up form's new password (the validators) and the authenticator's code, adding any error to it.

    Shared by the centre staff and the board staff set-up pages (``password`` and ``otp_token`` fields).
    """
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(form.cleaned_data["password"], user)
    except ValidationError as error:
        form.add_error("password", error)
        return False
    if not device.verify_token(form.cleaned_data["otp_token"].strip()):
        form.add_error("otp_token", wrong_code)
        return False
    return True


@transaction.atomic
def staff_setup_finish(*, user: User, device: Any, password: str, action: str) -> None:
    """Finish a staff set-up: confirm the paired authenticator (replacing any other), set the password, audit."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=user, action=action, subject=user.email)
