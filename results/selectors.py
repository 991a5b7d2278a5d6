"""Reads of results. Every read of a result for display goes through ``results_visible``: embargo + ownership.

Pages, PDFs, the API, verification, emails and centre downloads all call it; nothing else filters results
for display. A result is visible to an audience when it is not held, its release instant for that audience
has passed (``centre_released_at`` for a centre's exams officers and head of centre, ``released_at`` for
everyone else, other centre staff included), its entry is not
withdrawn, and the entry belongs to the audience.
"""

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from centres.models import Centre, Entry
from exams.models import Exam
from grading.scale import INDICATOR_RESULTS
from results_portal.prepared import PreparedQuery

from .models import ComponentScore, Result
from .release import centre_opening

# An audience of more entries than this (the release job's emails: 5 000) is matched with ``entry_id = ANY(array)``
# rather than ``IN`` with a placeholder per id (results_portal/lookups.py): the same rows (PostgreSQL reads an IN list
# as ``= ANY``), without Django preparing and psycopg splitting the query at each of them. Smaller audiences, those
# of the pages and the API and of their prepared queries, keep ``IN``.
MANY_ENTRIES = 100


@dataclass(frozen=True)
class Audience:
    """Who is looking: a candidate account, a centre, or the holder of one entry's credentials or token."""

    account_id: int | None = None
    centre_id: int | None = None
    centre_restricted: bool = False
    entry_ids: tuple[int, ...] | None = None
    public_statistics: bool = False

    @classmethod
    def candidate(cls, account_id: int) -> "Audience":
        """Return the audience of a logged-in candidate: the entries linked to their account."""
        return cls(account_id=account_id)

    @classmethod
    def centre(cls, centre: Centre, *, restricted: bool) -> "Audience":
        """Return the audience of a member of a centre's staff: the entries made by that centre.

        ``restricted``: the member sees the centre's restricted release (``StaffMember.sees_restricted_release``:
        exams officers and the head of centre); other staff see results from the candidate instant.
        """
        return cls(centre_id=centre.pk, centre_restricted=restricted)

    @classmethod
    def entries(cls, entries: Iterable[Entry]) -> "Audience":
        """Return the audience of whoever proved they hold these entries (secret number, signed token)."""
        return cls(entry_ids=tuple(e.pk for e in entries))

    def embargo(self, moment: dt.datetime) -> Q:
        """Return the condition a result must meet to be out of embargo for this audience at ``moment``."""
        if self.centre_id is not None and self.centre_restricted:
            return Q(centre_released_at__lte=moment)
        return Q(released_at__lte=moment)

    @classmethod
    def statistics(cls) -> "Audience":
        """Return the audience of the public grade statistics: counts only, never a person's result."""
        return cls(public_statistics=True)

    def ownership(self) -> Q:
        """Return the condition an entry must meet to belong to this audience."""
        if self.public_statistics:
            return Q()
        if self.account_id is not None:
            return Q(entry__account_link__account_id=self.account_id)
        if self.centre_id is not None:
            return Q(entry__centre_id=self.centre_id)
        if self.entry_ids is not None:
            if len(self.entry_ids) > MANY_ENTRIES:  # the bulk paths: one array instead of a placeholder per id
                return Q(entry__pk__any=list(self.entry_ids))
            return Q(entry_id__in=self.entry_ids)
        raise ValueError("an audience must name an account, a centre or entries")


def results_out(*, audience: Audience, now: dt.datetime | None = None) -> QuerySet[Result]:
    """Return the results of this audience's entries whose release instant for it has passed, held or not.

    The embargo, withdrawal and ownership of ``results_visible``, without its last condition: a hold. Never shown
    as they are; ``entries_under_review`` uses them to say that a result is held, not "not yet released".
    """
    moment = now or timezone.now()
    return Result.objects.filter(audience.ownership(), audience.embargo(moment), entry__status=Entry.Status.ENTERED)


def results_visible(*, audience: Audience, now: dt.datetime | None = None) -> QuerySet[Result]:
    """Return the results this audience may see now, with their entry details and component scores."""
    return (
        results_out(audience=audience, now=now)
        .exclude(status=Result.Status.HELD)
        .select_related("entry__session__exam", "entry__person", "entry__centre")
        .prefetch_related(
            Prefetch(
                "component_scores",
                queryset=ComponentScore.objects.select_related("component").order_by("component__order"),
            )
        )
    )


