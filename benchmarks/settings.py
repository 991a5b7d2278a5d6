"""Production settings plus what the benchmarks need: the floor view's URL and throwaway static/media folders.

Everything else is ``results_portal.settings.production`` read from the environment the harness sets
(``benchmarks.infra.bench_env``): DEBUG off, PostgreSQL, Redis (cache, sessions, broker), SMTP to the sink.
"""

import os
from pathlib import Path

from results_portal.settings.production import *  # noqa: F403

_RUN_DIR = Path(os.environ.get("BENCH_RUN_DIR", "/tmp/results-portal-bench"))  # noqa: S108 - throwaway folder

ROOT_URLCONF = "benchmarks.urls"
# collectstatic writes here once per run: production's manifest storage needs it.
STATIC_ROOT = _RUN_DIR / "static"
MEDIA_ROOT = _RUN_DIR / "media"

# Statement and certificate PDFs (certificates.tasks) take about a second each and are queued by the same release
# as the emails; on one queue, a release's emails wait behind them. The benchmarks run as we propose to deploy
# (docs/scaling.md): documents on a queue of their own, served by other workers. BENCH_ONE_QUEUE=1 measures the
# settings as they are.
if os.environ.get("BENCH_ONE_QUEUE") != "1":
    CELERY_TASK_ROUTES = {"certificates.tasks.*": {"queue": "documents"}}

# The webhooks benchmark's receiver listens on 127.0.0.1 (benchmarks/bench_webhooks.py); production refuses it.
WEBHOOKS_ALLOW_LOCALHOST = True
