"""Account emails (confirmation, password reset, email change), sent by Celery after the transaction commits.

Tasks take IDs and re-read the user, so a stale or deleted account sends nothing.
"""

from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User

RETRY: dict[str, Any] = {"autoretry_for": (OSError,), "retry_backoff": 30, "retry_kwargs": {"max_retries": 5}}


def _send(*, template: str, to: str, context: dict[str, Any], language: str) -> None:
    with translation.override(language):
        context = {"site_url": settings.SITE_URL, **context}
        subject = render_to_string(f"candidates/email/{template}_subject.txt", context).strip()
        text = render_to_string(f"candidates/email/{template}.txt", context)
        html = render_to_string(f"candidates/email/{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()


@shared_task(**RETRY)
def email_confirmation_send(*, user_id: int, language: str) -> None:
    """Email the link that confirms a new account's address."""
    from .services import email_confirmation_token

    user = User.objects.filter(pk=user_id, candidate_account__email_confirmed_at__isnull=True).first()
    if user is None:
        return
    path = reverse("candidates:confirm_email", kwargs={"token": email_confirmation_token(user=user)})
    _send(template="confirm_email", to=user.email, context={"link": settings.SITE_URL + path}, language=language)


@shared_task(**RETRY)
def password_reset_send(*, candidate_id: str, language: str) -> None:
    """Email a single-use, expiring password-reset link (never the password itself) to the account of this ID.

    Nothing happens for an ID no confirmed, active account holds (the request looked the same).
    """
    from .services import account_for_candidate_id

    account = account_for_candidate_id(candidate_id=candidate_id)
    if account is None or not account.is_confirmed or not account.user.is_active:
        return
    user = account.user
    path = reverse(
        "candidates:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    _send(
        template="password_reset",
        to=user.email,
        context={"link": settings.SITE_URL + path, "hours": hours},
        language=language,
    )


@shared_task(**RETRY)
def email_change_send(*, user_id: int, token: str, language: str) -> None:
    """Email the link that confirms a new address to that new address, and a notice to the old one."""
    from django.core import signing

    from .services import CHANGE_EMAIL_SALT

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    data = signing.loads(token, salt=CHANGE_EMAIL_SALT)
    path = reverse("candidates:email_change_confirm", kwargs={"token": token})
    _send(template="email_change", to=data["n"], context={"link": settings.SITE_URL + path}, language=language)
    if user.email:
        _send(template="email_change_notice", to=user.email, context={"new_email": data["n"]}, language=language)


@shared_task(**RETRY)
def entry_linked_send(*, account_id: int, entry_id: int, language: str) -> None:
    """Tell the account holder, and the address the centre recorded for the entry if another, of a new link."""
    from centres.models import Entry

    from .models import CandidateAccount

    account = CandidateAccount.objects.select_related("user").filter(pk=account_id).first()
    entry = Entry.objects.select_related("person", "session__exam").filter(pk=entry_id).first()
    if account is None or entry is None:
        return
    context = {"candidate_id": entry.candidate_id, "exam": entry.session.exam.name, "date": entry.session.date}
    recipients = [account.user.email]
    if entry.person.email and entry.person.email.casefold() != account.user.email.casefold():
        recipients.append(entry.person.email)
    for address in recipients:
        if address:
            _send(template="entry_linked", to=address, context=context, language=language)


@shared_task(**RETRY)
def entry_detached_send(*, account_id: int, entry_id: int, language: str) -> None:
    """Tell the account holder that the exam centre took an entry out of their account."""
    from centres.models import Entry

    from .models import CandidateAccount

    account = CandidateAccount.objects.select_related("user").filter(pk=account_id).first()
    entry = Entry.objects.select_related("session__exam", "centre").filter(pk=entry_id).first()
    if account is None or entry is None or not account.user.email:
        return
    context = {"candidate_id": entry.candidate_id, "exam": entry.session.exam.name, "centre": entry.centre.name}
    _send(template="entry_detached", to=account.user.email, context=context, language=language)
