"""Fault: the cache's Redis stops and starts again under the project's real cache backend, in this process.

The cache is the one the settings configure (``results_portal.cache.DegradingRedisCache`` with its options),
pointed at a redis-server of our own that each test stops and starts: no mock stands in for the outage, so what
is tested is what the backend really does when its server goes away (reads miss, writes are dropped) and what the
health check and the guard make of that.
"""

from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.test import Client
from pytest_django import Settings

from accounts.guard import GuardFailure, GuardRefusal, guard_check
from accounts.models import CredentialLock

from .conftest import PrivateRedis

pytestmark = pytest.mark.django_db

CANDIDATE_ID = "SIR094701"
RIGHT, WRONG = "8482", "1111"


def _cache_disconnect() -> None:
    """Close the default cache's Redis connections: Django drops a replaced cache without closing its sockets."""
    for pool in caches["default"]._cache._pools.values():  # type: ignore[attr-defined]
        pool.disconnect()


@pytest.fixture
def outage_cache(settings: Settings, private_redis: PrivateRedis) -> Iterator[PrivateRedis]:
    """Point the project's cache configuration at our own redis-server; yield that server."""
    configured = django_settings.CACHES["default"]
    assert configured["BACKEND"] == "results_portal.cache.DegradingRedisCache", "the suite runs with Redis"
    _cache_disconnect()
    settings.CACHES = {"default": {**configured, "LOCATION": private_redis.url}}
    cache.set("probe", "ok")
    assert cache.get("probe") == "ok", "the cache answers from our own redis-server"
    yield private_redis
    _cache_disconnect()


def _try(secret: str, *, candidate_id: str = CANDIDATE_ID) -> str:
    return guard_check(
        kind="secret",
        identifier=candidate_id,
        ip="192.0.2.10",
        purpose="register",
        verify=lambda cid: cid if secret == RIGHT else None,
    )


def test_healthz_names_the_cache_while_redis_is_down_and_recovers_without_a_restart(
    client: Client, outage_cache: PrivateRedis
) -> None:
    up = client.get("/healthz")
    outage_cache.stop()
    down = client.get("/healthz")
    outage_cache.start()
    back = client.get("/healthz")

    assert (up.status_code, up.json()) == (200, {"database": "ok", "cache": "ok"})
    assert (down.status_code, down.json()) == (503, {"database": "ok", "cache": "failed"})
    assert "no-cache" in down["Cache-Control"]
    assert (back.status_code, back.json()) == (200, {"database": "ok", "cache": "ok"})


def test_livez_ignores_a_redis_outage_so_nodes_stay_in_the_load_balancer(
    client: Client, outage_cache: PrivateRedis
) -> None:
    outage_cache.stop()

    response = client.get("/livez")

    assert (response.status_code, response.json()) == (200, {"database": "ok"})


def test_with_redis_down_the_id_lockout_still_holds(outage_cache: PrivateRedis) -> None:
    outage_cache.stop()

    failures = []
    for _ in range(5):
        with pytest.raises(GuardFailure) as failure:
            _try(WRONG)
        failures.append(failure.value.reason)
    with pytest.raises(GuardRefusal) as refused:
        _try(RIGHT)

    assert failures == ["failed"] * 5
    assert refused.value.reason == "locked"
    assert CredentialLock.objects.get(identifier=CANDIDATE_ID).locks == 1


def test_the_network_throttle_is_skipped_while_redis_is_down_and_counts_again_once_it_is_back(
    settings: Settings, outage_cache: PrivateRedis
) -> None:
    settings.GUARD_IP_FAILURES = 3
    outage_cache.stop()
    while_down = []
    for n in range(4):
        with pytest.raises(GuardFailure) as failure:
            _try(WRONG, candidate_id=f"DWN{n:06d}")
        while_down.append(failure.value.reason)

    outage_cache.start()
    for n in range(3):
        with pytest.raises(GuardFailure):
            _try(WRONG, candidate_id=f"UPP{n:06d}")
    with pytest.raises(GuardRefusal) as throttled:
        _try(RIGHT)

    assert while_down == ["failed"] * 4, "nothing counted the failures, and nothing crashed"
    assert throttled.value.reason == "ip"
