"""scripts/import_cycles.py: the project's imports run one way, and settings import no app."""

import subprocess
import sys
import textwrap
from pathlib import Path

from scripts.import_cycles import main

ROOT = Path(__file__).resolve().parents[2]


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_project_has_no_import_cycle_and_settings_import_no_app():
    result = subprocess.run(
        [sys.executable, "-m", "scripts.import_cycles"], cwd=ROOT, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Import cycles between modules of different files: none" in result.stdout
    assert "Settings modules importing app code: none" in result.stdout


def test_script_runs_as_a_file_too():
    result = subprocess.run(
        [sys.executable, "scripts/import_cycles.py"], cwd=ROOT, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_cycle_through_an_import_inside_a_function_is_reported(tmp_path, capsys):
    write(tmp_path, {
        "shop/__init__.py": "",
        "shop/apps.py": "",
        "shop/views.py": "from shop.login import finish\n",
        "shop/login.py": "def finish():\n    from shop.views import page\n",
    })  # fmt: skip
    assert main(["--root", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "2 modules: shop.login, shop.views" in out
    assert "shop.login -> shop.views  (shop/login.py:2, in a function)" in out
    assert "shop.views -> shop.login  (shop/views.py:1)" in out


def test_relative_imports_and_submodules_named_in_from_imports_make_edges(tmp_path, capsys):
    write(tmp_path, {
        "kit/__init__.py": "from . import parts\n",
        "kit/parts.py": "from kit import helpers\n",
        "kit/helpers.py": "from .. import kit\n",
    })  # fmt: skip
    assert main(["--root", str(tmp_path)]) == 1
    assert "3 modules: kit, kit.helpers, kit.parts" in capsys.readouterr().out


def test_type_checking_imports_are_not_cycles(tmp_path, capsys):
    write(tmp_path, {
        "a.py": "import b\n",
        "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import a\n",
    })  # fmt: skip
    assert main(["--root", str(tmp_path)]) == 0
    assert "none" in capsys.readouterr().out


def test_settings_reaching_app_code_through_another_module_is_reported(tmp_path, capsys):
    write(tmp_path, {
        "site/__init__.py": "",
        "site/settings.py": "from site.auth_settings import *\n",
        "site/auth_settings.py": "from shop.presets import PRESETS\n",
        "shop/__init__.py": "",
        "shop/apps.py": "",
        "shop/presets.py": "PRESETS = {}\n",
    })  # fmt: skip
    assert main(["--root", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "- site.settings reaches shop.presets:" in out
    assert "site.auth_settings -> shop.presets  (site/auth_settings.py:1)" in out
