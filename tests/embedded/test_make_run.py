"""``make run``'s configuration works: SQLite, tasks in-process, no Redis (the rest of the suite is PostgreSQL).

Runs migrate, load_demo and tests/embedded/walk.py in processes of their own with the settings ``make run``
uses and a fresh SQLite file, so PostgreSQL-only SQL on a path a developer meets first fails here.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_bare_machine_setup_migrates_loads_the_demo_and_serves_the_pages(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="results_portal.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        PYTHONPATH=str(ROOT),
    )
    for command in (
        ["manage.py", "migrate", "--no-input", "-v0"],
        ["manage.py", "load_demo"],
        ["tests/embedded/walk.py"],
    ):
        done = subprocess.run(  # noqa: S603 - our own command lines
            [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
