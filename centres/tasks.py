"""Background work of the centre area: entry imports with progress, and purging issued secret numbers."""

import dataclasses
import datetime as dt
import json
import logging
import uuid
from typing import Any

from celery import shared_task
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.sealing import seal, unseal

from .imports import ImportRejected, IssuedEntry, entries_import
from .models import EntryImport

logger = logging.getLogger(__name__)

ISSUED_KEPT_HOURS = 24
PROGRESS_TTL_SECONDS = 3600


def progress_key(import_id: int) -> str:
    return f"entry-import-progress:{import_id}"


def issued_seal(issued: list[IssuedEntry]) -> str:
    """Return issued entries (with their secret numbers) encrypted for storage until they are downloaded."""
    return seal(json.dumps(_issued_to_json(issued)).encode())


def issued_unseal(sealed: str) -> list[IssuedEntry]:
    """Return the issued entries stored by ``issued_seal``."""
    return _issued_from_json(json.loads(unseal(sealed)))


def _issued_to_json(issued: list[IssuedEntry]) -> list[dict[str, Any]]:
    return [
        {
            k: (v.isoformat() if isinstance(v, dt.date) else str(v) if isinstance(v, uuid.UUID) else v)
            for k, v in row.items()
        }
        for row in (dataclasses.asdict(entry) for entry in issued)
    ]


def _issued_from_json(rows: list[dict[str, Any]]) -> list[IssuedEntry]:
    return [
        IssuedEntry(
            **{
                **row,
                "session_date": dt.date.fromisoformat(row["session_date"]),
                "results_by": dt.date.fromisoformat(row["results_by"]),
                "public_id": uuid.UUID(row["public_id"]),
            }
        )
        for row in rows
    ]


@shared_task(acks_late=True)
def entry_import_run(*, import_id: int) -> None:
    """Import an uploaded entries file; progress goes to the cache (the import itself is one transaction)."""
    claimed = EntryImport.objects.filter(pk=import_id, status=EntryImport.Status.QUEUED).update(
        status=EntryImport.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return  # already run (a redelivered task): never import the same file twice
    job = EntryImport.objects.select_related("centre").get(pk=import_id)

    def progress(done: int, total: int) -> None:
        cache.set(progress_key(import_id), (done, total), PROGRESS_TTL_SECONDS)

    try:
        issued = entries_import(text=job.source, only_centre=job.centre, progress=progress)
    except ImportRejected as rejected:
        job.status = EntryImport.Status.REJECTED
        job.errors = [str(error) for error in rejected.errors]
        job.errors_more = rejected.more
    except Exception:
        logger.exception("entry import %s failed", import_id)
        job.status = EntryImport.Status.FAILED
        job.errors = ["The import failed unexpectedly. Nothing was imported; try again or contact the board."]
    else:
        job.status = EntryImport.Status.DONE
        job.issued_sealed = issued_seal(issued)
        job.issued_count = len(issued)
        job.total = job.done = len(issued)
    job.source = ""
    job.finished_at = timezone.now()
    job.save()
    cache.delete(progress_key(import_id))


def entry_import_start(*, job: EntryImport) -> None:
    """Queue an import to run once the row describing it is committed."""
    transaction.on_commit(lambda: entry_import_run.delay(import_id=job.pk))


@shared_task
def entry_imports_purge() -> int:
    """Forget the secret numbers of imports finished more than ``ISSUED_KEPT_HOURS`` ago; return how many."""
    cutoff = timezone.now() - dt.timedelta(hours=ISSUED_KEPT_HOURS)
    return EntryImport.objects.filter(finished_at__lt=cutoff, issued_purged_at__isnull=True).update(
        issued_sealed="", issued_purged_at=timezone.now()
    )


def _staff_email(*, template: str, to: str, context: dict[str, Any]) -> None:
    """Send a staff email in the portal's language (staff pages are English-first, like the admin)."""
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        context = {"site_url": settings.SITE_URL, **context}
        subject = render_to_string(f"centres/email/{template}_subject.txt", context).strip()
        text = render_to_string(f"centres/email/{template}.txt", context)
    EmailMultiAlternatives(subject=subject, body=text, to=[to]).send()


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_kwargs={"max_retries": 5})
def staff_setup_link_email(*, user_id: int, invited_by: str = "") -> None:
    """Email a staff member their one-time set-up link (password and authenticator): an exams officer's
    invitation (``invited_by``: the officer's address) or a new link for a lost phone."""
    from django.conf import settings

    from .models import StaffMember
    from .services import staff_setup_path

    member = (
        StaffMember.objects.select_related("user", "centre")
        .filter(user_id=user_id, user__is_active=True, deactivated_at__isnull=True)
        .first()
    )
    if member is None or not member.user.email:
        return
    context = {
        "link": settings.SITE_URL + staff_setup_path(user=member.user),
        "centre": member.centre,
        "role": member.get_role_display(),
        "invited_by": invited_by,
    }
    _staff_email(template="staff_invite" if invited_by else "staff_setup_link", to=member.user.email, context=context)


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_kwargs={"max_retries": 5})
def staff_officer_added_email(*, member_id: int, actor_email: str) -> None:
    """Tell a centre's head of centre (or, with none, its contact address) that it has a new exams officer."""
    from .models import StaffMember

    member = StaffMember.objects.select_related("user", "centre").filter(pk=member_id).first()
    if member is None:
        return
    heads = list(
        StaffMember.objects.filter(
            centre_id=member.centre_id,
            role=StaffMember.Role.HEAD_OF_CENTRE,
            deactivated_at__isnull=True,
            user__is_active=True,
        )
        .exclude(pk=member.pk)
        .values_list("user__email", flat=True)
    )
    recipients = [address for address in heads if address] or ([member.centre.email] if member.centre.email else [])
    context = {"officer": member.user.email, "centre": member.centre, "actor": actor_email}
    for address in recipients:
        _staff_email(template="staff_officer_added", to=address, context=context)


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_kwargs={"max_retries": 5})
def staff_password_reset_email(*, email: str) -> None:
    """Email a single-use password-reset link to the staff account at this address; nothing for any other."""
    from django.conf import settings
    from django.contrib.auth.tokens import default_token_generator
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from accounts.models import User

    user = User.objects.filter(username=email, is_active=True, centre_staff__isnull=False).first()
    if user is None or not user.has_usable_password():
        return
    path = reverse(
        "centres:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {"link": settings.SITE_URL + path, "hours": settings.PASSWORD_RESET_TIMEOUT // 3600}
    _staff_email(template="staff_password_reset", to=user.email, context=context)
