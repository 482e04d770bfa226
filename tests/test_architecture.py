"""The layers in ``.importlinter`` hold, and breaking one fails the check (so the check can fail)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def copy_of_the_project(tmp_path: Path) -> Path:
    for package in ("nnviz", "ui"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(ROOT / ".importlinter")],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )


def test_the_layers_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 kept, 0 broken" in result.stdout


def test_an_upward_import_inside_a_function_breaks_the_layers(tmp_path):
    copy_of_the_project(tmp_path)
    losses = tmp_path / "nnviz" / "core" / "losses.py"
    losses.write_text(losses.read_text() + "\n\ndef _drawn():\n    from nnviz.viz import charts\n    return charts\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "nnviz.core is not allowed to import nnviz.viz" in result.stdout
    assert "nnviz.core.losses -> nnviz.viz.charts" in result.stdout


def test_a_streamlit_import_in_the_library_breaks_the_no_screen_rule(tmp_path):
    copy_of_the_project(tmp_path)
    recipes = tmp_path / "nnviz" / "lesson" / "recipes.py"
    recipes.write_text(recipes.read_text() + "\n\nimport streamlit  # noqa: E402,F401\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "The library knows no screen" in result.stdout and "BROKEN" in result.stdout


def test_a_cycle_between_two_core_modules_breaks_the_acyclic_rule(tmp_path):
    copy_of_the_project(tmp_path)
    activations = tmp_path / "nnviz" / "core" / "activations.py"
    # losses imports nothing of the project; make activations and losses import each other
    losses = tmp_path / "nnviz" / "core" / "losses.py"
    losses.write_text(losses.read_text() + "\n\ndef _g():\n    from nnviz.core import activations\n    return activations\n")
    activations.write_text(activations.read_text() + "\n\ndef _l():\n    from nnviz.core import losses\n    return losses\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "No import cycles" in result.stdout and "BROKEN" in result.stdout
