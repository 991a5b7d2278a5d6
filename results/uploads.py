"""Results files uploaded by board staff in the browser: a dry run first, the import on a second click.

The dry run is the import itself (``results.imports.results_import``) inside a transaction that is rolled back,
so it checks exactly what the import will check and counts exactly what it will create, replace and amend; the
grade distribution of each session in the file is read inside that transaction and set beside the same exam's
session a year earlier. Nothing it did survives: no result, no event, no email (callbacks registered with
``on_commit`` are dropped with the rollback).
"""

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count
from django.utils import timezone

from accounts.models import User
from centres.models import Entry
from exams.models import ExamSession
from results_portal.csvimport import ImportRejected

from .imports import results_import
from .models import Result, ResultsUpload

SHARE_MOVED_POINTS = 10  # a grade's share that moved by more than this many points since last year is flagged
MISSING_SHOWN = 20


class _DryRun(Exception):
    """Raised to roll the dry run's transaction back once its figures are read."""

    def __init__(self, preview: dict[str, Any]) -> None:
        self.preview = preview


def _last_year(session: ExamSession) -> ExamSession | None:
    """Return the same exam's session in the same mode closest to a year before ``session`` (±45 days)."""
    target = session.date - dt.timedelta(days=365)
    near = ExamSession.objects.filter(
        exam_id=session.exam_id,
        mode=session.mode,
        date__range=(target - dt.timedelta(days=45), target + dt.timedelta(days=45)),
    )
    return min(near, key=lambda other: abs((other.date - target).days), default=None)


def _grades(session_ids: list[int]) -> dict[int, list[tuple[str, int, float]]]:
    """Return each session's (grade, count, mean overall score) of its entered candidates' results."""
    rows = (
        Result.objects.filter(entry__session_id__in=session_ids, entry__status=Entry.Status.ENTERED)
        .values("entry__session_id", "grade")
        .annotate(n=Count("pk"), mean=Avg("overall_score"))
    )
    found: dict[int, list[tuple[str, int, float]]] = defaultdict(list)
    for row in rows:
        found[row["entry__session_id"]].append((row["grade"] or "—", row["n"], float(row["mean"] or 0)))
    return found


def _share(count: int, total: int) -> float:
    return round(100 * count / total, 1) if total else 0.0


def _session_preview(session: ExamSession, this: list[Any], last: ExamSession | None, before: list[Any]) -> dict:
    total, last_total = sum(n for _g, n, _m in this), sum(n for _g, n, _m in before)
    means = {grade: mean for grade, _n, mean in [*before, *this]}
    counts = {grade: n for grade, n, _m in this}
    last_counts = {grade: n for grade, n, _m in before}
    rows = [
        {
            "grade": grade,
            "count": counts.get(grade, 0),
            "share": _share(counts.get(grade, 0), total),
            "last_count": last_counts.get(grade, 0),
            "last_share": _share(last_counts.get(grade, 0), last_total),
        }
        for grade in sorted(means, key=lambda grade: -means[grade])
    ]
    missing = list(
        Entry.objects.filter(session=session, status=Entry.Status.ENTERED, result__isnull=True)
        .order_by("candidate_id")
        .values_list("candidate_id", flat=True)
    )
    unusual = []
    if last is not None and last_total:
        for row in rows:
            moved = row["share"] - row["last_share"]
            if abs(moved) > SHARE_MOVED_POINTS:
                unusual.append(
                    f"{session}: {row['grade']} is {row['share']}% of results, {row['last_share']}% in {last} "
                    f"({moved:+.1f} points)"
                )
    if missing:
        unusual.append(f"{session}: {len(missing)} entered candidate(s) still without a result")
    return {
        "session": str(session),
        "session_id": session.pk,
        "total": total,
        "last": str(last) if last is not None else "",
        "last_total": last_total,
        "rows": rows,
        "missing": len(missing),
        "missing_ids": missing[:MISSING_SHOWN],
        "unusual": unusual,
    }


