"""What the candidate's dashboard (/results/) shows, read in one query: the page's cache key on every request.

For each entry of the account, one query (compiled once per process, ``results_portal.prepared``) reads every
value the page shows of it: the entry, its session, exam and centre, the candidate's first name, the result if
``results_visible`` gives it to the account at that moment, whether it is under review (out, then held), and
who verified it. The view makes the page's cache key of these lines and reads the entries, results and
verifications as objects only to draw a page not in the cache (web/candidate/views/account.py).

The decisions are the visibility selector's own: each line carries the ``result_visible`` and
``result_under_review`` subqueries of ``results.selectors`` (built from ``results_visible`` and ``results_out``),
and the result's values count only where ``result_visible`` is true. The query runs on the primary database,
never the replica, since it decides visibility. ``dashboard_lines_bulk`` runs the same query for many accounts
at once, for the pages drawn ahead (web/candidate/prerender.py), so that both make the same key of the same data.

The values of the entry's centre, exam and person and of each verification's organisation and share link are read
as one-row subqueries (``_one``), not joins: PostgreSQL plans a subquery on its own, while each more table in the
join searched its join orders again, on every request (the query is sent as text, never prepared: PgBouncer). With
every table joined, planning cost 3–7 ms of PostgreSQL's CPU per request at BENCH_SCALE=1 against 0.1–0.2 ms to
run the plan; with these subqueries, 1.0–1.1 ms (BENCHMARKS.md, issue 22). The rows are the same.
"""

import datetime as dt
import itertools
import json
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model, OuterRef, QuerySet, Subquery, TextField
from django.db.models.functions import Cast

from centres.models import Candidate, Centre, Entry
from exams.models import Exam, ExamSession
from results.models import Result
from results.selectors import (
    Audience,
    entries_with_result_under_review,
    entries_with_result_visible,
    window_closed,
)
from results_portal.prepared import PreparedQuery, rows_as_prepared
from verification.models import ShareLink, Verification, VerifierOrganisation

# What the page shows of an entry, of its result, and of each verification of it.
ENTRY_FIELDS = (
    "pk",
    "public_id",
    "candidate_id",
    "status",
    "centre_name",
    "session__date",
    "session__window_start",
    "session__window_end",
    "exam_name",
    # With the result's grade, score and qualification: how the result is printed (results.presentation).
    "exam_code",
    "exam_family",
    "exam_ums_max_total",
    "person_first_name",
)
RESULT_FIELDS = (
    "result__pk",
    "result__version",
    "result__ready_at",
    "result__amended_at",
    "result__grade",
    "result__overall_score",
    "result__cefr_level",
    "result_qualification",  # as text: the prepared query's rows are the database's, without Django's converters
)
VERIFICATION_FIELDS = (
    "verifications__pk",
    "verifications__at",
    "verifications__channel",
    "verifications__organisation_name",
    "organisation_verified_at",
    "share_link_organisation_name",
)
LINE_FIELDS = (*ENTRY_FIELDS, "result_visible", "result_under_review", *RESULT_FIELDS, *VERIFICATION_FIELDS)
# The newest session first, as the page lists them (the entry's id settles ties); verifications newest first.
LINE_ORDER = ("-session__date", "candidate_id", "pk", "-verifications__at", "-verifications__pk")

_ENTRY = slice(0, len(ENTRY_FIELDS))
_VISIBLE = LINE_FIELDS.index("result_visible")
_UNDER_REVIEW = LINE_FIELDS.index("result_under_review")
_RESULT = slice(_UNDER_REVIEW + 1, _UNDER_REVIEW + 1 + len(RESULT_FIELDS))
_VERIFICATION = slice(_RESULT.stop, None)
_WINDOW_START = ENTRY_FIELDS.index("session__window_start")
_WINDOW_END = ENTRY_FIELDS.index("session__window_end")


