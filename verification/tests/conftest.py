"""Fixtures for the verification tests: entries in each state of their result, organisations."""

import datetime as dt
import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from centres.tests.factories import EntryFactory, ExamSessionFactory
from exams.models import Exam
from results.models import ComponentScore, Result
from results.tests.factories import account_for, result_for, unitised_qualification
from verification.credentials import credential_build, credential_sign
from verification.models import VerifierOrganisation
from verification.status_lists import credential_status_allocate

PASSWORD = "lantern-orchard-5521"


def session_with_window(*, opened_days_ago: int, length_days: int = 14, **kwargs: Any) -> Any:
    """Return an FCE session whose release window opened ``opened_days_ago`` days ago (negative: in the future)."""
    now = timezone.now()
    start = now - dt.timedelta(days=opened_days_ago)
    return ExamSessionFactory(
        date=(start - dt.timedelta(days=35)).date(),
        window_start=start,
        window_end=start + dt.timedelta(days=length_days),
        **kwargs,
    )


def released_entry(**kwargs: Any) -> Any:
    """Return an entry whose result was released an hour ago (window open)."""
    entry = EntryFactory(session=session_with_window(opened_days_ago=2), **kwargs)
    result_for(entry, released_at=timezone.now() - dt.timedelta(hours=1))
    return entry


def released_unitised_entry(**kwargs: Any) -> Any:
    """Return an entry of a unitised qualification whose result (Merit, 206 UMS) was released an hour ago.

    Three units: F240 (45 raw, 78 UMS), F241 (8 raw, 62 UMS) and the optional F242 (40 raw, 66 UMS).
    """
    exam = unitised_qualification()
    entry = EntryFactory(session=session_with_window(opened_days_ago=2, exam=exam), **kwargs)
    marks = {"F240": (45, 78, "merit"), "F241": (8, 62, "merit"), "F242": (40, 66, "merit")}
    result = result_for(
        entry,
        released_at=timezone.now() - dt.timedelta(hours=1),
        scores={unit: raw for unit, (raw, _ums, _grade) in marks.items()},
        grade="Merit",
        overall=206,
        cefr="",
    )
    for unit, (_raw, ums, grade) in marks.items():
        ComponentScore.objects.filter(result=result, component__code=unit).update(ums=ums, unit_grade=grade)
    return entry


def released_key_entry(**kwargs: Any) -> Any:
    """Return an A2 Key entry (one Reading and Writing paper) whose result, Grade A at B1, was released an hour ago."""
    entry = EntryFactory(session=session_with_window(opened_days_ago=2, exam=Exam.objects.get(code="KET")), **kwargs)
    result_for(
        entry,
        released_at=timezone.now() - dt.timedelta(hours=1),
        scores={"reading_and_writing": 139, "listening": 140, "speaking": 140},
        grade="Grade A",
        overall=140,
        cefr="B1",
    )
    return entry


def credential_download(client: Client, entry: Any) -> dict[str, Any]:
    """Return the credential of ``entry`` downloaded as its candidate downloads it (logged in, from the share page)."""
    client.force_login(account_for(entry).user)
    response = client.get(f"/results/{entry.public_id}/share/credential.json")
    assert response.status_code == 200
    downloaded: dict[str, Any] = json.loads(response.content)
    return downloaded


def old_form_credential(result: Result) -> dict[str, Any]:
    """Return the credential of ``result`` as the portal issued it until 2026-12-06, signed by the board.

    Its ``credentialStatus`` is a list of two one-bit entries naming one index in the revocation and suspension
    lists (written out here, not made by the code under test); the rest is today's credential.
    """
    place = credential_status_allocate(result=result)
    entries = []
    for purpose in ("revocation", "suspension"):
        url = f"{settings.SITE_URL}/credentials/status/{purpose}/{place.list_number}"
        entries.append(
            {
                "id": f"{url}#{place.index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(place.index),
                "statusListCredential": url,
            }
        )
    return credential_sign({**credential_build(result=result), "credentialStatus": entries})


def pending_entry(**kwargs: Any) -> Any:
    """Return an entry without a result whose window closed yesterday: Q, pending."""
    return EntryFactory(session=session_with_window(opened_days_ago=15), **kwargs)


def unreleased_entry(**kwargs: Any) -> Any:
    """Return an entry whose result is ready but embargoed until tomorrow (window not open)."""
    entry = EntryFactory(session=session_with_window(opened_days_ago=-1), **kwargs)
    result_for(entry, released_at=timezone.now() + dt.timedelta(days=1), status=Result.Status.READY)
    return entry


def organisation(
    *, name: str = "University of Testing", allowance: int = 10, confirmed: bool = True, vetted: bool = True
) -> Any:
    """Return an organisation; by default one the board has vetted, so its own allowance applies."""
    from accounts.tests.factories import UserFactory

    email = f"{name.lower().replace(' ', '-')}@example.edu"
    user = UserFactory(username=f"verifier-{email}", email=email)
    user.set_password(PASSWORD)
    user.save()
    return VerifierOrganisation.objects.create(
        user=user,
        name=name,
        country="Spain",
        email=email,
        allowance=allowance,
        email_confirmed_at=timezone.now() if confirmed else None,
        verified_at=timezone.now() if vetted else None,
    )


@pytest.fixture
def org_client(client: Client, db: None) -> Client:
    """A client logged in as a confirmed verifier organisation (``client.organisation``)."""
    org = organisation()
    client.force_login(org.user)
    client.organisation = org  # type: ignore[attr-defined]
    return client