def results_dry_run(*, text: str, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Check and count a results file as the import would, and return its preview; write nothing.

    Raise ``ImportRejected`` (every bad line) as the import would.
    """
    started = time.monotonic()
    try:
        with transaction.atomic():
            summary = results_import(text=text, progress=progress)
            sessions = list(
                ExamSession.objects.select_related("exam").filter(pk__in=summary.session_ids).order_by("date")
            )
            last = {session.pk: _last_year(session) for session in sessions}
            grades = _grades([s.pk for s in sessions] + [s.pk for s in last.values() if s is not None])
            previews = []
            for session in sessions:
                before = last[session.pk]
                earlier = grades.get(before.pk, []) if before is not None else []
                previews.append(_session_preview(session, grades.get(session.pk, []), before, earlier))
            raise _DryRun(
                {
                    "summary": {
                        "created": summary.created,
                        "replaced": summary.replaced,
                        "amended": summary.amended,
                        "unchanged": summary.unchanged,
                    },
                    "sessions": previews,
                    "unusual": [line for preview in previews for line in preview["unusual"]],
                }
            )
    except _DryRun as dry:
        dry.preview["seconds"] = round(time.monotonic() - started, 2)
        return dry.preview


def upload_preview(*, upload: ResultsUpload, progress: Callable[[int, int], None] | None = None) -> None:
    """Run the dry run of an upload and keep its preview, or its rejection (every bad line, at most 100 kept)."""
    try:
        upload.preview = results_dry_run(text=upload.source, progress=progress)
    except ImportRejected as rejected:
        upload.status = ResultsUpload.Status.REJECTED
        upload.errors = [str(rejected), *rejected.messages()]
        upload.source = ""
        upload.finished_at = timezone.now()
    else:
        upload.status = ResultsUpload.Status.PREVIEWED
    upload.save()


def upload_import(
    *, upload: ResultsUpload, actor: User | None, progress: Callable[[int, int], None] | None = None
) -> None:
    """Import a previewed upload for real (checked again: the data may have moved since the preview)."""
    try:
        summary = results_import(text=upload.source, actor=actor, progress=progress)
    except ImportRejected as rejected:
        upload.status = ResultsUpload.Status.REJECTED
        upload.errors = [str(rejected), *rejected.messages()]
    else:
        upload.status = ResultsUpload.Status.DONE
        upload.summary = {
            "created": summary.created,
            "replaced": summary.replaced,
            "amended": summary.amended,
            "unchanged": summary.unchanged,
        }
    upload.source = ""
    upload.finished_at = timezone.now()
    upload.save()


def distribution_chart_svg(preview: dict[str, Any]) -> str:
    """Return a bar chart of a session's grade shares: this file beside the same session last year (SVG).

    Every text is escaped; the chart has a title and a description, and the same figures are in the table beside
    it, so it adds nothing a screen reader misses.
    """
    from django.utils.html import escape

    rows = preview["rows"]
    bar, gap, label_width, width = 14, 10, 150, 560
    height = 40 + len(rows) * ((2 if preview["last"] else 1) * bar + gap)
    scale = (width - label_width - 60) / 100
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="chart-{preview["session_id"]}-title">',
        f'<title id="chart-{preview["session_id"]}-title">{escape(preview["session"])}: share of each result, '
        f"this file{' and ' + escape(preview['last']) if preview['last'] else ''}</title>",
        f'<rect x="{label_width}" y="6" width="12" height="12" fill="#0b3d6e"/>'
        f'<text x="{label_width + 18}" y="16" font-size="12">this file ({preview["total"]})</text>',
    ]
    if preview["last"]:
        parts.append(
            f'<rect x="{label_width + 170}" y="6" width="12" height="12" fill="#9bb4cc"/>'
            f'<text x="{label_width + 188}" y="16" font-size="12">{escape(preview["last"])} '
            f"({preview['last_total']})</text>"
        )
    y = 32
    for row in rows:
        parts.append(f'<text x="0" y="{y + bar + 4}" font-size="12">{escape(row["grade"])}</text>')
        bars = [(row["share"], "#0b3d6e")] + ([(row["last_share"], "#9bb4cc")] if preview["last"] else [])
        for share, colour in bars:
            length = max(share * scale, 0.5)
            parts.append(f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar}" fill="{colour}"/>')
            parts.append(f'<text x="{label_width + length + 4:.1f}" y="{y + bar - 3}" font-size="11">{share}%</text>')
            y += bar
        y += gap
    parts.append("</svg>")
    return "".join(parts)
