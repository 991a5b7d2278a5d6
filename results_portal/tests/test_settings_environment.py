"""Every setting the README's settings table documents is read from the environment variable of that name.

The table (README.md, "Settings") is parsed, each name is set in the environment to a value of its kind (a
number, the other boolean, a URL, a list, a text) and the settings module is imported again in a subprocess: the
value must come out in the settings. So a documented setting that the code ignores (as
``GUARD_TRUSTED_PROXY_COUNT`` was said to be, which left every client behind a proxy sharing one throttle)
fails here, and so does one the code reads without the README saying so.
"""

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_DIR = ROOT / "results_portal" / "settings"
PRODUCTION = "results_portal.settings.production"
LOCAL = "results_portal.settings.local"
MARKER = "marker"
NUMBER = "98765"

# Imports a settings module once per case, with the environment the case names, and prints every setting's repr.
PROBE = """
import importlib, json, os, sys
cases = json.loads(sys.stdin.read())
outer = dict(os.environ)
out = []
for case in cases:
    os.environ.clear()
    os.environ.update(outer)
    os.environ.update(case["env"])
    for name in [m for m in sys.modules if m.startswith("results_portal.settings")]:
        del sys.modules[name]
    module = importlib.import_module(case["module"])
    out.append({k: repr(getattr(module, k)) for k in dir(module) if k.isupper()})
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Documented:
    name: str
    default: str  # the default written in the table for this name ("" when none is written)
    meaning: str


def _table_rows() -> list[Documented]:
    """Return each name of the README's settings table with the default written beside it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Settings", 1)[1].split("\n#", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        names = re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0])
        defaults = re.findall(r"`([^`]*)`", cells[1])
        for index, name in enumerate(names):
            # "`SECURE_SSL_REDIRECT`, `SECURE_HSTS_SECONDS` | `true`, `31536000`": each name has its own default.
            default = defaults[index] if len(names) > 1 else (defaults[0] if defaults else "")
            rows.append(Documented(name=name, default=default, meaning=cells[2]))
    return rows


DOCUMENTED = _table_rows()
DOCUMENTED_NAMES = {row.name for row in DOCUMENTED}

# What production needs to start, and servers, so that what only applies with them (CONN_MAX_AGE with
# PostgreSQL, CELERY_BROKER_URL with Redis) is read too. The names under test are overridden case by case.
BASELINE = {
    "SECRET_KEY": "baseline-secret-key-for-the-settings-probe-only",
    "ALLOWED_HOSTS": "baseline.example",
    "BOARD_SIGNING_KEY": "baseline-board-key",
    "DATABASE_URL": "postgres://baseline:baseline@baseline-db.example:5432/baseline",
    "REDIS_URL": "redis://baseline-redis.example:6379/1",
}


def _sample(row: Documented) -> str:
    """Return a value of the setting's kind that differs from its default and is easy to find in the settings."""
    if row.name == "STORAGE_URL":
        return f"s3://{MARKER}-bucket/files"
    if row.name.endswith("_URL"):
        if "DATABASE" in row.name:
            return f"postgres://user:pw@{MARKER}-db.example:5432/{MARKER}db"
        if "REDIS" in row.name or "BROKER" in row.name:
            return f"redis://{MARKER}-redis.example:6379/3"
        if "EMAIL" in row.name:
            return f"smtp://{MARKER}-mail.example:2525"
        return f"https://{MARKER}-site.example"
    if row.default in {"true", "false"}:
        return "false" if row.default == "true" else "true"
    if row.default.isdigit():
        return NUMBER
    if "comma-separated" in row.meaning:
        return f"https://{MARKER}-a.example,https://{MARKER}-b.example"
    return f"{MARKER}-value"


def _found(sample: str, changed: dict[str, str]) -> bool:
    """Whether the sample came out in one of the settings that changed."""
    if sample in {"true", "false"}:
        return repr(sample == "true") in changed.values()
    if sample == NUMBER:
        return any(NUMBER in value for value in changed.values())
    return any(MARKER in value for value in changed.values())


