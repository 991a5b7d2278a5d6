"""Every string a visitor can see is translated: extract the messages afresh, then count what lacks a translation.

``make messages`` updates the catalogues; this runs the same extraction on a copy of the source, so a string
added without running it (or left untranslated or fuzzy) fails here, naming the language and the strings.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("es", "zh_Hans")
SKIP = shutil.ignore_patterns(".venv", ".git", "node_modules", "media", "test-artifacts", "__pycache__", "*.sqlite3")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("messages") / "src"
    shutil.copytree(ROOT, copy, ignore=SKIP)
    subprocess.run(  # noqa: S603 - our own command line, as the Makefile's `messages` target runs it
        [sys.executable, "manage.py", "makemessages", "--all", "--ignore=.venv/*", "--ignore=benchmarks/*"],
        cwd=copy,
        check=True,
        capture_output=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "results_portal.settings.local"},
    )
    return copy


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(extracted: Path, language: str) -> None:
    po = extracted / "locale" / language / "LC_MESSAGES" / "django.po"
    checked = subprocess.run(  # noqa: S603
        ["msgfmt", "--statistics", "--check-format", "-o", "/dev/null", str(po)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    untranslated = re.search(r"(\d+) untranslated", checked.stderr)
    fuzzy = re.search(r"(\d+) fuzzy", checked.stderr)
    if untranslated or fuzzy:
        text = po.read_text()
        missing = re.findall(r'#, fuzzy\n(?:#\|.*\n)*msgid "(.*)"', text)
        missing += re.findall(r'msgid "(.+)"\n(?:msgid_plural ".*"\n)?msgstr(?:\[0\])? ""\n\n', text)
        pytest.fail(f"{language}: {checked.stderr.strip()} — run `make messages` and translate: {missing[:20]}")
