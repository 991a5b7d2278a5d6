"""Housekeeping of the brute-force guard, and the emails about an account's two-step verification."""

from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .guard import guard_prune
from .models import User

RETRY: dict[str, Any] = {"autoretry_for": (OSError,), "retry_backoff": 30, "retry_kwargs": {"max_retries": 5}}

# What each email about two-step verification says happened (accounts.two_step.Event), subject and sentence.
TWO_STEP_NOTICES = {
    "two_step.totp_on": (
        _("An authenticator app was set up for your account"),
        _("An authenticator app was set up for two-step verification of your account."),
    ),
    "two_step.passkey_added": (
        _("A passkey was added to your account"),
        _("A passkey named “%(name)s” was added for two-step verification of your account."),
    ),
    "two_step.factor_removed": (
        _("A second factor was removed from your account"),
        _("“%(name)s” was removed from the two-step verification of your account."),
    ),
    "two_step.off": (
        _("Two-step verification was turned off for your account"),
        _("Two-step verification was turned off for your account: logging in now needs the password alone."),
    ),
    "two_step.recovery_codes_new": (
        _("New recovery codes for your account"),
        _("New recovery codes were made for your account. The earlier ones no longer work."),
    ),
    "two_step.recovery_code_used": (
        _("A recovery code was used to log in to your account"),
        _("A recovery code was used to log in to your account. Unused recovery codes left: %(left)s."),
    ),
    "two_step.removed_by_board": (
        _("Two-step verification was removed from your account"),
        _(
            "At your request, our staff removed two-step verification from your account: logging in now needs the "
            "password alone. Turn it on again from your account's security page."
        ),
    ),
}


@shared_task
def guard_prune_old() -> tuple[int, int]:
    """Delete failure records and quiet lock rows past their retention (they hold IP addresses)."""
    return guard_prune()


@shared_task(**RETRY)
def two_step_notice_send(*, user_id: int, event: str, detail: dict[str, Any], language: str) -> None:
    """Email the account's holder that its two-step verification changed (in the account's language)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email or event not in TWO_STEP_NOTICES:
        return
    subject_text, sentence = TWO_STEP_NOTICES[event]
    with translation.override(language):
        context = {
            "site_url": settings.SITE_URL,
            "email": user.email,
            "what": str(sentence) % {"name": detail.get("name", ""), "left": detail.get("left", "")},
        }
        subject = str(subject_text)
        text = render_to_string("accounts/email/two_step_notice.txt", context)
        html = render_to_string("accounts/email/two_step_notice.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[user.email])
    message.attach_alternative(html, "text/html")
    message.send()


@shared_task(**RETRY)
def board_setup_send(*, user_id: int) -> None:
    """Email a board staff member their one-time set-up link (password and authenticator)."""
    from .services import board_setup_path

    user = User.objects.get(pk=user_id)
    link = settings.SITE_URL + board_setup_path(user=user)
    body = (
        "You have a board staff account on the Results Portal.\n\n"
        f"Set it up (choose a password and pair an authenticator app) with this one-time link:\n{link}\n\n"
        "The link works until the set-up is finished. If you did not expect this, tell the board's results team."
    )
    EmailMultiAlternatives(
        subject="Set up your board staff account", body=body, to=[user.email], from_email=settings.DEFAULT_FROM_EMAIL
    ).send()
