"""Background work of verification: bulk checks with progress, purging their results, organisation emails.

Tasks take IDs, are queued after commit, and re-read their rows, so a task delivered twice does nothing the
second time. The emails telling organisations of their deliveries are not sent here: they go through the
portal's email outbox (``results.emails``).
"""

import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

logger = logging.getLogger(__name__)

RETRY: dict[str, Any] = {"autoretry_for": (OSError,), "retry_backoff": 30, "retry_kwargs": {"max_retries": 5}}
PROGRESS_TTL_SECONDS = 3600


def progress_key(job_id: int) -> str:
    return f"verification-bulk-progress:{job_id}"


@shared_task(acks_late=True)
def bulk_verification_run(*, job_id: int) -> None:
    """Check the rows of a queued bulk verification; progress goes to the cache for the live progress bar."""
    from . import services

    def progress(done: int, total: int) -> None:
        cache.set(progress_key(job_id), (done, total), PROGRESS_TTL_SECONDS)

    try:
        services.bulk_verification_run(job_id=job_id, progress=progress)
    except Exception:
        logger.exception("bulk verification %s failed", job_id)
        services.bulk_verification_fail(job_id=job_id)
    finally:
        cache.delete(progress_key(job_id))


@shared_task
def bulk_verifications_purge() -> int:
    """Delete the results of bulk checks older than ``VERIFICATION_BULK_KEPT_DAYS``; return how many.

    Also marks checks whose worker died as failed. Beat runs it hourly.
    """
    from . import services

    services.bulk_verifications_fail_stale()
    return services.bulk_verifications_purge()


def _send(*, template: str, to: str, context: dict[str, Any], language: str) -> None:
    with translation.override(language):
        context = {"site_url": settings.SITE_URL, **context}
        subject = render_to_string(f"verification/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"verification/email/{template}.txt", context)
    send_mail(subject=subject, message=body, from_email=None, recipient_list=[to])


@shared_task(**RETRY)
def organisation_confirmation_send(*, organisation_id: int, language: str) -> None:
    """Email the link that confirms a verifier organisation's address."""
    from .models import VerifierOrganisation
    from .services import organisation_confirmation_token

    organisation = VerifierOrganisation.objects.filter(pk=organisation_id, email_confirmed_at__isnull=True).first()
    if organisation is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse(
            "verification:organisation_confirm",
            kwargs={"token": organisation_confirmation_token(organisation=organisation)},
        )
    context = {"link": settings.SITE_URL + path, "organisation": organisation.name}
    _send(template="organisation_confirm", to=organisation.email, context=context, language=language)


@shared_task(**RETRY)
def organisation_exists_notice_send(*, organisation_id: int, language: str) -> None:
    """Tell the owner of a registered address that someone tried to register it again."""
    from .models import VerifierOrganisation

    organisation = VerifierOrganisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("verification:organisation_login")
    context = {"link": settings.SITE_URL + path, "organisation": organisation.name}
    _send(template="organisation_exists", to=organisation.email, context=context, language=language)


@shared_task(**RETRY)
def organisation_password_reset_send(*, email: str, language: str) -> None:
    """Email a confirmed organisation at this address a single-use, expiring link to choose a new password.

    Nothing happens for an address no confirmed, active organisation uses (the request looked the same).
    """
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from .models import VerifierOrganisation

    organisation = (
        VerifierOrganisation.objects.select_related("user")
        .filter(email=email, email_confirmed_at__isnull=False, user__is_active=True)
        .first()
    )
    if organisation is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse(
            "verification:organisation_password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(organisation.user_id)),
                "token": default_token_generator.make_token(organisation.user),
            },
        )
    context = {
        "link": settings.SITE_URL + path,
        "organisation": organisation.name,
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    _send(template="organisation_password_reset", to=organisation.email, context=context, language=language)


# --- Deliveries: webhooks and emails to organisations (verification.deliveries, verification.webhooks) -------
@shared_task(acks_late=True)
def webhook_endpoint_flush_task(*, endpoint_id: int) -> None:
    """Send an endpoint's pending webhook messages in order, until one fails or none is due.

    A failed message waits for its retry; the beat job ``webhooks_flush_due`` (every minute) flushes the endpoint
    again once it is due, so no task waits in the queue for hours. A flush that stopped at its batch size with
    more messages due queues the next one at once, behind the other endpoints' flushes.
    """
    from .webhooks import webhook_endpoint_flush

    if webhook_endpoint_flush(endpoint_id=endpoint_id).more:
        webhook_endpoint_flush_task.delay(endpoint_id=endpoint_id)


@shared_task
def webhooks_flush_due() -> int:
    """Flush every endpoint with a webhook message due (beat, every minute): what a lost task left behind."""
    from .webhooks import webhooks_due

    endpoint_ids = webhooks_due()
    for endpoint_id in endpoint_ids:
        webhook_endpoint_flush_task.delay(endpoint_id=endpoint_id)
    return len(endpoint_ids)


# The task that emailed organisations before their emails went through the portal's outbox (results.emails): a
# message the previous release queued under it still has its emails written to the outbox instead of being dropped
# as an unregistered task. It can go once no worker of that release is left.
@shared_task(acks_late=True)
def delivery_events_email(*, event_ids: list[int], language: str = "") -> None:
    """Write to the email outbox the organisation emails of these events that have none yet (``language`` unused)."""
    from .deliveries import delivery_events_email_write

    delivery_events_email_write(event_ids=event_ids)


@shared_task
def webhook_messages_purge() -> int:
    """Delete webhook outbox rows sent or failed more than ``webhooks.KEPT_DAYS`` ago (beat, daily)."""
    from .webhooks import webhook_messages_purge as purge

    return purge()


@shared_task(**RETRY)
def organisation_invite_send(*, invite_id: int, language: str) -> None:
    """Email the invitation a candidate asked for: what the portal is and where to register. No result in it."""
    from .models import OrganisationInvite

    invite = OrganisationInvite.objects.filter(pk=invite_id).first()
    if invite is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("verification:organisation_register")
    context = {"link": settings.SITE_URL + path, "organisation": invite.organisation_name}
    _send(template="organisation_invite", to=invite.email, context=context, language=language)
