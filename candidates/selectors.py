"""Reads for candidate accounts."""

from django.db.models import QuerySet

from centres.models import Entry
from centres.selectors import entries_with_details

from .models import CandidateAccount


def account_entries(*, account: CandidateAccount) -> QuerySet[Entry]:
    """Return the entries an account holds, newest session first, with their details in one query."""
    return entries_with_details().filter(account_link__account=account).order_by("-session__date", "candidate_id")
