"""Results day's reads from a PostgreSQL read replica, when ``DATABASE_REPLICA_URL`` is set (docs/scaling.md).

What goes to the replica, and why it is safe:

- only reads, only in GET/HEAD requests to the candidate's result pages (``/results/…``, with or without a
  language prefix), only of the apps those pages read (results, entries, exams, candidate accounts,
  documents). Everything else — every write, ``select_for_update`` (Django sends it to the write database),
  the guard, the login POST, the logged-in user (accounts), sessions, the admin, the centre area, the API,
  Celery tasks — stays on the primary;
- the embargo does not depend on replication: visibility is ``released_at <= now``, written when results are
  imported, hours or days before the window opens, so a lagging replica cannot show a result early. A hold
  written on the primary after release reaches the replica after the replication lag (normally well under a
  second): alert when lag exceeds 1 s (``pg_stat_replication.replay_lag``) and fall back to the primary by
  unsetting ``DATABASE_REPLICA_URL``;
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
REPLICA_APPS = frozenset({"results", "centres", "exams", "candidates", "certificates"})
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
