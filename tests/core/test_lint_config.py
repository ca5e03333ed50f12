"""The type check covers every app of the project.

mypy reads only the folders listed in `[tool.mypy] files` of pyproject.toml: an app added to
INSTALLED_APPS but not to that list would never be type-checked, and nothing would say so.
"""

import tomllib
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]


def local_apps() -> set[str]:
    """The installed apps that are top-level folders of the repository with an apps.py."""
    found = set()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.parent == ROOT and (path / "apps.py").is_file():
            found.add(path.name)
    return found


def mypy_files() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    return {entry.rstrip("/") for entry in config["files"]}


def test_the_local_apps_are_found():
    # Guards the test below against finding nothing (and so passing whatever the list says).
    assert {"accounts", "boards", "groups", "homeportal"} <= local_apps()


def test_every_local_app_is_type_checked():
    missing = sorted(local_apps() - mypy_files())
    assert not missing, f"Add to [tool.mypy] files in pyproject.toml: {', '.join(missing)}"
