"""Reads for candidate accounts."""

from django.db.models import Exists, OuterRef, QuerySet

from centres.models import Entry
from centres.selectors import entries_with_details

from .models import CandidateAccount, LinkedEntry


def account_entries(*, account: CandidateAccount) -> QuerySet[Entry]:
    """Return the entries an account holds, newest session first, with their details in one query."""
    return entries_with_details().filter(account_link__account=account).order_by("-session__date", "candidate_id")


def entries_with_registered(entries: QuerySet[Entry]) -> QuerySet[Entry]:
    """Annotate each entry with ``registered``: whether a Results Online account holds it (one subquery)."""
    return entries.annotate(registered=Exists(LinkedEntry.objects.filter(entry_id=OuterRef("pk"))))
