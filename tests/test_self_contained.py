"""The repository stands on its own: no citation of documents outside it, and every rule it cites exists.

Comments and docs cite the domain rules as ``docs/domain.md §N 'Heading'`` (or ``§N.M`` for one rule); this
checks that each cited section, rule and heading is in docs/domain.md. It also checks that every setting the
code reads is declared in the settings (with its default), instead of being read with ``getattr`` and a
default at the place of use.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
THIS_FILE = Path(__file__).resolve().relative_to(ROOT).as_posix()
DOMAIN = ROOT / "docs" / "domain.md"
# Documents that live outside the repository and must never be cited from it: the design notes and public
# reference pages the project started from (the rules live in docs/domain.md instead). Spelled in pieces so that
# this file does not cite them either.
OUTSIDE_CITATIONS = tuple(part.encode() for part in ("DESIGN" + ".md", ".." + "/" + "shared", "reference" + "/0"))
# ``docs/domain.md`` followed by its citations: ``§5``, ``§5.3``, ``§8 'Unitised qualifications (UMS)'``, joined
# by commas, "and", "to" or "or".
CITATION = re.compile(r"docs/domain\.md((?:\s*(?:,|and|to|or)?\s*§\d+(?:\.\d+)?(?: '[^'\n]*')?)+)")
SECTION = re.compile(r"§(\d+)(?:\.(\d+))?(?: '([^'\n]*)')?")
HEADING = re.compile(r"^## (\d+)\. (.+)$", re.MULTILINE)
RULE = re.compile(r"^(\d+)\.(\d+) ", re.MULTILINE)
SETTING_READ = re.compile(r"\bsettings\.([A-Z][A-Z0-9_]*)\b")


def _tracked_files() -> list[Path]:
    git = shutil.which("git")
    # CI and every developer run the suite in a clone: without git these checks would pass having read nothing.
    if git is None or not (ROOT / ".git").exists():
        pytest.fail("not a git checkout (or no git): the tracked files are unknown; run the suite in a clone")
    listing = subprocess.run(  # noqa: S603 - git with fixed arguments
        [git, "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [ROOT / name for name in listing.split("\0") if name and name != THIS_FILE and (ROOT / name).is_file()]


def test_no_tracked_file_cites_documents_outside_the_repository() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {needle.decode()}"
        for path in _tracked_files()
        for needle in OUTSIDE_CITATIONS
        if needle in path.read_bytes()
    ]
    assert offenders == []


def test_every_cited_domain_section_exists() -> None:
    text = DOMAIN.read_text(encoding="utf-8")
    headings = {int(number): title.strip() for number, title in HEADING.findall(text)}
    rules = {(int(section), int(rule)) for section, rule in RULE.findall(text)}
    assert headings, "docs/domain.md has no numbered sections"
    problems: list[str] = []
    cited = 0
    for path in _tracked_files():
        if path.suffix not in {".py", ".html", ".md", ".txt", ".toml", ".cfg", ".yml", ".yaml"}:
            continue
        for citation in CITATION.finditer(path.read_text(encoding="utf-8", errors="replace")):
            for section, rule, title in SECTION.findall(citation.group(1)):
                cited += 1
                where = f"{path.relative_to(ROOT)}: docs/domain.md §{section}{'.' + rule if rule else ''}"
                if int(section) not in headings:
                    problems.append(f"{where}: no section {section}")
                elif rule and (int(section), int(rule)) not in rules:
                    problems.append(f"{where}: no rule {section}.{rule}")
                elif title and title != headings[int(section)]:
                    problems.append(f"{where}: the heading is '{headings[int(section)]}', not '{title}'")
    assert cited > 0, "no citation of docs/domain.md found: is the pattern still right?"
    assert problems == []


def test_every_setting_the_code_reads_is_declared() -> None:
    undeclared: set[str] = set()
    for path in _tracked_files():
        relative = path.relative_to(ROOT).as_posix()
        if path.suffix != ".py" or "/tests/" in f"/{relative}" or relative.startswith("benchmarks/"):
            continue
        source = path.read_text(encoding="utf-8")
        assert "getattr(settings," not in source, f"{relative}: declare the setting and read settings.NAME"
        undeclared.update(name for name in SETTING_READ.findall(source) if not hasattr(settings, name))
    assert sorted(undeclared) == []
