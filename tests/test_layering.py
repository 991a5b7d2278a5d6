"""The layering of docs/architecture.md, checked on the source: every .py file is parsed with ``ast`` (never
imported) and every import in it, at module level or inside a function, must follow the rules below.

- ``grading`` imports nothing of ours.
- ``results_portal`` infrastructure (settings, cache, database router, prepared queries, CSV import, page cache,
  downloads…) imports only ``results_portal``; ``results_portal.urls`` is the composition root, which mounts the
  web packages, and nothing imports it.
- A domain app imports ``grading``, ``results_portal`` infrastructure, itself, and the domain apps before it in
  ``DOMAIN_ORDER``; an import against that order is allowed only if it is listed in ``KNOWN_CYCLES``. No domain
  app imports ``web``. Their tests may import any domain app (to build their fixtures), never ``web``.
- ``web.<audience>`` imports domain apps, ``grading``, ``results_portal`` infrastructure, itself and ``web.common``,
  never another audience; ``web.common`` imports no audience.
- The rest (``tests/``, ``benchmarks/``, ``scripts/``, ``conftest.py``, ``manage.py``) may import anything.

``import_module("…")`` and ``include("…")`` with a literal module name count as imports too.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {".venv", ".git", "node_modules", "staticfiles", "media", "test-artifacts", "__pycache__"}

GRADING = "grading"
INFRASTRUCTURE = "results_portal"
COMPOSITION_ROOT = "results_portal.urls"
WEB = "web"
WEB_COMMON = "web.common"
# Lower first: an app may import the apps before it, never those after it (except KNOWN_CYCLES).
DOMAIN_ORDER = ("accounts", "exams", "centres", "candidates", "results", "certificates", "verification")
TOOLING = {"tests", "benchmarks", "scripts", "conftest", "manage"}
OURS = {GRADING, INFRASTRUCTURE, WEB, *DOMAIN_ORDER, *TOOLING}

# Imports against DOMAIN_ORDER that exist today, as (importing module, imported module): none. The loops the
# domain apps had are gone — results -> certificates through the result events (results.events, ADR 0009), and
# centres -> results by moving the centre's unitised reports and results files into results (they are built
# from results) and announcing a cash-in with centres.signals. Add none: an app after another listens to it.
KNOWN_CYCLES: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    path: str  # relative to the project, for the failure message
    line: int
    importer: str  # dotted module name of the file
    target: str  # dotted module name imported (the deepest that is a module of ours)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} imports {self.target}"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str, root: Path = ROOT) -> bool:
    base = root.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def python_files(root: Path = ROOT) -> Iterator[Path]:
    for path in sorted(root.rglob("*.py")):
        if not SKIPPED_DIRS.intersection(path.relative_to(root).parts):
            yield path


def imports_of(path: Path, root: Path = ROOT) -> Iterator[Import]:
    """Yield every import of one of our modules in ``path``, wherever it stands in the file."""
    importer = module_name(path, root)
    package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
    relative = str(path.relative_to(root))

    def ours(line: int, target: str) -> Iterator[Import]:
        if target.split(".")[0] in OURS:
            yield Import(relative, line, importer, target)

    for node in ast.walk(ast.parse(path.read_text(), filename=relative)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from ours(node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                deeper = f"{base}.{alias.name}"
                yield from ours(node.lineno, deeper if is_module(deeper, root) else base)
        elif isinstance(node, ast.Call) and node.args:
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            first = node.args[0]
            if name in {"import_module", "include"} and isinstance(first, ast.Constant):
                if isinstance(first.value, str):
                    yield from ours(node.lineno, first.value)


def is_test(module: str) -> bool:
    parts = module.split(".")
    return "tests" in parts or parts[-1] == "conftest"


def top(module: str) -> str:
    return module.split(".")[0]


def web_package(module: str) -> str:
    """Return ``web.<audience>`` or ``web.common`` for a module of the web layer (``web`` for the package)."""
    return ".".join(module.split(".")[:2])


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


# The rules, by name: what each test below checks.
GRADING_RULE = "grading imports nothing of ours"
ROOT_RULE = "only tools and tests import the root URLconf (results_portal.urls)"
INFRASTRUCTURE_RULE = "results_portal infrastructure imports only results_portal"
DOMAIN_WEB_RULE = "a domain app never imports web"
DOMAIN_ORDER_RULE = "a domain app imports only grading, results_portal and the domain apps before it in DOMAIN_ORDER"
WEB_AUDIENCE_RULE = "web.<audience> imports no other web package than web.common (web.common imports none)"
WEB_RULE = "web imports only domain apps, grading, results_portal and web.common"


def violation(found: Import) -> str | None:
    """Return the rule ``found`` breaks, or None if it keeps to them."""
    importer, target = found.importer, found.target
    if top(importer) == GRADING:
        return None if top(target) == GRADING else GRADING_RULE
    if within(target, COMPOSITION_ROOT) and top(importer) not in TOOLING:
        return ROOT_RULE
    if top(importer) == INFRASTRUCTURE and importer != COMPOSITION_ROOT:
        if top(target) == INFRASTRUCTURE:
            return None
        if is_test(importer) and top(target) in {GRADING, *DOMAIN_ORDER, "conftest"}:
            return None
        return INFRASTRUCTURE_RULE
    if top(importer) in DOMAIN_ORDER:
        if top(target) == WEB:
            return DOMAIN_WEB_RULE
        if top(target) in {GRADING, INFRASTRUCTURE, top(importer)}:
            return None
        if is_test(importer) and top(target) in {*DOMAIN_ORDER, "conftest"}:
            return None
        if top(target) in DOMAIN_ORDER and DOMAIN_ORDER.index(top(target)) < DOMAIN_ORDER.index(top(importer)):
            return None
        return None if (importer, target) in KNOWN_CYCLES else DOMAIN_ORDER_RULE
    if top(importer) == WEB:
        own = web_package(importer)
        if top(target) in {GRADING, INFRASTRUCTURE, *DOMAIN_ORDER}:
            return None
        if top(target) == WEB:
            if own != WEB and (within(target, own) or within(target, WEB_COMMON)):
                return None
            return WEB_AUDIENCE_RULE
        if is_test(importer) and top(target) == "conftest":
            return None
        return WEB_RULE
    return None  # the composition root, tests/, benchmarks/, scripts/, conftest.py, manage.py


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return [found for path in python_files() for found in imports_of(path)]


def _broken(imports: list[Import], *rules: str) -> str:
    return "\n".join(f"{found}  ({rule})" for found in imports if (rule := violation(found)) in rules)


def test_grading_imports_nothing_of_ours(imports: list[Import]) -> None:
    assert not (broken := _broken(imports, GRADING_RULE)), broken


def test_domain_apps_never_import_web(imports: list[Import]) -> None:
    assert not (broken := _broken(imports, DOMAIN_WEB_RULE)), broken


def test_domain_apps_import_each_other_only_down_the_order(imports: list[Import]) -> None:
    broken = _broken(imports, DOMAIN_ORDER_RULE)
    assert not broken, f"{broken}\n(see docs/architecture.md; KNOWN_CYCLES only shrinks)"


def test_infrastructure_imports_no_app_and_nobody_imports_the_root_urlconf(imports: list[Import]) -> None:
    assert not (broken := _broken(imports, INFRASTRUCTURE_RULE, ROOT_RULE)), broken


def test_web_audiences_import_no_other_audience(imports: list[Import]) -> None:
    assert not (broken := _broken(imports, WEB_AUDIENCE_RULE, WEB_RULE)), broken


def test_known_cycles_are_still_there(imports: list[Import]) -> None:
    """An entry of KNOWN_CYCLES that no import needs any more must go, so the list only shrinks."""
    present = {(found.importer, found.target) for found in imports}
    stale = sorted(set(KNOWN_CYCLES) - present)
    assert not stale, f"remove from KNOWN_CYCLES (no longer imported): {stale}"


def test_the_checker_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The parser itself: module and function level, relative, ``from a import module``, include()."""
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "__init__.py").write_text("")
    (tmp_path / "results" / "models.py").write_text("")
    (tmp_path / "web" / "candidate").mkdir(parents=True)
    (tmp_path / "web" / "__init__.py").write_text("")
    (tmp_path / "web" / "candidate" / "__init__.py").write_text("")
    (tmp_path / "web" / "candidate" / "forms.py").write_text("")
    source = tmp_path / "results" / "services.py"
    source.write_text(
        "import os\n"
        "from . import models\n"
        "def late():\n"
        "    from web.candidate import forms\n"
        "    import web.candidate\n"
        "    return include('web.candidate.forms')\n"
    )

    found = sorted((i.line, i.importer, i.target) for i in imports_of(source, tmp_path))

    assert found == [
        (2, "results.services", "results.models"),
        (4, "results.services", "web.candidate.forms"),
        (5, "results.services", "web.candidate"),
        (6, "results.services", "web.candidate.forms"),
    ]
    assert violation(Import("results/services.py", 4, "results.services", "web.candidate.forms")) == DOMAIN_WEB_RULE
    assert violation(Import("centres/x.py", 1, "centres.x", "results.models")) == DOMAIN_ORDER_RULE
    assert violation(Import("results/x.py", 1, "results.x", "centres.models")) is None
    assert violation(Import("web/centre/x.py", 1, "web.centre.x", "web.candidate.forms")) is not None
    assert violation(Import("web/centre/x.py", 1, "web.centre.x", "web.common.forms")) is None
    assert violation(Import("web/common/x.py", 1, "web.common.x", "web.centre.forms")) is not None
    assert violation(Import("grading/x.py", 1, "grading.x", "results_portal.cache")) == GRADING_RULE
    assert violation(Import("results_portal/cache.py", 1, "results_portal.cache", "results.models")) is not None
