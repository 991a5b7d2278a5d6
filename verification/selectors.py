"""Reads for verification: what a verifier may see of an entry, the candidate's audit, organisations' history.

What a verifier sees of a result is read only through ``results.selectors.results_visible`` (embargo and
ownership, with the audience of whoever proved they hold the entry): a result that is not visible is
"not yet released" until its window closes and "pending" (Q) after it.

Every form and API lookup reads an entry by Candidate ID and then one entry's visible result: both are read as
plain values, their SQL compiled once per process (``results_portal.prepared``).
"""

import datetime as dt
import json
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone

from centres.models import Candidate, Centre, Entry
from centres.services import secret_number_hash, secret_number_matches
from exams.models import Exam
from grading.legacy import legacy_format
from results.models import Result
from results.presentation import (
    component_display,
    component_label,
    grade_as_awarded,
    grade_display,
    overall_display,
    scale_of,
)
from results.selectors import Audience, entries_under_review, results_visible, window_closed
from results_portal.prepared import PreparedQuery

from .models import ApiKey, BulkVerification, ShareLink, Verification, VerifierOrganisation

RELEASED = "released"
PENDING = "pending"
NOT_YET_RELEASED = "not_yet_released"
PENDING_GRADE = "Q"


@dataclass(frozen=True)
class ComponentFact:
    """One component's score as a verifier sees it: ``code`` for machines, ``label``/``display`` for people."""

    code: str
    label: str
    score: int
    display: str


@dataclass(frozen=True)
class ResultFacts:
    """What a verifier may know about the result of one entry, now.

    ``status`` is ``released``, ``pending`` (Q: the window has closed without a visible result) or
    ``not_yet_released``; only a released result has a score, a result, a CEFR level and components.
    """

    exam_code: str
    exam_name: str
    session_date: dt.date
    status: str
    results_by: dt.datetime
    result: str | None = None
    result_display: str = ""
    overall_score: int | None = None
    overall_display: str = ""
    cefr_level: str | None = None
    components: tuple[ComponentFact, ...] = ()
    amended_at: dt.datetime | None = None
    # Not released now because the board holds a result that was out (results.selectors.entries_under_review):
    # the pages say it is under review. The API's ``status`` stays ``pending``/``not_yet_released``.
    under_review: bool = False

    @property
    def is_released(self) -> bool:
        return self.status == RELEASED

    @property
    def is_pending(self) -> bool:
        return self.status == PENDING


@dataclass(frozen=True)
class EntryFacts:
    """What a verifier who holds an entry may know of it besides its result: whose it is, which exam, where.

    Plain values, read in one query (``entry_facts_matching_secret``) or taken from a loaded entry
    (``EntryFacts.of``); it carries no credential.
    """

    entry_id: int
    candidate_id: str
    candidate_name: str
    exam_code: str
    exam_name: str
    verifiable: bool
    session_date: dt.date
    results_by: dt.datetime
    centre_name: str
    family: str = Exam.Family.SCALE
    ums_max_total: int | None = None

    @classmethod
    def of(cls, entry: Entry) -> "EntryFacts":
        """Return the facts of an entry loaded with its person, session, exam and centre."""
        session = entry.session
        return cls(
            entry_id=entry.pk,
            candidate_id=entry.candidate_id,
            candidate_name=entry.person.full_name,
            exam_code=session.exam.code,
            exam_name=session.exam.name,
            verifiable=session.exam.verifiable_online,
            session_date=session.date,
            results_by=session.window_end,
            centre_name=entry.centre.name,
            family=session.exam.family,
            ums_max_total=session.exam.ums_max_total,
        )


@dataclass(frozen=True)
class VerifiedEntry:
    """An entry a verifier has proved they may see (secret number, share link, QR code), with its facts.

    ``results`` is empty when the entry's exam cannot be verified online (``Exam.verifiable_online``).
    """

    entry_id: int
    candidate_id: str
    candidate_name: str
    exam_code: str
    exam_name: str
    session_date: dt.date
    centre_name: str
    verifiable: bool
    results: tuple[ResultFacts, ...]

    @property
    def has_released(self) -> bool:
        """Whether a result of the entry is released now: only then do the pages speak of a verified result."""
        return any(facts.is_released for facts in self.results)


_ENTRY_COLUMNS = (
    "pk",
    "status",
    "secret_hash",
    "candidate_id",
    "person_first_name",
    "person_last_name",
    "exam_code",
    "exam_name",
    "exam_verifiable_online",
    "session__date",
    "session__window_end",
    "centre_name",
    "exam_family",
    "exam_ums_max_total",
)


