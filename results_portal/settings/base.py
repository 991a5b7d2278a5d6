"""Settings shared by every environment, read from the environment (README.md "Settings").

``DATABASE_URL`` absent → a SQLite file in the project folder. ``REDIS_URL`` absent → Celery tasks run
in-process and the cache is local memory, so the portal runs on a bare machine; present → Redis is the
Celery broker, the cache and the session cache.
"""

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "exams",
    "centres",
    "candidates",
    "results",
    "certificates",
    "verification",
    # The candidate area's listeners and tasks (pages drawn ahead of a release: web/candidate/prerender.py).
    "web.candidate.apps.CandidateAreaConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and server errors per minute for the results-day dashboard (static files are served above it).
    "results_portal.traffic.TrafficMiddleware",
    "csp.middleware.CSPMiddleware",
    "results_portal.db_router.ReplicaReadsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.sessions.StaffSessionLimitsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "results_portal.urls"
WSGI_APPLICATION = "results_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # Results day reuses connections; the health check drops a connection the server has closed.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Optional read replica for the candidates' result pages (results_portal/db_router.py, docs/scaling.md).
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **env.db_url("DATABASE_REPLICA_URL"),
        "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }


def transaction_pooled(database: dict[str, Any]) -> dict[str, Any]:
    """A database's settings for PgBouncer in transaction pooling mode (docs/scaling.md).

    Each transaction may run on another server connection, so nothing may outlive a transaction on one: no
    server-side cursors (``QuerySet.iterator()`` would otherwise declare a ``WITH HOLD`` cursor and fetch from
    it in later transactions) and no prepared statements (psycopg prepares a query it has run five times on
    a connection). The portal keeps no other session state: its locks are ``pg_advisory_xact_lock`` and its
    settings ``SET LOCAL``/``set_config(…, true)``, all ending with their transaction; the time zone Django
    sets on connecting is a parameter PgBouncer tracks for each client.
    """
    options = {**database.get("OPTIONS", {}), "prepare_threshold": None}
    return {**database, "DISABLE_SERVER_SIDE_CURSORS": True, "OPTIONS": options}


