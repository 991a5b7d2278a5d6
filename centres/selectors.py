"""Reads of centres, candidates and entries."""

from django.db.models import QuerySet

from .models import Entry
from .services import secret_number_matches

_DUMMY_SECRET_HASH = "hmac_sha256$0000000000000000$" + "0" * 64


def entry_by_candidate_id(*, candidate_id: str) -> Entry | None:
    """Return the entry with this Candidate ID (normalised: stripped, upper-case), or None."""
    return (
        Entry.objects.select_related("person", "session__exam", "centre")
        .filter(candidate_id=candidate_id.strip().upper())
        .first()
    )


def entry_matching_secret(*, candidate_id: str, secret_number: str) -> Entry | None:
    """Return the entry whose Candidate ID and secret number both match, else None (never say which failed)."""
    entry = entry_by_candidate_id(candidate_id=candidate_id)
    # An unknown ID is checked against a dummy hash, so both answers cost the same work.
    secret_hash = entry.secret_hash if entry is not None else _DUMMY_SECRET_HASH
    matches = secret_number_matches(secret_number=secret_number.strip(), secret_hash=secret_hash)
    if entry is None or entry.status == Entry.Status.WITHDRAWN or not matches:
        return None
    return entry


def entries_with_details() -> QuerySet[Entry]:
    """Return entries with what every listing shows (person, session, exam, centre) joined in one query."""
    return Entry.objects.select_related("person", "session__exam", "centre")
