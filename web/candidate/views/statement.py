"""The candidate's Statement of Results page (/results/<entry>/)."""

import uuid
from dataclasses import dataclass
from typing import Any, cast

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from grading.scale import (
    RESULT_FAIL,
    Certification,
    ScaleExam,
)
from results.charts import below_text, component_chart_svg, result_name
from results.legacy_statement import old_style_statement
from results.models import Result
from results.presentation import indicator_explanation, result_view, scale_of
from results.selectors import (
    Audience,
    results_visible,
    statement_fingerprint,
    statement_fingerprint_of,
    statement_fingerprint_query,
)
from results_portal.pages import PageKey, cached_page, page_key, page_slot
from web.candidate.access import alongside_rows, candidate_page, request_account


@dataclass(frozen=True)
class ScoreRow:
    """One line of a table on the statement: a skill and its score, or a band and what it gives."""

    label: str
    value: str
    level: str = ""
    yours: bool = False


def _certificate_text(*, result: Result, exam: ScaleExam | None, exam_name: str) -> str:
    """Return what the certificate will say, with extended certification explained in plain words."""
    band = next((band for band in exam.bands if band.result == result.grade), None) if exam else None
    explained = indicator_explanation(result.grade) if exam is not None else None
    if explained is not None:
        return explained
    if not result.certificate:
        if exam is None:
            return _("This result does not lead to a certificate.")
        lowest = exam.bands[-1]
        if result.overall_score is None:
            return _(
                "No certificate: your overall score is below %(minimum)d, the lowest score reported for %(exam)s. "
                "A certificate needs an overall score of at least %(low)d."
            ) % {"minimum": exam.reported_min, "exam": exam_name, "low": lowest.low}
        return _(
            "No certificate: a certificate needs an overall score of at least %(low)d (%(result)s, CEFR level "
            "%(level)s)."
        ) % {"low": lowest.low, "result": result_name(lowest.result), "level": lowest.cefr}
    if exam is None or band is None:
        return _("You will receive a certificate.")
    words = {"result": result_name(band.result), "level": band.cefr, "target": exam.cefr_target}
    if band.certification is Certification.ABOVE:
        return (
            _(
                "Your certificate will state that you showed ability at CEFR level %(level)s. %(result)s is certified "
                "at %(level)s, the level above %(target)s, which the exam is designed to test. This is called "
                "extended certification."
            )
            % words
        )
    if band.certification is Certification.BELOW:
        return (
            _(
                "%(result)s: you will receive a Cambridge English certificate stating that you showed ability at CEFR "
                "level %(level)s. You narrowly missed a pass, but you showed English at %(level)s, the level below "
                "%(target)s, which the exam is designed to test. This is called extended certification."
            )
            % words
        )
    return (
        _(
            "Your certificate will state that you showed ability at CEFR level %(level)s, the level the exam is "
            "designed to test."
        )
        % words
    )


def _band_rows(*, result: Result, exam: ScaleExam) -> list[ScoreRow]:
    """Return the exam's bands as the "What do the scores mean?" table shows them, marking the candidate's."""
    rows = [
        ScoreRow(
            label=band.range_text,
            value=result_name(band.result),
            level=band.cefr,
            yours=result.certificate and band.result == result.grade,
        )
        for band in exam.bands
    ]
    lowest = exam.bands[-1].low
    no_certificate = _("no certificate")
    if exam.reported_min < lowest:
        rows.append(
            ScoreRow(
                label=f"{exam.reported_min}–{lowest - 1}",
                value=result_name(RESULT_FAIL),
                level=no_certificate,
                yours=not result.certificate and result.overall_score is not None,
            )
        )
    rows.append(
        ScoreRow(
            label=below_text(exam.reported_min),
            value=_("no score reported"),
            level=no_certificate,
            yours=result.overall_score is None,
        )
    )
    return rows


def _statement_context(result: Result) -> dict[str, Any]:
    entry = result.entry
    exam = entry.session.exam
    scale = scale_of(exam.code, on=entry.session.date)
    # Every score and label as every other output shows it (results.presentation); a unit's grade in its column.
    view = result_view(result=result)
    old = old_style_statement(view=view)
    components = [ScoreRow(label=line.label, value=line.display, level=line.unit_grade) for line in view.components]
    chart = ""
    if scale is not None and components and view.graded:
        chart = component_chart_svg(
            exam_code=scale.code,
            on=entry.session.date,
            components=[(line.label, line.score) for line in view.components],
            overall=result.overall_score,
        )
    return {
        "result": result,
        "entry": entry,
        "exam": exam,
        "scale": scale,
        "grade": view.result,
        "overall": view.overall_display,
        "components": components,
        # A2 Key: the Reading and Writing paper counts twice (docs/domain.md §5.9).
        "weighted": view.weighted,
        # Safe: component_chart_svg escapes every piece of text it writes.
        "chart": mark_safe(chart),  # noqa: S308
        "old": old,
        "certificate_text": _certificate_text(result=result, exam=scale, exam_name=exam.name),
        "bands": _band_rows(result=result, exam=scale) if scale is not None else [],
    }


STATEMENT_TEMPLATE = "results/statement.html"
# What the page is drawn from besides the result (results_portal/pages.py adds the base template and catalogues).
STATEMENT_SOURCES = (
    "web/candidate/views/statement.py",
    "results/presentation.py",
    "results/charts.py",
    "grading/scale.py",
    "grading/legacy.py",
    "results/legacy_statement.py",
    "results/templates/results/statement.html",
    "results/templates/results/_old_style_statement.html",
)


def statement_key(*, public_id: uuid.UUID, fingerprint: tuple[object, ...]) -> PageKey:
    """Return the key of the statement page of this entry showing the result ``statement_fingerprint`` gave."""
    return page_key("statement", public_id, fingerprint, STATEMENT_SOURCES, by_owner=True)


@candidate_page(
    # Named by the URL alone: read with the session, in one round trip.
    slot=lambda public_id: page_slot("statement", public_id, STATEMENT_SOURCES),
    # The visibility check goes to the database with the user's own query.
    alongside=statement_fingerprint_query,
)
@never_cache
@require_GET
def statement(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Show the Statement of Results of one of the candidate's entries, once released; anything else is a 404.

    Whether the candidate may see it is asked of the database on every request (one lean query through the
    visibility selector: ownership, release instant, hold, withdrawal; sent with the query loading the user), so
    embargo stays exact to the second. Only then may the page come from the cache (results_portal/pages.py), and
    only if it shows the result's displayed fields and version as that query read them.
    """
    account = request_account(request)
    sent = alongside_rows(request)
    if sent is not None:
        fingerprint = statement_fingerprint_of(sent[0])
    else:
        fingerprint = statement_fingerprint(account_id=account.pk, public_id=public_id)
    if fingerprint is None:
        raise Http404

    def context() -> dict[str, Any]:
        result = results_visible(audience=Audience.candidate(account.pk)).filter(pk=cast(int, fingerprint[0])).first()
        if result is None:  # held or withdrawn between the two queries
            raise Http404
        return _statement_context(result)

    key = statement_key(public_id=public_id, fingerprint=fingerprint)
    return cached_page(request, key=key, template=STATEMENT_TEMPLATE, context=context)
