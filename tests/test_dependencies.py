"""Every third-party module the code imports is declared in ``pyproject.toml``.

A fresh virtual environment has nothing but what ``pip install -e ".[test]"`` installs, so a
module imported but not declared works on a developer's machine and fails a new user. The
imports are read from the source with ``ast`` (top-level and inside functions alike) and each
top-level module name is mapped to the distribution that provides it.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

from conftest import REPO

PYPROJECT = REPO / "pyproject.toml"

# Import name -> distribution for packages that may not be installed here (optional extras)
# or whose import name differs from the distribution name. The installed environment's
# ``packages_distributions()`` answers for the rest.
KNOWN_DISTRIBUTIONS = {
    "yaml": "pyyaml",
    "ray": "ray",
    "torch": "torch",
    "optuna": "optuna",
    "plotly": "plotly",
    "numba": "numba",
    "playwright": "playwright",
    "pytest": "pytest",
    "hypothesis": "hypothesis",
    "xdist": "pytest-xdist",
    "_pytest": "pytest",
}


def _normalise(distribution: str) -> str:
    """PEP 503 normal form: ``PyYAML`` -> ``pyyaml``, ``pytest_xdist`` -> ``pytest-xdist``."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _requirement_name(requirement: str) -> str:
    """``ray[default]>=2.9`` -> ``ray``."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, f"unparsable requirement {requirement!r} in {PYPROJECT}"
    return _normalise(match.group(1))


def declared(*, include_extras: tuple[str, ...] | None = None) -> set[str]:
    """Distributions declared as core dependencies plus the named extras (all when None)."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    names = {_requirement_name(r) for r in project.get("dependencies", [])}
    for extra, requirements in project.get("optional-dependencies", {}).items():
        if include_extras is None or extra in include_extras:
            names |= {_requirement_name(r) for r in requirements}
    return names


def imported_modules(source: str) -> set[str]:
    """Top-level names of every absolute import in ``source`` (relative ones are local)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@cache
def _installed_map() -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())


def distribution_of(module: str) -> str | None:
    """The distribution providing ``module``, or None if it is unknown here."""
    if module in KNOWN_DISTRIBUTIONS:
        return KNOWN_DISTRIBUTIONS[module]
    found = _installed_map().get(module)
    return _normalise(found[0]) if found else None


def undeclared(files: list[Path], local: set[str], allowed: set[str]) -> dict[str, list[str]]:
    """Third-party module -> files importing it, for modules whose distribution is not in
    ``allowed`` (stdlib and ``local`` names excluded)."""
    missing: dict[str, list[str]] = {}
    for path in files:
        for module in imported_modules(path.read_text(encoding="utf-8")):
            if module in sys.stdlib_module_names or module in local or module == "__future__":
                continue
            dist = distribution_of(module)
            if dist is None or dist not in allowed:
                shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
                missing.setdefault(f"{module} (distribution {dist or 'unknown'})", []).append(
                    str(shown))
    return missing


def test_every_module_imported_under_src_is_declared() -> None:
    """``src`` may import core dependencies and runtime extras (measure, ray, ...), never a
    package only the test extra brings."""
    runtime_extras = tuple(
        e for e in tomllib.loads(PYPROJECT.read_text())["project"]["optional-dependencies"]
        if e != "test")
    files = sorted((REPO / "src").rglob("*.py"))
    assert len(files) > 50
    missing = undeclared(files, {"siliconomics"}, declared(include_extras=runtime_extras))
    assert not missing, f"imported under src/ but not declared in pyproject.toml: {missing}"


def test_every_module_imported_by_tests_and_benchmarks_is_declared() -> None:
    files = sorted((REPO / "tests").rglob("*.py")) + sorted((REPO / "benchmarks").rglob("*.py"))
    local = {p.stem for p in files} | {"siliconomics"}
    missing = undeclared(files, local, declared())
    assert not missing, f"imported by tests/benchmarks but not declared: {missing}"


def test_the_check_flags_an_undeclared_import(tmp_path: Path) -> None:
    """The checker itself: a module from an undeclared distribution is reported, a function-
    level import included; stdlib and declared ones are not."""
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nimport numpy\n\ndef f():\n    import hypothesis\n    "
                      "from yaml import safe_load\n")
    missing = undeclared([sample], {"siliconomics"}, declared(include_extras=()))
    assert list(missing) == ["hypothesis (distribution hypothesis)"]
    assert _requirement_name("ray[default]>=2.9") == "ray"
    assert _normalise("PyYAML") == "pyyaml"
