"""The Statement of Results chart, and the result words shared by the statement and the dashboard.

The chart is an SVG string built on the server: no JavaScript and no chart library, so it is the same in the
browser, with scripts off, in print and in a PDF, and it costs microseconds on results day. Every piece of text
in it is escaped here. Screen readers get its ``<title>`` and ``<desc>`` (the scores in words); the page also
shows the same scores in a table, so the chart never carries information on its own.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from grading.scale import RESULT_FAIL, RESULT_NO_RESULT, ScaleExam, scale_exam

if TYPE_CHECKING:
    from results_portal.traffic import TrafficMinute

    from .selectors import TimelinePoint

# The results as grading/scale.py prints them, so the candidate reads them in their own language.
RESULT_NAMES: Mapping[str, Promise] = MappingProxyType(
    {
        "Pass with Distinction": pgettext_lazy("exam result", "Pass with Distinction"),
        "Pass with Merit": pgettext_lazy("exam result", "Pass with Merit"),
        "Pass": pgettext_lazy("exam result", "Pass"),
        "Grade A": pgettext_lazy("exam result", "Grade A"),
        "Grade B": pgettext_lazy("exam result", "Grade B"),
        "Grade C": pgettext_lazy("exam result", "Grade C"),
        "Level A1": pgettext_lazy("exam result", "Level A1"),
        "Level A2": pgettext_lazy("exam result", "Level A2"),
        "Level B1": pgettext_lazy("exam result", "Level B1"),
        "Level B2": pgettext_lazy("exam result", "Level B2"),
        "Level C1": pgettext_lazy("exam result", "Level C1"),
        RESULT_FAIL: pgettext_lazy("exam result", "Fail"),
        RESULT_NO_RESULT: pgettext_lazy("exam result", "No result"),
    }
)

# Geometry in viewBox units. 420 wide keeps 14-unit text at about 11 px on a 360 px phone; the labels sit on
# their own line above each bar so that long translated skill names never squeeze the plot.
WIDTH = 420
PLOT_LEFT = 8
PLOT_RIGHT = 372  # the rest is room for the score printed after the longest bar
KEY_ROW = 24
BAR_ROW = 50
BAR_HEIGHT = 18
# The axis starts a little below the reported minimum so that a bar at (or below) the minimum is still seen.
AXIS_LEAD = 2

INK = "#1b1b1b"  # 17:1 on white
MUTED = "#4a4a4a"  # 8.9:1 on white
BAR = "#0b3d6e"  # 11:1 on white, 9.6:1 on the darker band tint
OVERALL_BAR = INK
BAND_TINTS = ("#e3ebf4", "#f7f9fb")  # alternate bands; the dashed boundaries and the labels tell them apart too
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans CJK SC', sans-serif"


def result_name(result: str) -> str:
    """Return a result as printed (e.g. ``Grade B``) in the active language; unknown results are returned as given."""
    name = RESULT_NAMES.get(result)
    return str(name) if name is not None else result


def below_text(minimum: int) -> str:
    """Return what is shown instead of a score under the reported range, e.g. ``below 122``."""
    return _("below %(minimum)d") % {"minimum": minimum}


def score_display(*, exam: ScaleExam, score: int | None) -> str:
    """Return a score as the Statement of Results shows it: capped at the top of the scale, or ``below N``.

    The same rule as ``grading.scale`` (docs/decisions/0002-grading-rules.md); ``None`` is an overall score
    below the reported range, which is stored empty.
    """
    if score is None or score < exam.reported_min:
        return below_text(exam.reported_min)
    return str(min(score, exam.reported_max))


def _zones(exam: ScaleExam) -> list[tuple[int, int, str, bool]]:
    """Return (low, high, label, has certificate) for each band from the top down, then the Fail range if any."""
    zones = [
        (
            band.low,
            band.high,
            _("%(result)s · %(level)s") % {"result": result_name(band.result), "level": band.cefr},
            True,
        )
        for band in exam.bands
    ]
    lowest = exam.bands[-1].low
    if exam.reported_min < lowest:
        zones.append((exam.reported_min, lowest - 1, _("Fail · no certificate"), False))
    return zones


def _overall_words(exam: ScaleExam, overall: int | None) -> str:
    if overall is None or overall < exam.reported_min:
        return _("Overall %(score)s (%(result)s)") % {
            "score": below_text(exam.reported_min),
            "result": result_name(RESULT_NO_RESULT),
        }
    shown = min(overall, exam.reported_max)
    band = next((band for band in exam.bands if band.low <= shown <= band.high), None)
    if band is None:
        return _("Overall %(score)s (%(result)s)") % {"score": shown, "result": result_name(RESULT_FAIL)}
    return _("Overall %(score)s (%(result)s, %(level)s)") % {
        "score": shown,
        "result": result_name(band.result),
        "level": band.cefr,
    }


def _text(x: float, y: float, content: str, *, size: int, anchor: str = "start", weight: int = 400) -> str:
    # A white halo (paint-order) keeps text readable where it crosses a band boundary or the hatching.
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" text-anchor="{anchor}" '
        f'fill="{INK}" stroke="#ffffff" stroke-width="3" paint-order="stroke">{escape(content)}</text>'
    )


def component_chart_svg(
    *, exam_code: str, on: dt.date, components: Sequence[tuple[str, int]], overall: int | None
) -> str:
    """Return an accessible SVG bar chart of the skill scores and the overall score on the exam's scale.

    The bands are those of the exam's format in force for a sitting on ``on`` (docs/domain.md §5.9).
    ``components`` are (label, score as imported) in the order printed, ``overall`` the overall score (``None``
    below the reported range). Bars run from the bottom of the exam's reported range; the grade bands are
    shaded behind them and labelled with the result and CEFR level. A score below the reported minimum gets a
    bar to the minimum labelled ``below N``; one above the maximum is shown as the maximum, as on the
    statement. Raises ValueError for an exam that is not reported on the Cambridge English Scale.
    """
    exam = scale_exam(exam_code, on=on)
    origin = exam.reported_min - AXIS_LEAD
    end = exam.reported_max + 0.5
    unit = (PLOT_RIGHT - PLOT_LEFT) / (end - origin)

    def x(score: float) -> float:
        return PLOT_LEFT + (score - origin) * unit

    zones = _zones(exam)
    rows: list[tuple[str, int | None, bool]] = [(label, score, False) for label, score in components]
    rows.append((_("Overall"), overall, True))

    key_top = 4
    bars_top = key_top + len(zones) * KEY_ROW + 8
    axis_y = bars_top + len(rows) * BAR_ROW + 10
    height = axis_y + 44
    slug = escape(exam.code.lower())
    title = _("%(exam)s: your Cambridge English Scale scores") % {"exam": exam.name}
    scores_words = ", ".join(f"{label} {score_display(exam=exam, score=score)}" for label, score in components)
    bands_words = "; ".join(f"{low}–{high} {label}" for low, high, label, _cert in zones)
    desc = _("%(scores)s, %(overall)s. Scale shown from %(minimum)d to %(maximum)d. Bands: %(bands)s.") % {
        "scores": scores_words,
        "overall": _overall_words(exam, overall),
        "minimum": exam.reported_min,
        "maximum": exam.reported_max,
        "bands": bands_words,
    }
    overall_band = None
    if overall is not None and overall >= exam.reported_min:
        shown = min(overall, exam.reported_max)
        overall_band = next((low for low, high, _label, _cert in zones if low <= shown <= high), None)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" aria-labelledby="chart-{slug}-title chart-{slug}-desc" font-family="{escape(FONT)}" '
        f'class="score-chart-svg">',
        f'<title id="chart-{slug}-title">{escape(title)}</title>',
        f'<desc id="chart-{slug}-desc">{escape(desc)}</desc>',
        "<defs>"
        f'<pattern id="chart-{slug}-hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        '<rect width="8" height="8" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="8" stroke="#bdbdbd" '
        'stroke-width="2"/></pattern>'
        "</defs>",
    ]

    # Bands as vertical stripes behind the bars, with dashed boundaries so they do not depend on the tints.
    for index, (low, high, _label, certified) in enumerate(zones):
        left, right = x(low - 0.5), x(high + 0.5)
        fill = BAND_TINTS[index % 2] if certified else f"url(#chart-{slug}-hatch)"
        parts.append(
            f'<rect x="{left:.1f}" y="{key_top}" width="{right - left:.1f}" height="{axis_y - key_top}" '
            f'fill="{fill}"/>'
        )
        parts.append(
            f'<line x1="{left:.1f}" y1="{key_top}" x2="{left:.1f}" y2="{axis_y}" stroke="{MUTED}" '
            'stroke-width="1" stroke-dasharray="3 3"/>'
        )

    # The band key: one row per band, the label over a bracket spanning the band, reading towards the middle.
    middle = (PLOT_LEFT + PLOT_RIGHT) / 2
    for row, (low, high, label, _cert) in enumerate(zones):
        left, right = x(low - 0.5), x(high + 0.5)
        top = key_top + row * KEY_ROW
        weight = 700 if low == overall_band else 400
        if (left + right) / 2 > middle:
            parts.append(_text(right - 3, top + 14, label, size=13, anchor="end", weight=weight))
        else:
            parts.append(_text(left + 3, top + 14, label, size=13, weight=weight))
        parts.append(
            f'<rect x="{left + 1:.1f}" y="{top + 17}" width="{right - left - 2:.1f}" height="3" fill="{MUTED}"/>'
        )

    for row, (label, score, is_overall) in enumerate(rows):
        top = bars_top + row * BAR_ROW
        if is_overall:
            parts.append(
                f'<line x1="{PLOT_LEFT}" y1="{top - 3}" x2="{PLOT_RIGHT}" y2="{top - 3}" stroke="{INK}" '
                'stroke-width="1.5"/>'
            )
        below = score is None or score < exam.reported_min
        bar_end = x(exam.reported_min if score is None or below else min(score, exam.reported_max))
        bar_y = top + 22
        parts.append(_text(PLOT_LEFT, top + 16, label, size=14, weight=700 if is_overall else 600))
        fill = OVERALL_BAR if is_overall else BAR
        parts.append(
            f'<rect x="{PLOT_LEFT}" y="{bar_y}" width="{bar_end - PLOT_LEFT:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{fill}"/>'
        )
        parts.append(
            _text(
                bar_end + 5,
                bar_y + 14,
                score_display(exam=exam, score=score),
                size=15 if not below else 14,
                weight=700,
            )
        )

    parts.append(
        f'<line x1="{PLOT_LEFT}" y1="{axis_y}" x2="{PLOT_RIGHT}" y2="{axis_y}" stroke="{INK}" stroke-width="1.5"/>'
    )
    ticks = sorted({exam.reported_min, exam.reported_max, *(band.low for band in exam.bands)})
    for tick in ticks:
        tx = x(tick)
        parts.append(f'<line x1="{tx:.1f}" y1="{axis_y}" x2="{tx:.1f}" y2="{axis_y + 5}" stroke="{INK}"/>')
        parts.append(_text(tx, axis_y + 19, str(tick), size=12, anchor="middle"))
    parts.append(_text(PLOT_LEFT, axis_y + 37, _("Cambridge English Scale"), size=12))
    parts.append("</svg>")
    return "".join(parts)


def release_timeline_svg(points: Sequence["TimelinePoint"], *, title: str) -> str:
    """Return the cumulative release of a session as two step lines: results visible and emails sent (SVG).

    ``points`` are ``results.selectors.TimelinePoint``; the page shows the same totals in words beside it.
    """
    if not points:
        return ""
    width, height, left, right, top, bottom = 640, 220, 48, 12, 28, 30
    first, last = points[0].at, points[-1].at
    span = max((last - first).total_seconds(), 1.0)
    peak = max(max(p.visible, p.emails_sent) for p in points) or 1

    def x(at: dt.datetime) -> float:
        return left + (width - left - right) * (at - first).total_seconds() / span

    def y(value: int) -> float:
        return height - bottom - (height - top - bottom) * value / peak

    def steps(attribute: str) -> str:
        path: list[str] = []
        previous = None
        for point in points:
            value = getattr(point, attribute)
            if previous is not None:
                path.append(f"{x(point.at):.1f},{y(previous):.1f}")
            path.append(f"{x(point.at):.1f},{y(value):.1f}")
            previous = value
        return " ".join(path)

    last_point = points[-1]
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-labelledby="timeline-title" class="timeline">',
            f'<title id="timeline-title">{escape(title)}: {last_point.visible} results visible, '
            f"{last_point.emails_sent} emails sent</title>",
            f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="{MUTED}"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="{MUTED}"/>',
            f'<text x="{left - 6}" y="{top + 4}" font-size="11" text-anchor="end" fill="{INK}">{peak}</text>',
            f'<text x="{left - 6}" y="{height - bottom}" font-size="11" text-anchor="end" fill="{INK}">0</text>',
            f'<text x="{left}" y="{height - 10}" font-size="11" fill="{INK}">{escape(_time(first))}</text>',
            f'<text x="{width - right}" y="{height - 10}" font-size="11" text-anchor="end" fill="{INK}">'
            f"{escape(_time(last))}</text>",
            f'<polyline points="{steps("visible")}" fill="none" stroke="{BAR}" stroke-width="2.5"/>',
            f'<polyline points="{steps("emails_sent")}" fill="none" stroke="#b35900" stroke-width="2" '
            'stroke-dasharray="6 3"/>',
            f'<line x1="{left + 8}" y1="12" x2="{left + 32}" y2="12" stroke="{BAR}" stroke-width="2.5"/>',
            f'<text x="{left + 38}" y="16" font-size="12" fill="{INK}">results visible</text>',
            f'<line x1="{left + 160}" y1="12" x2="{left + 184}" y2="12" stroke="#b35900" stroke-width="2" '
            'stroke-dasharray="6 3"/>',
            f'<text x="{left + 190}" y="16" font-size="12" fill="{INK}">emails sent</text>',
            "</svg>",
        ]
    )


def _time(moment: dt.datetime) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%d %b %H:%M")


def traffic_chart_svg(minutes: Sequence["TrafficMinute"], *, title: str) -> str:
    """Return pages served per minute as bars, the server errors among them in a second colour (SVG)."""
    if not minutes:
        return ""
    width, height, left, bottom, top = 640, 160, 48, 24, 24
    peak = max(m.pages for m in minutes) or 1
    step = (width - left - 8) / len(minutes)
    bars = []
    for index, minute in enumerate(minutes):
        x = left + index * step
        for value, colour in ((minute.pages, BAR), (minute.errors, "#a4161a")):
            if value:
                h = (height - top - bottom) * value / peak
                bars.append(
                    f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{max(step - 1, 1):.1f}" '
                    f'height="{h:.1f}" fill="{colour}"/>'
                )
    total, errors = sum(m.pages for m in minutes), sum(m.errors for m in minutes)
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            'aria-labelledby="traffic-title" class="timeline">',
            f'<title id="traffic-title">{escape(title)}: {total} pages, {errors} server errors, '
            f"at most {peak} pages a minute</title>",
            f'<text x="{left - 6}" y="{top + 4}" font-size="11" text-anchor="end" fill="{INK}">{peak}</text>',
            f'<text x="{left - 6}" y="{height - bottom}" font-size="11" text-anchor="end" fill="{INK}">0</text>',
            f'<line x1="{left}" y1="{height - bottom}" x2="{width - 8}" y2="{height - bottom}" stroke="{MUTED}"/>',
            *bars,
            f'<text x="{left}" y="{height - 6}" font-size="11" fill="{INK}">{escape(_time(minutes[0].at))}</text>',
            f'<text x="{width - 8}" y="{height - 6}" font-size="11" text-anchor="end" fill="{INK}">'
            f"{escape(_time(minutes[-1].at))}</text>",
            f'<rect x="{left + 8}" y="6" width="12" height="12" fill="{BAR}"/>',
            f'<text x="{left + 26}" y="16" font-size="12" fill="{INK}">pages served</text>',
            f'<rect x="{left + 140}" y="6" width="12" height="12" fill="#a4161a"/>',
            f'<text x="{left + 158}" y="16" font-size="12" fill="{INK}">server errors</text>',
            "</svg>",
        ]
    )