DATABASE_TRANSACTION_POOLING = env.bool("DATABASE_TRANSACTION_POOLING", default=False)
if DATABASE_TRANSACTION_POOLING and DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES = {alias: transaction_pooled(database) for alias, database in DATABASES.items()}
DATABASE_ROUTERS = ["results_portal.db_router.ResultsDayRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Celery broker, session cache ------------------------------------------------------
REDIS_URL: str | None = env.str("REDIS_URL", default=None) or None
if REDIS_URL:
    CACHES = {
        "default": {
            # A Redis outage costs cache misses, not results pages (results_portal/cache.py).
            "BACKEND": "results_portal.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "rp",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    # Sessions are written to the database and read through the cache, so a Redis restart costs
    # a cache miss, never a logged-out results day. Django's cached_db without its spare writes at login
    # (accounts/session_store.py).
    SESSION_ENGINE = "accounts.session_store"
    # A second Redis for the broker (never evicting) when the cache's evicts under memory pressure.
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "results-portal"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Europe/London"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# PDF renders (about a second each) get their own queue and workers, so they never hold up the results emails.
CELERY_TASK_ROUTES = {
    "certificates.tasks.*": {"queue": "documents"},
    # Webhook POSTs wait on other organisations' servers (10 s at most each): their own queue, so a slow
    # receiver never holds up the results emails.
    "verification.tasks.webhook_*": {"queue": "webhooks"},
    "verification.tasks.webhooks_*": {"queue": "webhooks"},
}
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "entry-imports-purge": {"task": "centres.tasks.entry_imports_purge", "schedule": 3600.0},
    "guard-prune": {"task": "accounts.tasks.guard_prune_old", "schedule": 24 * 3600.0},
    "results-release-due": {"task": "results.tasks.results_release_due_task", "schedule": 60.0},
    "result-events-redispatch": {"task": "results.tasks.result_events_redispatch_task", "schedule": 60.0},
    "outgoing-emails-recover": {"task": "results.tasks.outgoing_emails_recover", "schedule": 300.0},
    "verification-bulk-purge": {"task": "verification.tasks.bulk_verifications_purge", "schedule": 3600.0},
    "webhooks-flush-due": {"task": "verification.tasks.webhooks_flush_due", "schedule": 60.0},
    "webhook-messages-purge": {"task": "verification.tasks.webhook_messages_purge", "schedule": 24 * 3600.0},
    "documents-render-missing": {"task": "certificates.tasks.documents_render_missing", "schedule": 600.0},
    # Writes each centre's results files (unit and qualification) once a day; every 15 minutes so files appear
    # soon after 00:01 on release day. (Called "edi-files" before: beat drops the old entry from its schedule file
    # and runs this one 15 minutes after it starts; the old task name still runs the job, results/tasks.py.)
    "results-files": {"task": "results.tasks.results_files_regenerate_task", "schedule": 900.0},
}

# --- Email ---------------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# A hung mail server raises instead of holding a worker until its time limit.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Results Portal <results@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Passwords -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# ModelBackend checks passwords (the admin's login); candidate sessions name the second, which loads the user
# and their candidate account in one query (accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.UserWithAccountBackend",
]
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idOWASPHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/results/login/"
# A password-reset link works once (the token dies with the old password) and for one hour.
PASSWORD_RESET_TIMEOUT = 3600
# Key for the keyed hash of secret numbers; defaults to SECRET_KEY. Set it separately so that rotating
# SECRET_KEY does not invalidate every Confirmation of Entry (docs/decisions/0004-secret-number-hash.md).
SECRET_NUMBER_KEY = env.str("SECRET_NUMBER_KEY", default="")
# The board's Ed25519 key (PEM) that signs Open Badges credentials; without it a development key is derived
# from SECRET_KEY (production requires it: docs/decisions/0007-verification.md).
BOARD_SIGNING_KEY = env.str("BOARD_SIGNING_KEY", default="")
# Key of the signed QR tokens on printed documents (default SECRET_KEY): set it so SECRET_KEY can be rotated
# without breaking every printed QR code (docs/decisions/0006-documents-and-qr.md).
DOCUMENT_SIGNING_KEY = env.str("DOCUMENT_SIGNING_KEY", default="")
# Earlier document-signing keys still accepted while QR codes signed with them are in circulation (comma-
# separated); empty means SECRET_KEY_FALLBACKS.
DOCUMENT_SIGNING_KEY_FALLBACKS: list[str] = env.list("DOCUMENT_SIGNING_KEY_FALLBACKS", default=[])
BOARD_NAME = env.str("BOARD_NAME", default="Results Portal")
# The issuer id in Open Badges credentials; empty means did:web of SITE_URL (https and a domain only).
BOARD_ISSUER_ID = env.str("BOARD_ISSUER_ID", default="")
# The address verifiers are told to write to; empty means the address of DEFAULT_FROM_EMAIL.
BOARD_CONTACT_EMAIL = env.str("BOARD_CONTACT_EMAIL", default="")
# The portal's public address, printed on Confirmations of Entry and in emails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Brute-force guard (accounts/guard.py; the figures are explained in docs/decisions/0003-brute-force-policy.md)
# Consecutive failures that lock a Candidate ID (per kind of credential), and the first lock's length in minutes
# (each further lock lasts twice as long).
GUARD_ID_FAILURES = env.int("GUARD_ID_FAILURES", default=5)
GUARD_LOCK_MINUTES = env.int("GUARD_LOCK_MINUTES", default=15)
GUARD_LOCK_MAX_MINUTES = env.int("GUARD_LOCK_MAX_MINUTES", default=24 * 60)  # each lock doubles up to this
# Failures allowed per client network (IPv4 address or IPv6 /64) and kind in each window of seconds.
GUARD_IP_FAILURES = env.int("GUARD_IP_FAILURES", default=20)
GUARD_IP_WINDOW_SECONDS = env.int("GUARD_IP_WINDOW_SECONDS", default=600)
# Failures per minute per kind across every client before all tries of that kind pause.
GUARD_GLOBAL_FAILURES_PER_MINUTE = env.int("GUARD_GLOBAL_FAILURES_PER_MINUTE", default=300)
# Reverse proxies in front of the portal that append to X-Forwarded-For (0: the header is ignored).
GUARD_TRUSTED_PROXY_COUNT = env.int("GUARD_TRUSTED_PROXY_COUNT", default=0)
# Days failures are kept for audit, and days a quiet lock row is remembered.
GUARD_AUDIT_RETENTION_DAYS = env.int("GUARD_AUDIT_RETENTION_DAYS", default=365)
GUARD_LOCK_MEMORY_DAYS = env.int("GUARD_LOCK_MEMORY_DAYS", default=365)

# --- Two-step verification of candidates and organisations (accounts/two_step.py, docs/decisions/0011-two-step.md)
# The passkeys' relying party: its id is the site's domain (empty: the host of each request, e.g. localhost), its
# name what the browser shows when it asks for a passkey. The origin checked is the request's scheme and host.
WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default="")
WEBAUTHN_RP_NAME = env.str("WEBAUTHN_RP_NAME", default="Results Portal")
# Seconds a correct password waits for its second step before the person has to start again.
TWO_STEP_PENDING_SECONDS = env.int("TWO_STEP_PENDING_SECONDS", default=300)

