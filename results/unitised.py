"""Unitised qualifications: unit raw marks → UMS through the series' boundaries, and cash-in results.

Rules: docs/domain.md §8 'Unitised qualifications (UMS)'. The arithmetic is ``grading.ums``; this
module finds the tables it needs (the unit's fixed UMS boundaries, the series' raw boundaries in force)
and stores the outcome. A qualification grade is worked out only where a certification entry exists, from
the best result of each unit across every series the student sat.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from centres.models import CertificationEntry, Entry
from exams.models import Component, Exam
from exams.selectors import series_label
from grading.ums import UnitResult, qualification_result, raw_to_ums, ums_cap, unit_grade

from .events import result_event_record
from .models import ComponentScore, OutgoingEmail, Result, ResultAmendment, ResultEvent
from .release import release_instants, seen_by_anyone

NO_BOUNDARIES = _("no grade boundaries are set for unit %(unit)s in the %(series)s series")
NOT_ENTERED_FOR_UNIT = _("Candidate ID %(candidate_id)s is not entered for unit %(unit)s in this series")
RAW_OUT_OF_RANGE = _("raw mark %(value)d is out of range for unit %(unit)s (0–%(maximum)d)")
UNIT_RESULTS_ONLY = "Unit results only"
QUALIFICATION_WORKED_OUT_AGAIN = "Qualification result worked out again after a change to its unit results."


def unit_score_grade(*, unit: Component, raw: int, raw_boundaries: list[int]) -> tuple[int, str]:
    """Return (UMS, unit grade) for a raw mark on a unit, through the grading engine."""
    ums_boundaries = [int(b) for b in unit.ums_boundaries or []]
    ums_max, raw_max = int(unit.ums_max or 0), int(unit.max_mark or 0)
    ums = raw_to_ums(
        raw=raw,
        raw_boundaries=raw_boundaries,
        raw_max=raw_max,
        ums_boundaries=ums_boundaries,
        ums_max=ums_max,
        cap=ums_cap(rule=unit.ums_cap_rule, raw_boundaries=raw_boundaries, raw_max=raw_max),
    )
    return ums, unit_grade(ums=ums, ums_boundaries=ums_boundaries)


def entered_units(*, entry_ids: Iterable[int]) -> dict[int, set[str]]:
    """Return the unit codes each entry is entered for."""
    from centres.models import UnitEntry

    units: dict[int, set[str]] = defaultdict(set)
    for entry_id, code in UnitEntry.objects.filter(entry_id__in=list(entry_ids)).values_list("entry_id", "unit__code"):
        units[entry_id].add(code)
    return units


def required_units_for(*, exam: Exam, best: dict[str, int]) -> list[str]:
    """Return the units a cash-in counts: every mandatory unit and the best optional ones the rules ask for."""
    units = list(exam.components.order_by("order"))
    mandatory = [u.code for u in units if u.mandatory]
    optional = sorted((u for u in units if not u.mandatory), key=lambda u: (-best.get(u.code, -1), u.order))
    return mandatory + [u.code for u in optional[: exam.optional_units_required]]


def qualifications_refresh(
    *,
    person_exam_pairs: Iterable[tuple[int, int]],
    now: dt.datetime | None = None,
    actor: Any = None,
    reason: str = "",
    amended_now: Iterable[int] = (),
) -> int:
    """Work out again the qualification result of every cash-in of these (person, qualification) pairs.

    Return how many results changed. A cash-in in a series counts the best result per unit among the series
    up to and including its own — never a later series, whose results are under their own embargo and must
    not change (or reveal anything through) a result already out. Without a certification entry only unit
    results exist. A result already visible changes only as an amendment: a new version with the old values
    kept, the candidate emailed and every derived output told (``ResultEvent.Kind.AMENDED``). Results in
    ``amended_now`` were amended by the caller in this transaction: their amendment takes the new values too.
    """
    already_amended = set(amended_now)
    moment = now or timezone.now()
    pairs = set(person_exam_pairs)
    if not pairs:
        return 0
    person_ids = {p for p, _ in pairs}
    scores = (
        ComponentScore.objects.filter(result__entry__person_id__in=person_ids, ums__isnull=False)
        .select_related("component", "result__entry__session")
        .order_by("result__entry__session__date")
    )
    by_pair: dict[tuple[int, int], list[UnitResult]] = defaultdict(list)
    absent: set[tuple[int, int, str, str]] = set()  # (person, qualification, unit, series): absent, 0 UMS
    labels: dict[str, str] = {}
    for score in scores:
        session = score.result.entry.session
        key = (score.result.entry.person_id, session.exam_id)
        if key in pairs:
            # A series is told apart by its session, never by its month: two sittings in one month are two series.
            series = str(session.public_id)
            labels[series] = series_label(session)
            by_pair[key].append(UnitResult(score.component.code, series, session.date, int(score.ums or 0)))
            if score.absent:
                absent.add((*key, score.component.code, series))
    entered = _units_entered(person_ids=person_ids)
    cash_ins = CertificationEntry.objects.filter(
        entry__person_id__in=person_ids, entry__session__exam__family=Exam.Family.UNITISED
    ).select_related("entry__session__exam")
    amended: list[int] = []
    changed = 0
    for cash_in in cash_ins:
        entry = cash_in.entry
        exam = entry.session.exam
        if (entry.person_id, exam.pk) not in pairs:
            continue
        counted_series = [
            r for r in by_pair.get((entry.person_id, exam.pk), []) if r.series_date <= entry.session.date
        ]
        best: dict[str, int] = {}
        for unit_result in counted_series:
            best[unit_result.unit_code] = max(best.get(unit_result.unit_code, -1), unit_result.ums)
        outcome = qualification_result(
            unit_results=counted_series,
            required_units=required_units_for(exam=exam, best=best),
            boundaries=[int(b) for b in exam.qualification_boundaries or []],
            ums_max_total=int(exam.ums_max_total or 0),
        )
        not_entered = _not_entered(
            exam=exam,
            entered={code for date, code in entered.get((entry.person_id, exam.pk), []) if date <= entry.session.date},
        )
        detail: dict[str, Any] = {
            "counted": {
                r.unit_code: {"series": labels[r.series], "series_id": r.series, "ums": r.ums} for r in outcome.counted
            },
            "missing": list(outcome.missing_units),
            "ums_max_total": outcome.ums_max_total,
        }
        total_ums, grade = outcome.total_ums, outcome.grade or ""
        if not_entered:
            # X: no result, the units entered are not a valid combination (docs/domain.md §4.3).
            detail["not_entered"] = not_entered
            total_ums, grade = None, ""
        elif outcome.grade is not None:
            # '#': a counted unit was one the student was absent from; it counted 0 UMS and the grade stands.
            absent_units = [
                r.unit_code for r in outcome.counted if (entry.person_id, exam.pk, r.unit_code, r.series) in absent
            ]
            if absent_units:
                detail["absent_units"] = absent_units
        existing = Result.objects.select_for_update().filter(entry=entry).first()
        result = existing or _empty_result(entry=entry, now=moment)
        before = {"overall_score": result.overall_score, "grade": result.grade, "qualification": result.qualification}
        after = {"overall_score": total_ums, "grade": grade, "qualification": detail}
        if before == after:
            continue
        result.grade, result.overall_score, result.qualification = grade, total_ums, detail
        result.certificate = grade not in ("", "U")
        fields = ["grade", "overall_score", "qualification", "certificate"]
        shown_changed = (before["grade"], before["overall_score"]) != (grade, total_ums)
        if result.pk in already_amended:
            amendment = ResultAmendment.objects.get(result=result, version=result.version)
            amendment.after = {**amendment.after, **after}
            amendment.save(update_fields=["after"])
        elif (
            existing is not None
            and shown_changed
            and seen_by_anyone(
                released_at=result.released_at,
                centre_released_at=result.centre_released_at,
                now=moment,
            )
        ):
            result.version += 1
            result.amended_at = moment
            fields += ["version", "amended_at"]
            ResultAmendment.objects.create(
                result=result,
                version=result.version,
                actor=actor,
                reason=reason or QUALIFICATION_WORKED_OUT_AGAIN,
                before=before,
                after=after,
            )
            amended.append(result.pk)
        result.save(update_fields=fields)
        changed += 1
    if amended:
        from .emails import outgoing_emails_create, outgoing_emails_dispatch

        outgoing_emails_dispatch(
            email_ids=outgoing_emails_create(result_ids=amended, kind=OutgoingEmail.Kind.AMENDED, now=moment)
        )
        result_event_record(kind=ResultEvent.Kind.AMENDED, result_ids=amended)
    return changed


def _units_entered(*, person_ids: set[int]) -> dict[tuple[int, int], list[tuple[dt.date, str]]]:
    """Return, per (person, qualification), the (series date, unit code) of every unit entry they have."""
    from centres.models import UnitEntry

    entered: dict[tuple[int, int], list[tuple[dt.date, str]]] = defaultdict(list)
    rows = UnitEntry.objects.filter(entry__person_id__in=person_ids).values_list(
        "entry__person_id", "entry__session__exam_id", "entry__session__date", "unit__code"
    )
    for person_id, exam_id, date, code in rows:
        entered[(person_id, exam_id)].append((date, code))
    return entered


def _not_entered(*, exam: Exam, entered: set[str]) -> list[str]:
    """Return what a cash-in lacks to be a valid combination of units entered (empty when it is valid): the
    mandatory units never entered up to its series and the optional units short (docs/domain.md §4.3, §8.1)."""
    units = list(exam.components.all())
    lacking = [u.code for u in sorted(units, key=lambda u: u.order) if u.mandatory and u.code not in entered]
    short = exam.optional_units_required - len({u.code for u in units if not u.mandatory} & entered)
    if short > 0:
        lacking.append(f"{short} optional")
    return lacking


def _empty_result(*, entry: Entry, now: dt.datetime) -> Result:
    """Return a new result for a cash-in series in which the student sat no unit (all units done earlier)."""
    instants = release_instants(session=entry.session, ready_at=now)
    return Result.objects.create(
        entry=entry,
        status=Result.Status.READY,
        grade="",
        ready_at=now,
        released_at=instants.candidate,
        centre_released_at=instants.centre,
    )