def _probe(cases: list[dict[str, Any]]) -> list[dict[str, str]]:
    outer = {k: v for k, v in os.environ.items() if k not in DOCUMENTED_NAMES | {"DJANGO_SETTINGS_MODULE"}}
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=outer,
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
    )
    result: list[dict[str, str]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def read_settings() -> dict[str, dict[str, str]]:
    """Import production settings once with the baseline, then once per documented name set to its sample."""
    rows = [row for row in DOCUMENTED if row.name != "DEBUG"]
    cases = [{"module": PRODUCTION, "env": BASELINE}]
    cases += [{"module": PRODUCTION, "env": {**BASELINE, row.name: _sample(row)}} for row in rows]
    baseline, *dumps = _probe(cases)
    return {
        row.name: {k: v for k, v in dump.items() if baseline.get(k) != v}
        for row, dump in zip(rows, dumps, strict=True)
    }


def test_the_table_is_found_and_names_the_settings_of_the_scaling_guide() -> None:
    assert {"DATABASE_URL", "REDIS_URL", "GUARD_TRUSTED_PROXY_COUNT", "SECURE_HSTS_SECONDS"} <= DOCUMENTED_NAMES
    assert len(DOCUMENTED) == len(DOCUMENTED_NAMES), "a name is listed twice in the README's settings table"


@pytest.mark.parametrize("row", [row for row in DOCUMENTED if row.name != "DEBUG"], ids=lambda row: row.name)
def test_production_reads_each_documented_setting_from_the_environment(
    row: Documented, read_settings: dict[str, dict[str, str]]
) -> None:
    sample = _sample(row)
    changed = read_settings[row.name]

    assert _found(sample, changed), f"{row.name}={sample} changed nothing in production settings: {changed}"


def test_debug_is_read_for_make_run_and_always_off_in_production() -> None:
    # The table: "`false` (`true` for `make run`; always `false` in production)".
    local_default, local_off, production_on = _probe(
        [
            {"module": LOCAL, "env": BASELINE},
            {"module": LOCAL, "env": {**BASELINE, "DEBUG": "false"}},
            {"module": PRODUCTION, "env": {**BASELINE, "DEBUG": "true"}},
        ]
    )

    assert (local_default["DEBUG"], local_off["DEBUG"], production_on["DEBUG"]) == ("True", "False", "False")


def test_the_guard_trusts_as_many_proxies_as_the_environment_says(read_settings: dict[str, dict[str, str]]) -> None:
    assert read_settings["GUARD_TRUSTED_PROXY_COUNT"] == {"GUARD_TRUSTED_PROXY_COUNT": NUMBER}


def test_every_variable_the_settings_read_is_in_the_table() -> None:
    read = set()
    for path in SETTINGS_DIR.glob("*.py"):
        read |= set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", path.read_text(encoding="utf-8")))
    # The test settings' own variable, named under the table.
    undocumented = read - DOCUMENTED_NAMES - {"TEST_MEDIA_ROOT"}

    assert not undocumented, f"read from the environment but missing from README.md's settings table: {undocumented}"


# Django settings the scaling guide names that are not environment variables (kept as production settings set them).
NOT_ENVIRONMENT = {"SECURE_PROXY_SSL_HEADER"}


def test_every_setting_the_scaling_guide_names_is_in_the_table() -> None:
    text = (ROOT / "docs" / "scaling.md").read_text(encoding="utf-8")
    named = {match.split("=")[0] for match in re.findall(r"`([A-Z][A-Z0-9_]+(?:=[^`]*)?)`", text)}

    assert "GUARD_TRUSTED_PROXY_COUNT" in named
    assert not named - DOCUMENTED_NAMES - NOT_ENVIRONMENT, named - DOCUMENTED_NAMES - NOT_ENVIRONMENT


def test_docker_compose_sets_only_documented_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    names = set(compose["x-portal"]["environment"]) - {"DJANGO_SETTINGS_MODULE"}

    assert "GUARD_TRUSTED_PROXY_COUNT" in names
    assert not names - DOCUMENTED_NAMES, names - DOCUMENTED_NAMES