# --- Verification (verification/)
# How many times the per-network limit a new verifier organisation gets (its allowance; editable per organisation).
VERIFICATION_ORGANISATION_ALLOWANCE = env.int("VERIFICATION_ORGANISATION_ALLOWANCE", default=10)
# Most rows in one bulk verification CSV, and days a bulk job's files are kept.
VERIFICATION_BULK_MAX_ROWS = env.int("VERIFICATION_BULK_MAX_ROWS", default=5000)
VERIFICATION_BULK_KEPT_DAYS = env.int("VERIFICATION_BULK_KEPT_DAYS", default=7)
# Webhooks go to public https addresses only; True lets http://127.0.0.1 and http://localhost through (set by the
# test and local settings; not read from the environment, so production cannot be made to call itself).
WEBHOOKS_ALLOW_LOCALHOST = False

# --- CSV uploads and imports (results_portal/csvimport.py, docs/domain.md §14.2)
# Every CSV file read (centre imports, entries, bulk verification) is refused above these: bytes, lines below the
# header, and values on one line. The board's results import has its own, larger size and line limits. A rejected
# file lists its first CSV_MAX_PROBLEMS problems and says how many more there were.
CSV_MAX_BYTES = env.int("CSV_MAX_BYTES", default=10 * 1024 * 1024)
CSV_MAX_LINES = env.int("CSV_MAX_LINES", default=50_000)
CSV_MAX_COLUMNS = env.int("CSV_MAX_COLUMNS", default=50)
CSV_MAX_PROBLEMS = env.int("CSV_MAX_PROBLEMS", default=100)
RESULTS_CSV_MAX_BYTES = env.int("RESULTS_CSV_MAX_BYTES", default=100 * 1024 * 1024)
RESULTS_CSV_MAX_LINES = env.int("RESULTS_CSV_MAX_LINES", default=1_000_000)

# --- Internationalisation ------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("zh-hans", "简体中文"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date format per language for pages, PDFs and emails; English is British (6 October 2026, 06/10/2026).
FORMAT_MODULE_PATH = ["results_portal.formats"]
# The board is in the UK: embargo instants such as "00:01 on 12 August" are UK local time.
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static and media files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def object_storage(url: str) -> dict[str, Any]:
    """The ``default`` storage an ``s3://`` STORAGE_URL names: rendered PDFs and centre results files.

    ``s3://bucket/optional/prefix?endpoint_url=…&region_name=…&addressing_style=path&server_side_encryption=AES256``;
    credentials as ``s3://KEY:SECRET@bucket`` or, when the URL has none, boto3's own chain (the ``AWS_…``
    variables, an instance role). Objects stay private: every file is served through the portal's own checks.
    """
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.hostname:
        raise ImproperlyConfigured(f"STORAGE_URL must look like s3://bucket/prefix, not {parts.scheme}://…")
    query = dict(parse_qsl(parts.query))
    unknown = set(query) - {"endpoint_url", "region_name", "addressing_style", "server_side_encryption"}
    if unknown:
        raise ImproperlyConfigured(f"STORAGE_URL: unknown option(s) {', '.join(sorted(unknown))}")
    options: dict[str, Any] = {
        "bucket_name": parts.hostname,
        "location": parts.path.strip("/"),
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,  # as on disk: a name in use gets a suffix, nothing is replaced unasked
        "endpoint_url": query.get("endpoint_url"),
        "region_name": query.get("region_name"),
        "addressing_style": query.get("addressing_style"),
    }
    if parts.username:
        options["access_key"] = unquote(parts.username)
        options["secret_key"] = unquote(parts.password or "")
    if query.get("server_side_encryption"):
        options["object_parameters"] = {"ServerSideEncryption": query["server_side_encryption"]}
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


# Empty: files under MEDIA_ROOT (make run, one machine). Several web and worker machines share an object store.
STORAGE_URL = env.str("STORAGE_URL", default="")
if STORAGE_URL:
    STORAGES["default"] = object_storage(STORAGE_URL)

# --- Security defaults that hold everywhere ---------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# Centre and board staff: 30 minutes idle, 12 hours in all (accounts/sessions.py); candidates and organisations
# keep SESSION_COOKIE_AGE.
STAFF_SESSION_IDLE_SECONDS = env.int("STAFF_SESSION_IDLE_SECONDS", default=30 * 60)
STAFF_SESSION_MAX_SECONDS = env.int("STAFF_SESSION_MAX_SECONDS", default=12 * 3600)
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The language cookie is read by the server only, and only sent on same-site requests and top-level links
# (production also marks it Secure).
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Content-Security-Policy on every response (django-csp, docs/architecture.md "Security"): scripts, styles,
# images, fonts and fetches from this origin only, and no inline script or style anywhere, not even in the admin:
# every script and stylesheet is a static file, so no page needs a nonce (and the whole-page cache of
# results_portal/pages.py can keep serving the same HTML). No page may be framed, post a form elsewhere, change
# its base URL or embed a plugin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
OTP_TOTP_ISSUER = "Results Portal"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every layout step at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
