"""Public pages: the home page, the score converter (/tools/), grade statistics (/statistics/), and the health
checks (/healthz, /livez). Nobody logs in here: there is no gate."""

import logging
from dataclasses import replace
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from centres.tasks import ISSUED_KEPT_HOURS
from grading.standardised import CONVERTER_TABLES, convert_standardised
from results.charts import result_name
from results.selectors import grade_statistics
from results.statistics import SMALL_CELL, statistics_chart_svg, statistics_csv_rows, statistics_tables
from results_portal.downloads import csv_response, download_no_store
from verification.models import ShareLink
from verification.selectors import board_contact_email
from web.public.forms import ScoreConverterForm

logger = logging.getLogger(__name__)

HEALTH_CACHE_KEY = "healthz"


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("health check: database unreachable")
        return False


def _cache_ok() -> bool:
    try:
        cache.set(HEALTH_CACHE_KEY, "ok", timeout=5)
        return cache.get(HEALTH_CACHE_KEY) == "ok"
    except Exception:
        logger.exception("health check: cache unreachable")
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Report whether the database and the cache answer: 200 when both do, 503 naming what failed."""
    checks = {"database": _database_ok(), "cache": _cache_ok()}
    body = {part: "ok" if ok else "failed" for part, ok in checks.items()}
    return JsonResponse(body, status=200 if all(checks.values()) else 503)


@never_cache
@require_GET
def livez(request: HttpRequest) -> JsonResponse:
    """Report whether this process can reach the database: what a load balancer should probe.

    Unlike /healthz it ignores the cache, whose outage costs misses, not pages (results_portal/cache.py):
    a Redis restart must not take every web node out of the load balancer.
    """
    ok = _database_ok()
    return JsonResponse({"database": "ok" if ok else "failed"}, status=200 if ok else 503)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Show the portal's front page: what it is and where each kind of user starts."""
    return render(request, "home.html")


# --- Tools: the score converter (/tools/) ------------------------------------------------------------
@require_GET
def score_converter(request: HttpRequest) -> HttpResponse:
    """Convert an old standardised score (out of 100) to the Cambridge English Scale, showing the table used."""
    form = ScoreConverterForm(request.GET if "score" in request.GET else None)
    conversion = None
    if form.is_bound and form.is_valid():
        conversion = convert_standardised(exam_code=form.cleaned_data["exam"], score=form.cleaned_data["score"])
    table = CONVERTER_TABLES.get(request.GET.get("exam", "")) or next(iter(CONVERTER_TABLES.values()))
    return render(request, "exams/score_converter.html", {"form": form, "conversion": conversion, "table": table})


# --- Grade statistics (/statistics/) ---------------------------------------------------------------------
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """Show how many candidates got each result per exam and year (released sessions, small cells merged)."""
    exam_code = request.GET.get("exam", "")
    every = grade_statistics()
    counts = [replace(c, grade=result_name(c.grade)) for c in every if not exam_code or c.exam_code == exam_code]
    tables = statistics_tables(counts)
    other = _("Other results")
    charts = [
        # Safe: statistics_chart_svg escapes every piece of text it writes.
        mark_safe(statistics_chart_svg(table, title=f"{table.exam_name} {table.year}", other_label=other))  # noqa: S308
        if not table.suppressed
        else ""
        for table in tables
    ]
    exams = sorted({(c.exam_code, c.exam_name) for c in every})
    context = {
        "tables": list(zip(tables, charts, strict=True)),
        "exams": exams,
        "chosen": exam_code,
        "small_cell": SMALL_CELL,
    }
    return render(request, "results/statistics.html", context)


@download_no_store
@require_GET
def statistics_csv(request: HttpRequest) -> HttpResponse:
    """Download the grade statistics as CSV: the page's rows, then a Total line per exam and year."""
    rows = statistics_csv_rows(statistics_tables(grade_statistics()))
    header = ["exam_code", "exam_name", "year", "result", "cefr_level", "candidates"]
    return csv_response(header=header, rows=rows, filename="grade-statistics.csv")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the language and go back to the same page in it, from any language to any other.

    Django's ``set_language`` translates ``next`` by resolving it under the *active* language, which for this
    unprefixed URL comes from the cookie or the browser, not from the page the visitor was on: from ``/es/…`` it
    resolved nothing and sent the visitor back to the Spanish page. The page's own language is in its path
    prefix (none: the default language), so ``next`` is resolved under that one.
    """
    next_url = "/"
    for candidate in (request.POST.get("next"), request.META.get("HTTP_REFERER")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = candidate  # the page Django's view goes back to
            break
    page_language = translation.get_language_from_path(urlsplit(next_url).path) or settings.LANGUAGE_CODE
    with translation.override(page_language):
        return i18n.set_language(request)


# --- Help, privacy notice, accessibility statement (linked from every page's footer) ----------------------
@require_GET
def help_page(request: HttpRequest) -> HttpResponse:
    """Help and contact: registering, lost details, who to ask, how organisations check a result."""
    return render(request, "help.html", {"board_contact": board_contact_email()})


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy notice, with the retention periods the portal actually applies (from its settings)."""
    context = {
        "board_contact": board_contact_email(),
        "issued_kept_hours": ISSUED_KEPT_HOURS,
        "guard_days": settings.GUARD_AUDIT_RETENTION_DAYS,
        "lock_days": settings.GUARD_LOCK_MEMORY_DAYS,
        "ip_window_minutes": settings.GUARD_IP_WINDOW_SECONDS // 60,
        "bulk_days": settings.VERIFICATION_BULK_KEPT_DAYS,
        "share_days": max(int(value) for value in ShareLink.Expiry.values),
        "reset_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        "staff_idle_minutes": settings.STAFF_SESSION_IDLE_SECONDS // 60,
    }
    return render(request, "privacy.html", context)


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement: the standard, how the portal is tested, the gaps known today."""
    return render(request, "accessibility.html", {"board_contact": board_contact_email()})