def _entry_facts(candidate_id: str) -> QuerySet[Entry, tuple[Any, ...]]:
    """Return the entry of a Candidate ID with the columns of ``_ENTRY_COLUMNS``, one row per entry.

    The person, exam and centre are one-row subqueries by primary key rather than joins: the same values, but
    PostgreSQL plans this query in about 0.12 ms instead of 0.27 ms for the five-table join, and it is planned on
    every try of a secret number (nothing is prepared behind PgBouncer; BENCHMARKS.md, the verification API).
    """
    person = Candidate.objects.filter(pk=OuterRef("person_id")).order_by()
    exam = Exam.objects.filter(pk=OuterRef("session__exam_id")).order_by()
    centre = Centre.objects.filter(pk=OuterRef("centre_id")).order_by()
    return (
        Entry.objects.filter(candidate_id=candidate_id)
        .annotate(
            person_first_name=Subquery(person.values("first_name")),
            person_last_name=Subquery(person.values("last_name")),
            exam_code=Subquery(exam.values("code")),
            exam_name=Subquery(exam.values("name")),
            exam_verifiable_online=Subquery(exam.values("verifiable_online")),
            centre_name=Subquery(centre.values("name")),
            exam_family=Subquery(exam.values("family")),
            exam_ums_max_total=Subquery(exam.values("ums_max_total")),
        )
        .values_list(*_ENTRY_COLUMNS)
    )


@cache
def _dummy_secret_hash() -> str:
    # Made by the same function as real hashes, of 16 random characters that no 4-digit secret number equals.
    return secret_number_hash(secret_number=secrets.token_hex(8))


# Runs for every secret number tried: compiling its five-table query once saves most of its cost.
_entry_facts_rows = PreparedQuery(_entry_facts, {"candidate_id": str})


def entry_facts_matching_secret(*, candidate_id: str, secret_number: str) -> EntryFacts | None:
    """Return the facts of the entry whose Candidate ID and secret number both match, else None, in one query.

    Never says which failed: an unknown ID is compared with a dummy hash, so both answers cost the same work
    (docs/decisions/0003-brute-force-policy.md), and a withdrawn entry matches nothing.
    """
    return entry_facts_compare(
        rows=_entry_facts_rows.rows(candidate_id=candidate_id.strip().upper()), secret_number=secret_number
    )


def entry_facts_read(*, candidate_id: str) -> tuple[str, list[Any]]:
    """Return the SQL and parameters of the entry read of ``entry_facts_matching_secret`` (PostgreSQL), for the
    guard to send with the Candidate ID's turn (``accounts.guard.Lookup``)."""
    return _entry_facts_rows.query_string(candidate_id=candidate_id.strip().upper())


def entry_facts_compare(*, rows: Sequence[tuple[Any, ...]], secret_number: str) -> EntryFacts | None:
    """Return the facts of the entry in ``rows`` (read by ``entry_facts_read``) when the secret number matches it.

    An unknown ID (no rows) is compared with a dummy hash: both answers cost the same work.
    """
    if not rows:
        secret_number_matches(secret_number=secret_number.strip(), secret_hash=_dummy_secret_hash())
        return None
    (
        pk,
        status,
        secret_hash,
        cid,
        first,
        last,
        exam_code,
        exam_name,
        verifiable,
        date,
        window_end,
        centre,
        family,
        ums_max_total,
    ) = rows[0]
    matches = secret_number_matches(secret_number=secret_number.strip(), secret_hash=secret_hash)
    if not matches or status == Entry.Status.WITHDRAWN:
        return None
    return EntryFacts(
        entry_id=pk,
        candidate_id=cid,
        candidate_name=Candidate(first_name=first, last_name=last).full_name,
        exam_code=exam_code,
        exam_name=exam_name,
        verifiable=verifiable,
        session_date=date,
        results_by=window_end,
        centre_name=centre,
        family=family,
        ums_max_total=ums_max_total,
    )


@dataclass
class _VisibleResult:
    grade: str
    overall_score: int | None
    cefr_level: str
    amended_at: dt.datetime | None
    qualification: dict[str, Any] | None
    scores: list[tuple[str, str, int, int | None, int | None, bool]] = field(default_factory=list)


def _visible_scores(*, entry_ids: tuple[int, ...], now: dt.datetime) -> QuerySet[Result, tuple[Any, ...]]:
    """Return the visible results of these entries, one row per component score, as the columns a verifier sees.

    The visibility selector decides (embargo, held, withdrawn, ownership by these entries); values drop the
    models it joins for display.
    """
    return (
        results_visible(audience=Audience(entry_ids=entry_ids), now=now)
        .prefetch_related(None)
        .order_by("component_scores__component__order")
        .values_list(
            "entry_id",
            "grade",
            "overall_score",
            "cefr_level",
            "amended_at",
            "qualification",
            "component_scores__component__code",
            "component_scores__component__name",
            "component_scores__score",
            "component_scores__ums",
            "component_scores__component__ums_max",
            "component_scores__absent",
        )
    )


