"""Site-wide pages: the home page and the health check."""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

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