# What the statement page checks on every request: the candidate's visible result of one entry, as the fields
# the page shows (its cache key). The rule is results_visible's; PreparedQuery only saves compiling it again.
STATEMENT_FINGERPRINT_FIELDS = (
    "pk",
    "version",
    "ready_at",
    "amended_at",
    "grade",
    "overall_score",
    "cefr_level",
    "certificate",
    # Who it is for (scores change only through the import, which moves ready_at). A renamed centre or exam or a
    # moved session date shows within the page cache's ten minutes: each more join here cost ~10 % of the page.
    "entry__candidate_id",
    "entry__person__first_name",
    "entry__person__last_name",
)
_statement_fingerprint = PreparedQuery(
    lambda account_id, public_id, now: (
        results_visible(audience=Audience.candidate(account_id), now=now)
        .filter(entry__public_id=public_id)
        .select_related(None)
        .prefetch_related(None)
        .order_by()
        .values_list(*STATEMENT_FINGERPRINT_FIELDS)[:1]
    ),
    {"account_id": int, "public_id": uuid.UUID, "now": dt.datetime},
)


def statement_fingerprint(
    *, account_id: int, public_id: uuid.UUID, now: dt.datetime | None = None
) -> tuple[object, ...] | None:
    """Return the candidate's visible result of this entry as ``STATEMENT_FINGERPRINT_FIELDS``, or None."""
    rows = _statement_fingerprint.rows(account_id=account_id, public_id=public_id, now=now or timezone.now())
    return statement_fingerprint_of(rows)


def statement_fingerprint_query(*, account_id: int, public_id: uuid.UUID, now: dt.datetime) -> tuple[str, list[Any]]:
    """Return ``statement_fingerprint``'s query (SQL and values), to send in another query's round trip; its rows
    go to ``statement_fingerprint_of``."""
    return _statement_fingerprint.query_string(account_id=account_id, public_id=public_id, now=now)


def statement_fingerprint_of(rows: list[tuple[Any, ...]]) -> tuple[object, ...] | None:
    """Return the fingerprint in the rows of ``statement_fingerprint``'s query, or None."""
    return rows[0] if rows else None


