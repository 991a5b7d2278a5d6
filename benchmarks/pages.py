"""Helpers for the page benchmarks: logged-in candidates' cookies, a plain HTTP client, durations."""

import http.client
import json
from dataclasses import dataclass
from importlib import import_module

from .data import PASSWORD, SECRET_NUMBER, candidate_id
from .infra import SCALE


def seconds(full: float) -> float:
    """Return how long a load phase lasts: ``full`` seconds at BENCH_SCALE=1, shorter (≥ 4 s) for quick runs."""
    return max(4.0, round(full * min(1.0, SCALE) ** 0.5, 1))


@dataclass(frozen=True)
class Candidate:
    """A candidate of the data set, logged in: Candidate ID, their statement's path and their session cookie."""

    candidate_id: str
    statement_path: str
    cookie: str


def candidates_logged_in(*, prefix: str, count: int) -> list[Candidate]:
    """Return ``count`` candidates of a group with a session each, made as the candidates' login makes one.

    The session is written through the configured engine (cached_db: the database and Redis), holding the
    user id, backend, password hash and candidate account (``accounts.backends.remember_account``), so the portal
    sees an ordinary logged-in candidate. The cookie also carries the CSRF cookie a browser got with the login
    form. Logging in through the login page itself is measured separately (bench_login, and the release-instant
    check logs in that way).
    """
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.middleware.csrf import _get_new_csrf_string

    from accounts.backends import ACCOUNT_KEY
    from candidates.models import LinkedEntry

    store = import_module(settings.SESSION_ENGINE).SessionStore
    links = (
        LinkedEntry.objects.filter(entry__candidate_id__in=[candidate_id(prefix, n) for n in range(count)])
        .select_related("account__user", "entry")
        .order_by("entry__candidate_id")
    )
    candidates = []
    for link in links:
        user = link.account.user
        session = store()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = "accounts.backends.UserWithAccountBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[ACCOUNT_KEY] = link.account.pk
        session.save(must_create=True)
        csrf = f"{settings.CSRF_COOKIE_NAME}={_get_new_csrf_string()}"
        candidates.append(
            Candidate(
                candidate_id=link.entry.candidate_id,
                statement_path=f"/results/{link.entry.public_id}/",
                cookie=f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {csrf}",
            )
        )
    return candidates


def get(port: int, path: str, *, cookie: str = "", timeout: float = 10) -> tuple[int, dict[str, str], str]:
    """GET ``path`` from our server on 127.0.0.1; return status, headers (lower-case names) and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        connection.close()


def post_json(port: int, path: str, payload: object, *, timeout: float = 10) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", path, body=json.dumps(payload), headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def verification_body(candidate: str) -> str:
    return json.dumps({"candidate_id": candidate, "secret_number": SECRET_NUMBER}, separators=(",", ":"))


__all__ = ["PASSWORD", "Candidate", "candidates_logged_in", "get", "post_json", "seconds", "verification_body"]