# One entry is every form and API lookup: the same queryset, compiled once (the rule stays results_visible's).
_visible_scores_of_one = PreparedQuery(
    lambda entry_id, now: _visible_scores(entry_ids=(entry_id,), now=now), {"entry_id": int, "now": dt.datetime}
)


def visible_scores_of_one_sql(*, entry_id: int, now: dt.datetime) -> tuple[str, list[Any]]:
    """Return the SQL and parameters that read one entry's visible result (PostgreSQL), for a caller sending it with
    other statements in one round trip; ``entry_verified(…, rows=…)`` takes the rows it gives."""
    return _visible_scores_of_one.query_string(entry_id=entry_id, now=now)


def _visible_results(*, entry_ids: Sequence[int], now: dt.datetime) -> dict[int, _VisibleResult]:
    """Return the visible result of each of these entries with its component scores, in one query."""
    if len(entry_ids) == 1:
        rows: Iterable[tuple[Any, ...]] = _visible_scores_of_one.rows(entry_id=entry_ids[0], now=now)
    else:
        rows = _visible_scores(entry_ids=tuple(entry_ids), now=now)
    return _visible_from_rows(rows)


def _visible_from_rows(rows: Iterable[tuple[Any, ...]]) -> dict[int, _VisibleResult]:
    visible: dict[int, _VisibleResult] = {}
    for entry_id, grade, overall, cefr, amended_at, qualification, code, name, score, ums, ums_max, absent in rows:
        result = visible.get(entry_id)
        if result is None:
            # The compiled query returns the JSON column as the database sends it (text), without Django's converter.
            if isinstance(qualification, str):
                qualification = json.loads(qualification)
            result = visible[entry_id] = _VisibleResult(grade, overall, cefr, amended_at, qualification)
        if code is not None:
            result.scores.append((code, name, score, ums, ums_max, absent))
    return visible


def _released_facts(entry: EntryFacts, result: _VisibleResult) -> ResultFacts:
    # Shown as every other output shows a result (results.presentation), from the columns read above.
    scale = scale_of(entry.exam_code, on=entry.session_date)
    # A legacy sitting's papers are shown as a profile on the candidate's statement only (docs/domain.md §7.1).
    legacy = legacy_format(exam_code=entry.exam_code, session_date=entry.session_date) is not None
    components = tuple(
        ComponentFact(
            code=code,
            label=component_label(family=entry.family, code=code, name=name),
            score=score,
            display=component_display(
                family=entry.family, scale=scale, score=score, ums=ums, ums_max=ums_max, absent=absent
            ),
        )
        for code, name, score, ums, ums_max, absent in result.scores
        if not legacy
    )
    overall = overall_display(
        family=entry.family,
        scale=scale,
        overall=result.overall_score,
        ums_max_total=entry.ums_max_total,
        grade=result.grade,
    )
    return ResultFacts(
        exam_code=entry.exam_code,
        exam_name=entry.exam_name,
        session_date=entry.session_date,
        status=RELEASED,
        results_by=entry.results_by,
        result=grade_as_awarded(family=entry.family, grade=result.grade, qualification=result.qualification),
        result_display=grade_display(family=entry.family, grade=result.grade, qualification=result.qualification),
        overall_score=result.overall_score,
        overall_display=overall,
        cefr_level=result.cefr_level or None,
        components=components,
        amended_at=result.amended_at,
    )


def _unreleased_facts(entry: EntryFacts, *, now: dt.datetime, under_review: bool = False) -> ResultFacts:
    # Past the window's end without a visible result is a Q: the rule of results.selectors.entry_is_pending,
    # for facts without a loaded Entry. verification/tests/test_lookup.py holds the two to the same answers.
    pending = window_closed(window_end=entry.results_by, now=now)
    return ResultFacts(
        exam_code=entry.exam_code,
        exam_name=entry.exam_name,
        session_date=entry.session_date,
        status=PENDING if pending else NOT_YET_RELEASED,
        results_by=entry.results_by,
        result=PENDING_GRADE if pending else None,
        result_display=PENDING_GRADE if pending else "",
        under_review=under_review,
    )


