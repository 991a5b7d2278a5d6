"""Settings for the test suite: real PostgreSQL and Redis (``make test`` checks they are up first).

Tasks run in-process (eagerly) so tests see their effects; the cache and throttles use the real Redis.
"""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# The suite always runs against real servers: these are the ones on our machines and in CI. ``make test``
# checks they answer before pytest starts, and never falls back to SQLite or local memory.
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
# Redis database 15, never 0: each test empties its database (cache.clear() is FLUSHDB), and 0 is the one a
# development server or docker-compose keeps its cache and task queue in.
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")

from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

_redis_db = urlsplit(os.environ["REDIS_URL"]).path.strip("/") or "0"
if _redis_db == "0":
    raise ImproperlyConfigured(
        "The tests empty their Redis database before each test: point REDIS_URL at a database other than 0, "
        "e.g. redis://127.0.0.1:6379/15"
    )

SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Hashing speed is measured by the benchmarks; tests need only a correct, fast hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = env.path("TEST_MEDIA_ROOT", default="/tmp/results-portal-test-media")  # noqa: S108
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the app folders, as in development: the suite never runs collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Many tests move the clock by weeks with a centre user logged in: their sessions must not time out there.
# accounts/tests/test_sessions.py tests the real limits (base.py's defaults) with the settings fixture.
STAFF_SESSION_IDLE_SECONDS = 10 * 365 * 24 * 3600
STAFF_SESSION_MAX_SECONDS = 10 * 365 * 24 * 3600
# Webhook tests POST to a receiver on 127.0.0.1 (verification/tests/test_webhooks.py).
WEBHOOKS_ALLOW_LOCALHOST = True
