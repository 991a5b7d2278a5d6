"""Fail fast, with instructions, when the PostgreSQL or Redis that the test suite needs is not answering.

Run by ``make test`` before pytest, with the same DATABASE_URL / REDIS_URL the tests will use.
"""

import os
import sys
from urllib.parse import urlsplit

HOW_TO_START = """
Start them, then run make test again:
  on Debian/Ubuntu:  apt-get install postgresql redis-server   (then start both services)
                     pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
                     redis-server --daemonize yes --bind 127.0.0.1 --port 6379
  with Docker:       docker compose up -d db redis
  or point DATABASE_URL / REDIS_URL at servers you have.
"""


def check_postgres(url: str) -> str | None:
    import psycopg

    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        return f"DATABASE_URL must point at PostgreSQL for the test suite, not {parts.scheme!r}"
    # Connect to the maintenance database: the test database itself is created by pytest-django.
    try:
        with psycopg.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password,
            dbname="postgres",
            connect_timeout=3,
        ) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return f"PostgreSQL at {parts.hostname}:{parts.port or 5432} is not reachable: {error}".strip()
    return None


def check_redis(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as error:
        return f"Redis at {url} is not reachable: {error}"
    return None


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    problems = [p for p in (check_postgres(database_url), check_redis(redis_url)) if p]
    if problems:
        print("make test needs a running PostgreSQL and Redis.", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print(HOW_TO_START, file=sys.stderr)
        return 1
    print(f"PostgreSQL and Redis are up ({urlsplit(database_url).hostname}, {urlsplit(redis_url).hostname}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
