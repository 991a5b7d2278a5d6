"""Fault: Redis (cache, session cache, Celery broker) restarts while candidates are reading their results."""

import time

from .conftest import FAULTS_DB, INTERNALS, Candidate, PrivateRedis, get, web_server


def _outage(candidate: Candidate, redis: PrivateRedis) -> dict[str, list[int]]:
    """Serve the candidate's statement around a restart of our own redis-server; return statuses per phase."""
    phases: dict[str, list[int]] = {}
    with web_server(application_name=f"faults-redis-{time.monotonic_ns()}", redis_url=redis.url) as web:
        phases["before"] = [get(web, candidate.path, cookie=candidate.cookie)[0] for _ in range(4)]
        redis.stop()
        down = [get(web, candidate.path, cookie=candidate.cookie) for _ in range(4)]
        for _status, body in down:
            assert not any(marker in body for marker in INTERNALS), body[:500]
        phases["down"] = [status for status, _ in down]
        phases["healthz down"] = [get(web, "/healthz")[0]]
        redis.start()
        phases["after"] = [get(web, candidate.path, cookie=candidate.cookie)[0] for _ in range(4)]
        phases["healthz after"] = [get(web, "/healthz")[0]]
    return phases


@FAULTS_DB
def test_pages_keep_working_through_a_redis_restart(
    released_candidate: Candidate, private_redis: PrivateRedis
) -> None:
    """Prove that a Redis outage costs cache misses, not results pages, and that nothing needs a restart after.

    A logged-in candidate reads their statement while our own redis-server is stopped and started again. Sessions
    are cached_db and the cache is ``results_portal.cache.DegradingRedisCache``: while Redis is down the session
    comes from PostgreSQL and the page is served (with Django's plain RedisCache every logged-in page answered
    500); the health check reports the cache as failed (503); once Redis is back (empty), pages and the health
    check are fine again without restarting the web app, and the candidate is still logged in.
    """
    phases = _outage(released_candidate, private_redis)
    assert phases == {
        "before": [200] * 4,
        "down": [200] * 4,
        "healthz down": [503],
        "after": [200] * 4,
        "healthz after": [200],
    }