@dataclass(frozen=True)
class DashboardLine:
    """One entry of an account's dashboard as read at one moment: the decisions about it, and all it shows."""

    entry_id: int
    visible: bool  # ``results_visible`` gives the account its result
    under_review: bool  # its result was out to the account and is held (``entries_under_review``)
    window_closed: bool  # its release window has closed: without a result, 'Q' (``entry_is_pending``)
    window_open: bool  # its release window has opened
    verified: bool  # someone has verified it
    shown: tuple[object, ...]  # every value the page shows of it, with the decisions: for the page's key


def _one(model: type[Model], field: str, *, pk: str) -> Subquery:
    """Return ``field`` of the ``model`` row whose primary key is the outer query's ``pk`` (NULL if none), as a
    subquery: planned apart from the query's joins."""
    return Subquery(model._default_manager.filter(pk=OuterRef(pk)).order_by().values(field)[:1])


def _rows(entries: QuerySet[Entry], *, audience: Audience, now: dt.datetime, leading: Sequence[str] = ()) -> Any:
    """Return the lines' query for these entries: one row per entry and verification, ``leading`` values first."""
    annotated = entries_with_result_under_review(
        entries_with_result_visible(entries, audience=audience, now=now), audience=audience, now=now
    ).annotate(
        result_qualification=Cast("result__qualification", output_field=TextField()),
        centre_name=_one(Centre, "name", pk="centre_id"),
        exam_name=_one(Exam, "name", pk="session__exam_id"),
        exam_code=_one(Exam, "code", pk="session__exam_id"),
        exam_family=_one(Exam, "family", pk="session__exam_id"),
        exam_ums_max_total=_one(Exam, "ums_max_total", pk="session__exam_id"),
        person_first_name=_one(Candidate, "first_name", pk="person_id"),
        organisation_verified_at=_one(VerifierOrganisation, "verified_at", pk="verifications__organisation_id"),
        share_link_organisation_name=_one(ShareLink, "organisation_name", pk="verifications__share_link_id"),
    )
    return annotated.order_by(*leading, *LINE_ORDER).values_list(*leading, *LINE_FIELDS)


_dashboard_lines = PreparedQuery(
    lambda account_id, now: _rows(
        Entry.objects.filter(account_link__account_id=account_id), audience=Audience.candidate(account_id), now=now
    ),
    {"account_id": int, "now": dt.datetime},
    database=DEFAULT_DB_ALIAS,
)


def _lines(rows: Iterable[Sequence[Any]], *, now: dt.datetime) -> list[DashboardLine]:
    """Return the lines of these rows (``LINE_FIELDS``, those of one entry together), as they stand at ``now``."""
    lines = []
    for entry_id, group in itertools.groupby(rows, key=operator.itemgetter(0)):
        same = list(group)
        first = same[0]
        visible, under_review = bool(first[_VISIBLE]), bool(first[_UNDER_REVIEW])
        closed = window_closed(window_end=first[_WINDOW_END], now=now)
        opened = first[_WINDOW_START] <= now
        verifications = tuple(tuple(row[_VERIFICATION]) for row in same if row[_VERIFICATION][0] is not None)
        result = tuple(first[_RESULT]) if visible else None
        lines.append(
            DashboardLine(
                entry_id=entry_id,
                visible=visible,
                under_review=under_review,
                window_closed=closed,
                window_open=opened,
                verified=bool(verifications),
                shown=(tuple(first[_ENTRY]), result, under_review, closed, opened, verifications),
            )
        )
    return lines


def dashboard_lines(*, account_id: int, now: dt.datetime) -> list[DashboardLine]:
    """Return the lines of an account's dashboard as the account may see them at ``now`` (one query)."""
    return _lines(_dashboard_lines.rows(account_id=account_id, now=now), now=now)


def dashboard_lines_query(*, account_id: int, now: dt.datetime) -> tuple[str, list[Any]]:
    """Return ``dashboard_lines``' query (SQL and values), to send in another query's round trip (PostgreSQL);
    its rows go to ``dashboard_lines_of`` with the same ``now``."""
    return _dashboard_lines.query_string(account_id=account_id, now=now)


