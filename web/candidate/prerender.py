"""The candidates' first views drawn ahead: each statement page and dashboard, once results are ready.

At the release instant almost every request is a candidate's first view of their statement or dashboard, and
drawing a page costs several times the visibility check. So when results become ready (the ``ready`` domain
event of an import, ahead of the instant), and again after anything that changes a page (amendment, corrected
name, release again, new instant), a task draws each page as it will be at the release instant, from the same
selectors and the same code as the views, and stores it in the page cache (``results_portal.pages``) under the
key the view will make of the same data.

Nothing is shown earlier: a page drawn ahead is data at rest, like the row it was drawn from, and the view serves
it only after its own visibility check of that request (ownership, release instant, hold, withdrawal) has
produced the same key — the key is a digest of everything the page shows, so a page drawn from other data (a
result amended or held since, another candidate's) is never found. The pages are sent ``Cache-Control:
private`` (``never_cache``), so no shared HTTP cache keeps them. A hold, an amendment, a corrected name or a
release again also drops the pages drawn for those results (``pages_forget``): memory, not safety.

The task reads in bulk (a few queries per batch, whatever its size) and writes in one round trip per batch.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from candidates.models import CandidateAccount
from centres.models import Entry
from centres.selectors import entries_with_details
from results.models import Result, ResultEvent
from results.selectors import Audience, results_visible, statement_fingerprints
from results_portal.pages import (
    PAGE_CACHE_SECONDS,
    PageKey,
    page_draw,
    page_request,
    page_store,
    pages_forget,
    pages_keep,
)
from web.candidate.dashboard import dashboard_lines_bulk
from web.candidate.views.account import DASHBOARD_TEMPLATE, dashboard_key, dashboard_page
from web.candidate.views.statement import STATEMENT_TEMPLATE, _statement_context, statement_key

BATCH_SIZE = 500
# How long a page drawn ahead is kept after its release instant: the first hours of results day, when most
# candidates open their results once; later first views are drawn on request (and kept PAGE_CACHE_SECONDS).
KEPT_AFTER_RELEASE_SECONDS = 6 * 3600
# Events after which the pages are drawn again (ready: the first time), and after which the old ones are dropped.
DRAW_ON = {
    ResultEvent.Kind.READY,
    ResultEvent.Kind.AMENDED,
    ResultEvent.Kind.NAME_CORRECTED,
    ResultEvent.Kind.RELEASED_AGAIN,
    ResultEvent.Kind.RESCHEDULED,
}
# A moved release instant changes nothing a page shows (its key holds no instant): the pages drawn ahead are kept,
# and only the results without them are drawn (``pages_prerender(keep_drawn=True)``). Dropping them, as before,
# left every first view at an instant moved shortly before it to be drawn in the request.
KEEP_ON = {ResultEvent.Kind.RESCHEDULED}
FORGET_ON = DRAW_ON - {ResultEvent.Kind.READY} - KEEP_ON | {ResultEvent.Kind.HELD}


def pages_follow(*, event: str, result_ids: list[int]) -> list[list[int]]:
    """Drop the pages drawn ahead for these results if ``event`` changes them; return the batches to draw again.

    A release itself changes nothing drawn (the pages were drawn for it), nor does a revoked document, nor a
    moved instant (``KEEP_ON``: its batches keep what was drawn and draw the rest).
    """
    if event in FORGET_ON:
        pages_forget(result_ids)
    if event not in DRAW_ON:
        return []
    ids = sorted(set(result_ids))
    return [ids[start : start + BATCH_SIZE] for start in range(0, len(ids), BATCH_SIZE)]


def _languages(account: CandidateAccount) -> list[str]:
    """Return the languages an account's pages are drawn in: the site's, and the one the candidate registered in."""
    try:
        own = translation.get_supported_language_variant(account.language)
    except LookupError:
        own = settings.LANGUAGE_CODE
    return list(dict.fromkeys([settings.LANGUAGE_CODE, own]))


def pages_prerender(*, result_ids: Iterable[int], now: dt.datetime | None = None, keep_drawn: bool = False) -> int:
    """Draw the statement pages of these results and their holders' dashboards as they will be at each result's
    release instant (or now, if it has passed), and store them; return how many pages were stored.

    Results held, withdrawn or without an instant are skipped (the selectors decide, as for a request). With
    ``keep_drawn`` (after a moved instant), the pages still kept for a result are kept until its new instant's
    lifetime ends instead of being drawn again; only results with none, or with one gone, are drawn.
    """
    moment = now or timezone.now()
    instants: dict[dt.datetime, list[tuple[int, int]]] = defaultdict(list)
    waiting = Result.objects.filter(pk__in=list(result_ids)).values_list("pk", "entry_id", "released_at")
    for result_id, entry_id, released_at in waiting:
        if released_at is not None:  # held before its instant: no instant, nothing to draw
            instants[max(released_at, moment)].append((result_id, entry_id))
    stored = 0
    for instant, found in sorted(instants.items()):
        seconds = _kept_seconds(instant=instant, now=moment)
        kept = pages_keep([result_id for result_id, _ in found], seconds=seconds) if keep_drawn else set()
        entry_ids = [entry_id for result_id, entry_id in found if result_id not in kept]
        if entry_ids:
            stored += _prerender_at(entry_ids=entry_ids, instant=instant, now=moment)
    return stored


def _prerender_at(*, entry_ids: list[int], instant: dt.datetime, now: dt.datetime) -> int:
    """Draw and store the pages of these entries' holders as they will be at ``instant``."""
    fingerprints = statement_fingerprints(entry_ids=entry_ids, now=instant)
    if not fingerprints:
        return 0
    results = {
        result.entry_id: result
        for result in results_visible(audience=Audience(entry_ids=tuple(fingerprints)), now=instant)
    }
    accounts = {
        account.pk: account
        for account in CandidateAccount.objects.filter(
            links__entry_id__in=list(fingerprints), email_confirmed_at__isnull=False, user__is_active=True
        )
        .select_related("user")
        .distinct()
    }
    # Every entry of those accounts, for their dashboards: the lines the view will read at the instant (its key,
    # and what the page is drawn from).
    held: dict[int, list[Entry]] = defaultdict(list)
    for entry in (
        entries_with_details()
        .filter(account_link__account_id__in=list(accounts))
        .select_related("account_link")
        .order_by("-session__date", "candidate_id")
    ):
        held[entry.account_link.account_id].append(entry)
    all_entries = [entry for entries in held.values() for entry in entries]
    lines = dashboard_lines_bulk(entry_ids=[e.pk for e in all_entries], now=instant)

    pages: dict[PageKey, tuple[str, str]] = {}
    index: dict[object, list[str]] = defaultdict(list)
    for account_id, entries in held.items():
        account = accounts[account_id]
        mine = [e for e in entries if e.pk in fingerprints]
        for language in _languages(account):
            with translation.override(language):
                for entry in mine:
                    fingerprint = fingerprints[entry.pk]
                    key = statement_key(public_id=entry.public_id, fingerprint=fingerprint)
                    path = reverse("results:statement", kwargs={"public_id": entry.public_id})
                    pages[key] = page_draw(
                        page_request(path=path, user=account.user),
                        template=STATEMENT_TEMPLATE,
                        context=_statement_context(results[entry.pk]),
                    )
                    index[fingerprint[0]].append(key.slot)
                key = dashboard_key(account_id=account_id, lines=lines.get(account_id, []))
                context = dashboard_page(lines=lines.get(account_id, []))
                request = page_request(path=reverse("candidates:dashboard"), user=account.user)
                pages[key] = page_draw(request, template=DASHBOARD_TEMPLATE, context=context)
                for entry in mine:
                    index[fingerprints[entry.pk][0]].append(key.slot)
    page_store(pages, index=index, seconds=_kept_seconds(instant=instant, now=now))
    return len(pages)


def _kept_seconds(*, instant: dt.datetime, now: dt.datetime) -> int:
    """Return how long pages drawn at ``now`` for ``instant`` are kept: until some hours after the instant."""
    return int((instant - now).total_seconds()) + max(KEPT_AFTER_RELEASE_SECONDS, PAGE_CACHE_SECONDS)
