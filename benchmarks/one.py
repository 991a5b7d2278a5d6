"""Run one benchmark or scenario module in this process: ``python -m benchmarks.one bench_import``.

The runner (``python -m benchmarks``) starts it with the environment of a fresh database; the last line of
stdout carries the figures and checks back as JSON.
"""

import dataclasses
import importlib
import os
import signal
import sys

from .core import Figure
from .infra import result_line


def _stop(signum: int, frame: object) -> None:
    # Unwind, so every ``with running(…)`` stops the servers and workers this module started.
    raise SystemExit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()
    module = importlib.import_module(f"benchmarks.{sys.argv[1]}")
    items = module.run()
    payload = [{"kind": "figure" if isinstance(i, Figure) else "check", **dataclasses.asdict(i)} for i in items]
    print(result_line(payload), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
