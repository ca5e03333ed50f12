"""Every third-party package the code imports is declared, pinned, in pyproject.toml.

A package that arrives only as the dependency of another one disappears the day that other one
drops it; the import then fails in production, not in review. This test reads every module's
imports (without importing anything), maps each top-level name to the distribution that
provides it, and checks that the distribution is one of the project's declared requirements.
"""

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_FOLDERS = {".venv", "node_modules", ".git", "data", "staticfiles", "build"}


# A script that names the system's interpreter runs there, with the system's packages (the
# Deluge launcher of the daemon tests imports Debian's deluge and libtorrent), not in ours.
SYSTEM_PYTHON = "#!/usr/bin/python3"


def _python_files() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.py")
        if not SKIPPED_FOLDERS.intersection(path.relative_to(ROOT).parts)
        and not path.read_text().startswith(SYSTEM_PYTHON)
    ]


def _local_names() -> set[str]:
    """Top-level names that belong to the project: its packages and its root modules."""
    names = {path.stem for path in ROOT.glob("*.py")}
    names |= {path.name for path in ROOT.iterdir() if (path / "__init__.py").exists()}
    return names


def _imported_top_levels(path: Path) -> set[str]:
    siblings = {sibling.stem for sibling in path.parent.glob("*.py")}  # scripts run from there
    tops = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        tops |= {module.split(".")[0] for module in modules} - siblings
    return tops


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    return {_normalise(re.split(r"[\s\[<>=!~;]", line, maxsplit=1)[0]) for line in requirements}


def test_every_imported_third_party_package_is_declared():
    local = _local_names()
    provided_by = importlib.metadata.packages_distributions()
    declared = _declared()
    undeclared = {}
    for path in _python_files():
        for top in _imported_top_levels(path):
            if top in sys.stdlib_module_names or top in local:
                continue
            # Installed: the distributions that provide it. Not installed here (an optional
            # extra such as the benchmarks'): a declared requirement of the same name.
            distributions = {_normalise(d) for d in provided_by.get(top, [])} or {_normalise(top)}
            if not distributions & declared:
                name = ", ".join(sorted(distributions)) or f"(no installed package provides {top})"
                undeclared.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_the_check_sees_an_undeclared_import(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("import requests\nfrom jwt import decode\nimport json\nfrom . import x\n")
    assert _imported_top_levels(module) == {"requests", "jwt", "json"}
