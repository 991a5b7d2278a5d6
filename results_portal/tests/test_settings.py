"""Settings selection: the embedded default on a bare machine, real servers when the environment names them."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']),"
    " 'cache': s.CACHES['default']['BACKEND'], 'eager': s.CELERY_TASK_ALWAYS_EAGER,"
    " 'broker': s.CELERY_BROKER_URL, 'session': s.SESSION_ENGINE, 'email': s.EMAIL_BACKEND,"
    " 'debug': s.DEBUG, 'hasher': s.PASSWORD_HASHERS[0]}))"
)


def _settings(module: str, **env: str) -> dict[str, Any]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DEBUG"}}
    clean.update(env, DJANGO_SETTINGS_MODULE=module)
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["results_portal.settings.local"])
def test_bare_machine_gets_sqlite_eager_tasks_locmem_and_console_mail(module: str) -> None:
    s = _settings(module)

    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["name"] == str(ROOT / "db.sqlite3")
    assert s["cache"].endswith("LocMemCache")
    assert s["eager"] is True
    assert s["email"] == "django.core.mail.backends.console.EmailBackend"
    assert s["debug"] is True
    assert s["hasher"] == "accounts.hashers.Argon2idOWASPHasher"


def test_environment_selects_postgres_redis_and_smtp() -> None:
    s = _settings(
        "results_portal.settings.local",
        DATABASE_URL="postgres://portal:pw@db.internal:5432/portal",
        REDIS_URL="redis://cache.internal:6379/1",
        EMAIL_URL="smtp://mail.internal:1025",
        DEBUG="false",
    )

    assert s["engine"] == "django.db.backends.postgresql"
    assert s["name"] == "portal"
    assert s["cache"] == "results_portal.cache.DegradingRedisCache"
    assert s["eager"] is False
    assert s["broker"] == "redis://cache.internal:6379/1"
    assert s["session"] == "accounts.session_store"  # cached_db without its spare writes
    assert s["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert s["debug"] is False


def test_test_settings_never_fall_back_to_sqlite() -> None:
    s = _settings("results_portal.settings.test")

    assert s["engine"] == "django.db.backends.postgresql"
    assert s["cache"].endswith("RedisCache")


@pytest.mark.parametrize("missing", ["SECRET_KEY", "BOARD_SIGNING_KEY"])
def test_production_requires_its_secrets(missing: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "BOARD_SIGNING_KEY"}}
    env.update(
        DJANGO_SETTINGS_MODULE="results_portal.settings.production",
        ALLOWED_HOSTS="results.example.org",
        SECRET_KEY="a-real-secret-" + "x7Kq9Lm2Vb8Nc4Zr6Tw1Ys5Pd3Hf0Gj" * 2,
        BOARD_SIGNING_KEY=_signing_key_pem(),
    )
    del env[missing]
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert out.returncode != 0
    assert missing in out.stderr


def _signing_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem.decode()


def test_production_passes_check_deploy_without_warnings() -> None:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="results_portal.settings.production",
        SECRET_KEY="a-real-secret-" + "x7Kq9Lm2Vb8Nc4Zr6Tw1Ys5Pd3Hf0Gj" * 2,
        ALLOWED_HOSTS="results.example.org",
        BOARD_SIGNING_KEY=_signing_key_pem().replace("\n", "\\n"),
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert out.returncode == 0, out.stderr
    assert "System check identified no issues" in out.stdout
    assert "WARNING" not in out.stderr + out.stdout


def test_production_cookies_are_secure_http_only_and_same_site() -> None:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="results_portal.settings.production",
        SECRET_KEY="a-real-secret-" + "x7Kq9Lm2Vb8Nc4Zr6Tw1Ys5Pd3Hf0Gj" * 2,
        ALLOWED_HOSTS="results.example.org",
        BOARD_SIGNING_KEY=_signing_key_pem(),
    )
    probe = (
        "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps([["
        "getattr(s, f'{c}_COOKIE_{f}') for f in ('SECURE', 'HTTPONLY', 'SAMESITE')]"
        " for c in ('LANGUAGE', 'SESSION')]))"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )

    assert json.loads(out.stdout.strip().splitlines()[-1]) == [[True, True, "Lax"], [True, True, "Lax"]]
