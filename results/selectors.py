"""Reads of results. Every read of a result for display goes through here: embargo and ownership."""

import datetime as dt
from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from centres.models import Entry

from .models import ComponentScore, Result


def results_released(*, now: dt.datetime | None = None) -> QuerySet[Result]:
    """Return results whose release instant has passed (the embargo), with their component scores."""
    moment = now or timezone.now()
    return (
        Result.objects.filter(status=Result.Status.RELEASED, released_at__lte=moment)
        .select_related("entry__session__exam")
        .prefetch_related(Prefetch("component_scores", queryset=ComponentScore.objects.select_related("component")))
    )


def results_released_for_entries(*, entries: Iterable[Entry], now: dt.datetime | None = None) -> dict[int, Result]:
    """Return the released results of these entries (already scoped to the viewer), keyed by entry id."""
    return {r.entry_id: r for r in results_released(now=now).filter(entry__in=[e.pk for e in entries])}
