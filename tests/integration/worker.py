"""Run the integration tests' Celery worker: ``celery -A results_portal <arguments>``, with short email retries.

``python -m tests.integration.worker worker -Q … `` is the production command line but for one thing: the
outbox's send task retries after 1 s × 2ⁿ instead of 30 s × 2ⁿ (``results.tasks.RETRY_COUNTDOWN_BASE``), so a
test sees a retry deliver within seconds. The back-off itself is tested in results/tests/test_outbox.py.
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _stop_with_parent() -> None:
    """Have Linux send this worker SIGTERM when the pytest process that started it dies, even by SIGKILL."""
    parent = int(os.environ.get("INTEGRATION_PARENT_PID", "0"))
    if not parent or not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before we asked
        sys.exit("the pytest process that started this worker has exited")


def main() -> None:
    _stop_with_parent()
    import django

    django.setup()
    from celery.bin.celery import main as celery_main

    from results import tasks

    # Set before the pool's processes are forked from this one, so every one of them has it.
    tasks.RETRY_COUNTDOWN_BASE = 1
    sys.argv = ["celery", "-A", "results_portal", *sys.argv[1:]]
    celery_main()


if __name__ == "__main__":
    main()
