"""Results day's reads from a PostgreSQL read replica, when ``DATABASE_REPLICA_URL`` is set (docs/scaling.md).

What goes to the replica, and why it is safe:

- only reads, only in GET/HEAD requests to the candidate's result pages (``/results/…``, with or without a
  language prefix), only of the apps those pages list and draw from (entries, exams, candidate accounts,
  documents). Everything else — every write, ``select_for_update`` (Django sends it to the write database),
  the guard, the login POST, the logged-in user (accounts), sessions, the admin, the centre area, the API,
  Celery tasks — stays on the primary;
- **no visibility decision is made on the replica**: every query whose base model is a result (the
  ``results`` app: ``results_visible`` and everything built on it, which joins the entry's status and its
  account link) reads the primary, so a hold, a withdrawal, an unlinked entry or a later release instant
  counts at once, however far the replica lags. The replica takes the rest of those pages' reads: the
  candidate's list of entries with their sessions and centres, the exams, the stored documents;
- sessions are read from Redis, then the primary (``django.contrib.sessions`` is not routed): a candidate who
  has just logged in is never logged out by replica lag.

Without ``DATABASE_REPLICA_URL`` the router sends everything to ``default`` and the middleware only sets a flag.
"""

import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
REPLICA_APPS = frozenset({"centres", "exams", "candidates", "certificates"})  # never "results": see above
READ_PATHS = re.compile(r"^/(?:[a-z]{2}(?:-[a-z]+)?/)?results/")

_replica_allowed: ContextVar[bool] = ContextVar("replica_allowed", default=False)


class ReplicaReadsMiddleware:
    """Allow replica reads for the duration of a GET or HEAD of a candidate's result page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        allowed = request.method in {"GET", "HEAD"} and READ_PATHS.match(request.path_info) is not None
        token = _replica_allowed.set(allowed)
        try:
            return self.get_response(request)
        finally:
            _replica_allowed.reset(token)


class ResultsDayRouter:
    """Send the result pages' reads to ``replica`` when one is configured; everything else to ``default``."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _replica_allowed.get() and model._meta.app_label in REPLICA_APPS and REPLICA in settings.DATABASES:
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # The replica is a copy of the primary: objects from either may be related.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == "default"
