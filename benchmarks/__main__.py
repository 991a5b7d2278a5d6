"""Run every ``benchmarks/bench_*.py`` and print one table (``make bench``)."""

import importlib
import os
import pkgutil
import platform
import sys

from .core import Figure, table


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "results_portal.settings.local")
    figures: list[Figure] = []
    package = sys.modules[__package__]
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name.startswith("bench_"):
            module = importlib.import_module(f"{__package__}.{module_info.name}")
            print(f"running {module_info.name} …", file=sys.stderr, flush=True)
            figures.extend(module.run())
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