def dashboard_lines_of(rows: Iterable[Sequence[Any]], *, now: dt.datetime) -> list[DashboardLine]:
    """Return the lines in the rows of ``dashboard_lines_query`` made with ``now``."""
    return _lines(rows, now=now)


def dashboard_lines_bulk(*, entry_ids: Iterable[int], now: dt.datetime) -> dict[int, list[DashboardLine]]:
    """Return, keyed by account id, the dashboard lines of the accounts holding these entries (only these entries)
    as each account's request would read them at ``now`` (one query; for the pages drawn ahead).

    Pass every entry of each account: the lines are those of the entries given.
    """
    ids = tuple(entry_ids)
    if not ids:
        return {}
    rows = rows_as_prepared(
        _rows(
            Entry.objects.filter(pk__in=ids, account_link__isnull=False),
            audience=Audience(entry_ids=ids),
            now=now,
            leading=("account_link__account_id",),
        ),
        database=DEFAULT_DB_ALIAS,
    )
    return {
        account_id: _lines((row[1:] for row in group), now=now)
        for account_id, group in itertools.groupby(rows, key=operator.itemgetter(0))
    }


def line_objects(line: DashboardLine) -> tuple[Entry, Result | None, list[Verification]]:
    """Return the entry (with its session, exam, centre and person), its result if the line has it visible, and its
    verifications (newest first), as unsaved objects holding the line's own values: what the page is drawn from.

    No query, and nothing the line was not read with: a page drawn from these shows exactly the data of its key.
    The objects hold only the values the page shows (``LINE_FIELDS``).
    """
    entry_values, result_values, *_, verification_rows = line.shown
    shown = dict(zip(ENTRY_FIELDS, cast(tuple[Any, ...], entry_values), strict=True))
    exam = Exam(
        name=shown["exam_name"],
        code=shown["exam_code"],
        family=shown["exam_family"],
        ums_max_total=shown["exam_ums_max_total"],
    )
    session = ExamSession(
        date=shown["session__date"],
        window_start=shown["session__window_start"],
        window_end=shown["session__window_end"],
        exam=exam,
    )
    entry = Entry(
        pk=shown["pk"],
        public_id=shown["public_id"],
        candidate_id=shown["candidate_id"],
        status=shown["status"],
        session=session,
        centre=Centre(name=shown["centre_name"]),
        person=Candidate(first_name=shown["person_first_name"]),
    )
    return entry, _line_result(result_values), [_line_verification(row) for row in cast(Any, verification_rows)]


def _line_result(values: object) -> Result | None:
    if values is None:
        return None
    found = dict(zip(RESULT_FIELDS, cast(tuple[Any, ...], values), strict=True))
    qualification = found["result_qualification"]
    return Result(
        pk=found["result__pk"],
        version=found["result__version"],
        ready_at=found["result__ready_at"],
        amended_at=found["result__amended_at"],
        grade=found["result__grade"],
        overall_score=found["result__overall_score"],
        cefr_level=found["result__cefr_level"],
        qualification=None if qualification is None else json.loads(qualification),
    )


def _line_verification(values: tuple[Any, ...]) -> Verification:
    found = dict(zip(VERIFICATION_FIELDS, values, strict=True))
    verified_at, share_link_name = found["organisation_verified_at"], found["share_link_organisation_name"]
    return Verification(
        pk=found["verifications__pk"],
        at=found["verifications__at"],
        channel=found["verifications__channel"],
        organisation_name=found["verifications__organisation_name"],
        # What the page asks of them: whether the board has vetted the organisation, the share link's addressee.
        organisation=None if verified_at is None else VerifierOrganisation(verified_at=verified_at),
        share_link=ShareLink(organisation_name=share_link_name) if share_link_name else None,
    )