def statement_fingerprints(*, entry_ids: Iterable[int], now: dt.datetime) -> dict[int, tuple[object, ...]]:
    """Return, for each of these entries whose result is visible to its holder at ``now``, the result's
    ``statement_fingerprint`` as its holder's request would read it then (keyed by entry id; one query).

    For the pages drawn ahead of a release instant: the same selector, for many entries at once.
    """
    rows = (
        results_visible(audience=Audience(entry_ids=tuple(entry_ids)), now=now)
        .select_related(None)
        .prefetch_related(None)
        .order_by()
        .values_list("entry_id", *STATEMENT_FINGERPRINT_FIELDS)
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def results_visible_by_entry(
    *, audience: Audience, entries: Iterable[Entry], now: dt.datetime | None = None, with_scores: bool = True
) -> dict[int, Result]:
    """Return the visible results of these entries keyed by entry id (entries without one are absent).

    ``with_scores=False`` is for pages that show the result only and hold the entries already: no skill scores
    (one query fewer) and no joins to the entry's details.
    """
    ids = [e.pk for e in entries]
    visible = results_visible(audience=audience, now=now).filter(entry_id__in=ids)
    if not with_scores:
        visible = visible.select_related(None).prefetch_related(None)
    return {r.entry_id: r for r in visible}


def entries_under_review(*, audience: Audience, entry_ids: Iterable[int], now: dt.datetime | None = None) -> set[int]:
    """Return which of these entries have a result under review: out for this audience, then held by the board.

    Such a result is shown nowhere (``results_visible``), but it is not "not yet released" nor 'Q' because the
    window closed without one: it was out, and the board is reviewing it. A result held before its release
    instant is still under embargo and is not named here. One query; none when ``entry_ids`` is empty.
    """
    ids = list(entry_ids)
    if not ids:
        return set()
    held = _results_under_review(audience=audience, now=now).filter(entry_id__in=ids)
    return set(held.values_list("entry_id", flat=True))


def _results_under_review(*, audience: Audience, now: dt.datetime | None = None) -> QuerySet[Result]:
    """Return the results of this audience's entries that were out to it and are now held by the board."""
    return results_out(audience=audience, now=now).filter(status=Result.Status.HELD)


def entry_is_pending(*, entry: Entry, now: dt.datetime | None = None, audience: Audience | None = None) -> bool:
    """Return whether an entry without a visible result is 'Q', result pending (docs/domain.md §4.1).

    Past its window's end; for a centre's unitised results, from the centre's own release instant (the
    restricted release for its exams officers and head of centre), as the centre's unitised pages show them.
    """
    moment = now or timezone.now()
    session = entry.session
    if audience is not None and audience.centre_id is not None and session.exam.family == Exam.Family.UNITISED:
        return moment >= centre_opening(session, restricted=audience.centre_restricted)
    return window_closed(window_end=session.window_end, now=moment)


def window_closed(*, window_end: dt.datetime, now: dt.datetime) -> bool:
    """Return whether a session's release window has closed at ``now``: an entry without a visible result is then
    'Q' for its candidate (``entry_is_pending``, for whoever holds the session's end without the loaded entry)."""
    return now > window_end


class ResultState:
    """Where an entry's result stands for an audience: what a centre's list shows and filters by."""

    RELEASED = "released"  # a result this audience may see now
    PENDING = "pending"  # none it may see, and the window has closed: 'Q' (entry_is_pending)
    NOT_RELEASED = "not_released"  # none it may see yet, the window still to close


def entries_with_result_visible(
    entries: QuerySet[Entry], *, audience: Audience, now: dt.datetime | None = None
) -> QuerySet[Entry]:
    """Annotate each entry with ``result_visible``: whether ``results_visible`` gives this audience its result.

    One subquery in the list's own query, so a page of entries costs the same whatever its size.
    """
    visible = (
        results_visible(audience=audience, now=now)
        .select_related(None)
        .prefetch_related(None)
        .order_by()
        .filter(entry_id=OuterRef("pk"))
    )
    return entries.annotate(result_visible=Exists(visible))


def entries_with_result_under_review(
    entries: QuerySet[Entry], *, audience: Audience, now: dt.datetime | None = None
) -> QuerySet[Entry]:
    """Annotate each entry with ``result_under_review``: whether ``entries_under_review`` names it (one subquery)."""
    held = _results_under_review(audience=audience, now=now).order_by().filter(entry_id=OuterRef("pk"))
    return entries.annotate(result_under_review=Exists(held))


def entries_in_result_state(
    entries: QuerySet[Entry], *, state: str, now: dt.datetime | None = None
) -> QuerySet[Entry]:
    """Return the entries (annotated by ``entries_with_result_visible``) whose result is in ``state``."""
    moment = now or timezone.now()
    if state == ResultState.RELEASED:
        return entries.filter(Q(result_visible=True))  # the annotation, as Q: the type stubs know only fields
    if state == ResultState.PENDING:  # the rule of entry_is_pending, in SQL
        return entries.filter(Q(result_visible=False), session__window_end__lt=moment)
    if state == ResultState.NOT_RELEASED:
        return entries.filter(Q(result_visible=False), session__window_end__gte=moment)
    raise ValueError(f"unknown result state {state!r}")


def entry_result_state(*, entry: Entry, now: dt.datetime | None = None) -> str:
    """Return the state of an entry annotated by ``entries_with_result_visible`` (no query)."""
    if getattr(entry, "result_visible", False):
        return ResultState.RELEASED
    return ResultState.PENDING if entry_is_pending(entry=entry, now=now) else ResultState.NOT_RELEASED


@dataclass(frozen=True)
class GradeCount:
    """How many candidates got one result in one exam in one year."""

    exam_code: str
    exam_name: str
    year: int
    grade: str
    cefr_level: str
    count: int


def grade_statistics(*, now: dt.datetime | None = None) -> list[GradeCount]:
    """Return counts of results per exam, year and result, from sessions whose release window has closed.

    Only whole released sessions count (a session still releasing would show a partial picture), and only
    through the visibility selector, so held and embargoed results never enter the figures. 'for Schools'
    versions count under their own exam code, and each result under the name it was awarded under (a 2019 Key
    'Pass with Merit' and a 2020 Key 'Grade B' are two rows, docs/domain.md §5.9); the page suppresses small cells.
    """
    moment = now or timezone.now()
    rows = (
        results_visible(audience=Audience.statistics(), now=moment)
        .select_related(None)
        .prefetch_related(None)
        .filter(entry__session__window_end__lte=moment)
        .exclude(grade="")
        # Absent (X, Z), to follow and withheld are not results anyone got (docs/domain.md §4.2, §15.2).
        .exclude(grade__in=INDICATOR_RESULTS)
        .values(
            "entry__session__exam__code",
            "entry__session__exam__name",
            "entry__session__date__year",
            "grade",
            "cefr_level",
        )
        .annotate(count=Count("pk"))
        .order_by("entry__session__exam__code", "-entry__session__date__year", "-count")
    )
    return [
        GradeCount(
            exam_code=row["entry__session__exam__code"],
            exam_name=row["entry__session__exam__name"],
            year=row["entry__session__date__year"],
            grade=row["grade"],
            cefr_level=row["cefr_level"],
            count=row["count"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class ReleaseProgress:
    """Where a session's release stands: results visible, waiting, held; emails sent, waiting, failed."""

    entries: int
    visible: int
    waiting: int
    to_notify: int
    held: int
    emails_sent: int
    emails_waiting: int
    emails_failed: int

    @property
    def finished(self) -> bool:
        return self.emails_waiting == 0 and self.waiting == 0 and self.to_notify == 0


def release_progress(*, session_id: int, now: dt.datetime | None = None) -> ReleaseProgress:
    """Return a session's release progress for board staff (counts only), in two queries."""
    from .models import OutgoingEmail

    moment = now or timezone.now()
    results = Result.objects.filter(entry__session_id=session_id, entry__status=Entry.Status.ENTERED).aggregate(
        visible=Count("pk", filter=Q(released_at__lte=moment) & ~Q(status=Result.Status.HELD)),
        waiting=Count("pk", filter=Q(status=Result.Status.READY, released_at__gt=moment)),
        to_notify=Count("pk", filter=Q(status=Result.Status.READY, released_at__lte=moment)),
        held=Count("pk", filter=Q(status=Result.Status.HELD)),
    )
    emails = OutgoingEmail.objects.filter(result__entry__session_id=session_id).aggregate(
        sent=Count("pk", filter=Q(state=OutgoingEmail.State.SENT)),
        waiting=Count("pk", filter=Q(state__in=[OutgoingEmail.State.QUEUED, OutgoingEmail.State.SENDING])),
        failed=Count("pk", filter=Q(state=OutgoingEmail.State.FAILED)),
    )
    return ReleaseProgress(
        entries=Entry.objects.filter(session_id=session_id, status=Entry.Status.ENTERED).count(),
        visible=results["visible"],
        waiting=results["waiting"],
        to_notify=results["to_notify"],
        held=results["held"],
        emails_sent=emails["sent"],
        emails_waiting=emails["waiting"],
        emails_failed=emails["failed"],
    )


@dataclass(frozen=True)
class CentreRelease:
    """What one centre's candidates of a session will see at the session's next release instant."""

    centre_number: str
    centre_name: str
    results: int
    emails: int


@dataclass(frozen=True)
class SessionReleasePreview:
    """A session before (or during) its release, for board staff: counts only, never a result."""

    session_id: int
    session: str
    window_start: dt.datetime
    window_end: dt.datetime
    next_release: dt.datetime | None
    at_next_release: int
    emails_at_next_release: int
    waiting: int
    held: int
    missing: int
    entries: int
    centres: tuple[CentreRelease, ...]


def release_preview(*, now: dt.datetime | None = None) -> list[SessionReleasePreview]:
    """Return every session with results still to come: what becomes visible next, to whom, and what is missing.

    A result counts at the next release instant when it is ready and its ``released_at`` is the session's
    earliest one still ahead; a "results released" email goes with it to each candidate registered for the
    entry. Five queries whatever the number of sessions and centres.
    """
    from exams.models import ExamSession

    moment = now or timezone.now()
    entered = Q(entry__status=Entry.Status.ENTERED)
    ahead = Result.objects.filter(entered, status=Result.Status.READY, released_at__gt=moment)
    first = {
        row["entry__session_id"]: row["first"]
        for row in ahead.values("entry__session_id").annotate(first=Min("released_at"))
    }
    sessions = list(
        ExamSession.objects.select_related("exam")
        .filter(Q(pk__in=list(first)) | Q(window_end__gt=moment))
        .annotate(
            n_entries=Count("entries", filter=Q(entries__status=Entry.Status.ENTERED)),
            n_waiting=Count(
                "entries",
                filter=Q(entries__status=Entry.Status.ENTERED)
                & Q(entries__result__status=Result.Status.READY, entries__result__released_at__gt=moment),
            ),
            n_held=Count(
                "entries",
                filter=Q(entries__status=Entry.Status.ENTERED, entries__result__status=Result.Status.HELD),
            ),
            n_missing=Count("entries", filter=Q(entries__status=Entry.Status.ENTERED, entries__result__isnull=True)),
        )
        .order_by("window_start", "exam__code")
    )
    next_rows = (
        ahead.filter(entry__session_id__in=list(first))
        .values("entry__session_id", "released_at", "entry__centre__number", "entry__centre__name")
        .annotate(n=Count("pk"), n_emails=Count("entry__account_link"))
    )
    by_session: dict[int, list[CentreRelease]] = {}
    for row in next_rows:
        if row["released_at"] != first[row["entry__session_id"]]:
            continue
        by_session.setdefault(row["entry__session_id"], []).append(
            CentreRelease(
                centre_number=row["entry__centre__number"],
                centre_name=row["entry__centre__name"],
                results=row["n"],
                emails=row["n_emails"],
            )
        )
    previews = []
    for session in sessions:
        centres = tuple(sorted(by_session.get(session.pk, []), key=lambda c: c.centre_number))
        previews.append(
            SessionReleasePreview(
                session_id=session.pk,
                session=str(session),
                window_start=session.window_start,
                window_end=session.window_end,
                next_release=first.get(session.pk),
                at_next_release=sum(c.results for c in centres),
                emails_at_next_release=sum(c.emails for c in centres),
                waiting=session.n_waiting,  # type: ignore[attr-defined]
                held=session.n_held,  # type: ignore[attr-defined]
                missing=session.n_missing,  # type: ignore[attr-defined]
                entries=session.n_entries,  # type: ignore[attr-defined]
                centres=centres,
            )
        )
    return previews


@dataclass(frozen=True)
class TimelinePoint:
    """Results that became visible and "results released" emails sent up to the end of one interval."""

    at: dt.datetime
    visible: int
    emails_sent: int


TIMELINE_POINTS = 120


def release_timeline(*, session_id: int, now: dt.datetime | None = None) -> list[TimelinePoint]:
    """Return a session's release over time, cumulative, in at most ``TIMELINE_POINTS`` intervals (two queries).

    One point per interval in which something happened, and one for now: each counts the results visible and the
    emails sent by the end of it. The interval is a minute, an hour or a day, the smallest that keeps the
    release's span under the limit.
    """
    from django.db.models.functions import Trunc

    from .models import OutgoingEmail

    moment = now or timezone.now()
    results = Result.objects.filter(
        entry__session_id=session_id, entry__status=Entry.Status.ENTERED, released_at__lte=moment
    ).exclude(status=Result.Status.HELD)
    emails = OutgoingEmail.objects.filter(result__entry__session_id=session_id, state=OutgoingEmail.State.SENT)
    first = results.aggregate(first=Min("released_at"))["first"]
    if first is None:
        return []
    span = moment - first
    kind, _step = next(
        (kind, step)
        for kind, step in (
            ("minute", dt.timedelta(minutes=1)),
            ("hour", dt.timedelta(hours=1)),
            ("day", dt.timedelta(days=1)),
        )
        if span / step < TIMELINE_POINTS or kind == "day"
    )
    tz = timezone.get_current_timezone()
    visible = dict(
        results.annotate(at=Trunc("released_at", kind, tzinfo=tz))
        .values("at")
        .annotate(n=Count("pk"))
        .values_list("at", "n")
    )
    sent = dict(
        emails.annotate(at=Trunc("sent_at", kind, tzinfo=tz))
        .values("at")
        .annotate(n=Count("pk"))
        .values_list("at", "n")
    )
    points: list[TimelinePoint] = []
    total_visible = total_sent = 0
    for at in sorted({*visible, *sent}):
        total_visible += visible.get(at, 0)
        total_sent += sent.get(at, 0)
        points.append(TimelinePoint(at=at, visible=total_visible, emails_sent=total_sent))
    if points and points[-1].at < moment:
        points.append(TimelinePoint(at=moment, visible=total_visible, emails_sent=total_sent))
    return points


def release_failures(*, session_id: int, limit: int = 20) -> list[tuple[str, str, int]]:
    """Return the session's failed "results released" emails to look at: (Candidate ID, last error, attempts)."""
    from .models import OutgoingEmail

    failed = (
        OutgoingEmail.objects.filter(result__entry__session_id=session_id, state=OutgoingEmail.State.FAILED)
        .order_by("result__entry__candidate_id")
        .values_list("result__entry__candidate_id", "last_error", "attempts")[:limit]
    )
    return [(candidate_id, error[:200], attempts) for candidate_id, error, attempts in failed]


# Figures that apps after ``results`` add to a session's release page (the PDFs rendered, by ``certificates``):
# each is called with the session's id and returns (label, value) lines. Registered in their AppConfig.ready.
ReleaseFigures = Callable[[int], list[tuple[str, str]]]
_RELEASE_FIGURES: list[ReleaseFigures] = []


def release_figures_register(figures: ReleaseFigures) -> ReleaseFigures:
    if figures not in _RELEASE_FIGURES:
        _RELEASE_FIGURES.append(figures)
    return figures


def release_figures(*, session_id: int) -> list[tuple[str, str]]:
    """Return the registered figures of a session's release, in the order they were registered."""
    return [line for figures in _RELEASE_FIGURES for line in figures(session_id)]