def entries_verified(
    *, entries: Sequence[EntryFacts], now: dt.datetime | None = None, rows: Iterable[tuple[Any, ...]] | None = None
) -> dict[int, VerifiedEntry]:
    """Return what a verifier may see of each of these entries now, keyed by entry id, in one query.

    The caller has proved it holds the entries. No query when none of them can be verified online, and one more
    only when some have no result to show (to tell a result under review from one not out). ``rows`` are those
    of ``visible_scores_of_one_sql`` for the one entry at ``now``, when the caller has read them already.
    """
    moment = now or timezone.now()
    verifiable = [entry.entry_id for entry in entries if entry.verifiable]
    if rows is not None:
        visible = _visible_from_rows(rows) if verifiable else {}
    else:
        visible = _visible_results(entry_ids=verifiable, now=moment) if verifiable else {}
    without = tuple(entry_id for entry_id in verifiable if entry_id not in visible)
    under_review = (
        entries_under_review(audience=Audience(entry_ids=without), entry_ids=without, now=moment) if without else set()
    )
    answer: dict[int, VerifiedEntry] = {}
    for entry in entries:
        results: tuple[ResultFacts, ...] = ()
        if entry.verifiable:
            result = visible.get(entry.entry_id)
            results = (
                _released_facts(entry, result)
                if result is not None
                else _unreleased_facts(entry, now=moment, under_review=entry.entry_id in under_review),
            )
        answer[entry.entry_id] = VerifiedEntry(
            entry_id=entry.entry_id,
            candidate_id=entry.candidate_id,
            candidate_name=entry.candidate_name,
            exam_code=entry.exam_code,
            exam_name=entry.exam_name,
            session_date=entry.session_date,
            centre_name=entry.centre_name,
            verifiable=entry.verifiable,
            results=results,
        )
    return answer


def entry_verified(
    *, entry: EntryFacts, now: dt.datetime | None = None, rows: Iterable[tuple[Any, ...]] | None = None
) -> VerifiedEntry:
    """Return what a verifier may see of one entry now (see ``entries_verified``)."""
    return entries_verified(entries=[entry], now=now, rows=rows)[entry.entry_id]


def exams_verifiable_online() -> QuerySet[Exam]:
    """Return the exams whose results can be checked online, by name."""
    return Exam.objects.filter(verifiable_online=True).order_by("name")


def verifications_by_entry(*, entries: Iterable[Entry]) -> dict[int, list[Verification]]:
    """Return who verified each of these entries, newest first, keyed by entry id, in one query.

    For the candidate's dashboard: entries nobody has verified are absent.
    """
    grouped: dict[int, list[Verification]] = defaultdict(list)
    ids = [entry.pk for entry in entries]
    rows = (
        Verification.objects.filter(entry_id__in=ids)
        .select_related("share_link", "organisation")
        .order_by("entry_id", "-at")
    )
    for row in rows:
        grouped[row.entry_id].append(row)
    return dict(grouped)


def organisation_for_request(request: HttpRequest) -> VerifierOrganisation | None:
    """Return the confirmed verifier organisation logged in on this request, or None (anonymous)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    organisation = VerifierOrganisation.objects.filter(user_id=user.pk, email_confirmed_at__isnull=False).first()
    return organisation


def organisation_history(*, organisation: VerifierOrganisation) -> QuerySet[Verification]:
    """Return an organisation's lookups, newest first, with the entries' people and exams."""
    return (
        Verification.objects.filter(organisation=organisation)
        .select_related("entry__person", "entry__session__exam")
        .order_by("-at")
    )


def organisation_api_keys(*, organisation: VerifierOrganisation) -> QuerySet[ApiKey]:
    """Return an organisation's API keys, active ones first, newest first."""
    return ApiKey.objects.filter(organisation=organisation).order_by("revoked_at", "-created_at")


def organisation_bulk_checks(*, organisation: VerifierOrganisation) -> QuerySet[BulkVerification]:
    """Return an organisation's bulk checks, newest first."""
    return BulkVerification.objects.filter(organisation=organisation).order_by("-created_at")


def share_links_for_entry(*, account_id: int, entry: Entry) -> QuerySet[ShareLink]:
    """Return the share links a candidate made for one entry, newest first."""
    return ShareLink.objects.filter(account_id=account_id, entry=entry).order_by("-created_at")


def share_link_is_live(link: ShareLink, *, now: dt.datetime | None = None) -> bool:
    """Return whether a share link still opens: not revoked and not expired."""
    return link.revoked_at is None and link.expires_at > (now or timezone.now())


def board_contact_email() -> str:
    """Return the address people are told to write to: ``BOARD_CONTACT_EMAIL``, else the sender address."""
    return str(settings.BOARD_CONTACT_EMAIL or parseaddr(settings.DEFAULT_FROM_EMAIL)[1])
