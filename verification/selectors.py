"""Reads for verification: what a verifier may see of an entry, the candidate's audit, organisations' history.

What a verifier sees of a result is read only through ``results.selectors.results_visible`` (embargo and
ownership, with the audience of whoever proved they hold the entry): a result that is not visible is
"not yet released" until its window closes and "pending" (Q) after it.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from centres.models import Entry
from exams.models import Exam
from grading.scale import SCALE_EXAMS
from results.charts import result_name, score_display
from results.models import Result
from results.selectors import Audience, entry_is_pending, results_visible_by_entry

from .models import ApiKey, BulkVerification, ShareLink, Verification, VerifierOrganisation

RELEASED = "released"
PENDING = "pending"
NOT_YET_RELEASED = "not_yet_released"
PENDING_GRADE = "Q"

COMPONENT_LABELS: dict[str, Promise] = {
    "reading": _("Reading"),
    "use_of_english": _("Use of English"),
    "writing": _("Writing"),
    "listening": _("Listening"),
    "speaking": _("Speaking"),
}


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

    @property
    def is_released(self) -> bool:
        return self.status == RELEASED

    @property
    def is_pending(self) -> bool:
        return self.status == PENDING


@dataclass(frozen=True)
class VerifiedEntry:
    """An entry a verifier has proved they may see (secret number, share link, QR code), with its facts.

    ``results`` is empty when the entry's exam cannot be verified online (``Exam.verifiable_online``).
    """

    entry: Entry
    candidate_id: str
    candidate_name: str
    exam_name: str
    centre_name: str
    verifiable: bool
    results: tuple[ResultFacts, ...]


def _released_facts(result: Result) -> ResultFacts:
    entry = result.entry
    exam = entry.session.exam
    scale = SCALE_EXAMS.get(exam.code)
    components = tuple(
        ComponentFact(
            code=score.component.code,
            label=str(COMPONENT_LABELS.get(score.component.code, score.component.name)),
            score=score.score,
            display=score_display(exam=scale, score=score.score) if scale is not None else str(score.score),
        )
        for score in result.component_scores.all()
    )
    if scale is not None:
        overall_display = score_display(exam=scale, score=result.overall_score)
    else:
        overall_display = "—" if result.overall_score is None else str(result.overall_score)
    return ResultFacts(
        exam_code=exam.code,
        exam_name=exam.name,
        session_date=entry.session.date,
        status=RELEASED,
        results_by=entry.session.window_end,
        result=result.grade,
        result_display=result_name(result.grade),
        overall_score=result.overall_score,
        overall_display=overall_display,
        cefr_level=result.cefr_level or None,
        components=components,
        amended_at=result.amended_at,
    )


def _unreleased_facts(entry: Entry, *, now: dt.datetime) -> ResultFacts:
    exam = entry.session.exam
    pending = entry_is_pending(entry=entry, now=now)
    return ResultFacts(
        exam_code=exam.code,
        exam_name=exam.name,
        session_date=entry.session.date,
        status=PENDING if pending else NOT_YET_RELEASED,
        results_by=entry.session.window_end,
        result=PENDING_GRADE if pending else None,
        result_display=PENDING_GRADE if pending else "",
    )


def entries_verified(*, entries: Sequence[Entry], now: dt.datetime | None = None) -> dict[int, VerifiedEntry]:
    """Return what a verifier may see of each of these entries now, keyed by entry id, in two queries.

    The entries must come with their person, session, exam and centre (``centres.selectors``); the caller
    has proved it holds them.
    """
    moment = now or timezone.now()
    verifiable = [e for e in entries if e.session.exam.verifiable_online]
    visible = results_visible_by_entry(audience=Audience.entries(verifiable), entries=verifiable, now=moment)
    answer: dict[int, VerifiedEntry] = {}
    for entry in entries:
        results: tuple[ResultFacts, ...] = ()
        if entry.session.exam.verifiable_online:
            result = visible.get(entry.pk)
            results = (_released_facts(result) if result is not None else _unreleased_facts(entry, now=moment),)
        answer[entry.pk] = VerifiedEntry(
            entry=entry,
            candidate_id=entry.candidate_id,
            candidate_name=entry.person.full_name,
            exam_name=entry.session.exam.name,
            centre_name=entry.centre.name,
            verifiable=entry.session.exam.verifiable_online,
            results=results,
        )
    return answer


def entry_verified(*, entry: Entry, now: dt.datetime | None = None) -> VerifiedEntry:
    """Return what a verifier may see of one entry now (see ``entries_verified``)."""
    return entries_verified(entries=[entry], now=now)[entry.pk]


def exams_verifiable_online() -> QuerySet[Exam]:
    """Return the exams whose results can be checked online, by name."""
    return Exam.objects.filter(verifiable_online=True).order_by("name")


def verifications_by_entry(*, entries: Iterable[Entry]) -> dict[int, list[Verification]]:
    """Return who verified each of these entries, newest first, keyed by entry id, in one query.

    For the candidate's dashboard: entries nobody has verified are absent.
    """
    grouped: dict[int, list[Verification]] = defaultdict(list)
    ids = [entry.pk for entry in entries]
    rows = Verification.objects.filter(entry_id__in=ids).select_related("share_link").order_by("entry_id", "-at")
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
