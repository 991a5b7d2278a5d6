"""Reads of centres, candidates and entries."""

from django.db.models import Q, QuerySet

from .models import Entry, name_fold
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


def entry_search(query: str, *, prefix: str = "") -> Q:
    """Return the condition of the entries whose Candidate ID is ``query``, or whose candidate's name has every
    word of it; ``prefix`` reaches the entry from another model (``"entry__"`` from a result).

    Words match in any order and anywhere in the first or last name, with case, accents and spacing ignored
    ("hughes amelia", "Zoe" for "Zoë"): the query is folded as the names are (``search_name``, stored on the
    candidate), so the database compares plain text and no name is folded per search.
    """
    words = name_fold(query.replace(",", " ")).split()
    if not words:
        return Q()
    by_name = Q()
    for word in words:
        by_name &= Q(**{f"{prefix}person__search_name__contains": word})
    return Q(**{f"{prefix}candidate_id__iexact": query.strip()}) | by_name


def entries_matching_search(entries: QuerySet[Entry], *, query: str) -> QuerySet[Entry]:
    """Return the entries that the centre's search for ``query`` finds (``entry_search``)."""
    return entries.filter(entry_search(query))
